#!/usr/bin/env python3
"""The approval gate end to end: `riposte serve` against moto_server, decided with
`riposte approvals approve|deny` (the CLI, on the store the server runs on) and through
POST /v1/approvals/{id}.

The shipped configuration with the high-severity EC2 rule pointed at a playbook whose first
state is `riposte:approval` (approver group `soc` in riposte.yaml `approvals:`): the execution
parks, nothing is contained until the quorum approves; a deny ends the incident `denied` with
the reason; a kill -9 while it waits loses nothing.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None

GATED = {
    "Comment": "Ask the SOC, then contain.",
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": "riposte:approval",
            "Parameters": {"groups": ["soc"], "quorum": 2, "summary": "isolate the instance"},
            "ResultPath": "$.approval",
            "Next": "Isolate",
        },
        "Isolate": {
            "Type": "Task",
            "Resource": "riposte:aws.ec2.isolateInstance",
            "Parameters": {"instanceId.$": "$.detail.resource.instanceDetails.instanceId"},
            "ResultPath": "$.isolated",
            "End": True,
        },
    },
}


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


class Approvals(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.dir = tempfile.mkdtemp(prefix="riposte-approvals-")
        self.config = os.path.join(self.dir, "config")
        shutil.copytree(os.path.join(ROOT, "config/default"), self.config)
        with open(os.path.join(self.config, "playbooks", "gated.asl.json"), "w") as f:
            json.dump(GATED, f, indent=1)
        settings = os.path.join(self.config, "riposte.yaml")
        with open(settings) as f:
            text = f.read()
        self.assertIn("soc: [security-oncall]", text)  # the shipped group
        with open(settings, "w") as f:
            f.write(text.replace("soc: [security-oncall]", "soc: [alice, bob, carol]"))
        rule = os.path.join(self.config, "rules", "guardduty-ec2-high.yaml")
        with open(rule) as f:
            text = f.read()
        with open(rule, "w") as f:
            f.write(text.replace("playbook: contain-ec2-instance", "playbook: gated"))
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, workdir=self.dir,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})
        self.original_groups = self.env.instance_groups()

    def tearDown(self):
        self.riposte.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args):
        env = dict(os.environ, RIPOSTE_SNS_TOPIC_ARN=self.env.topic_arn)
        return subprocess.run([BINARY, "approvals", *args, "--config", self.config,
                               "--store", self.riposte.store],
                              env=env, capture_output=True, text=True, timeout=60)

    def pending(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.riposte.get("/v1/approvals?status=pending").json()["approvals"]
            if r:
                return r[0]
            time.sleep(0.05)
        self.fail("no approval request\n" + self.riposte.logs()[-3000:])

    def incident(self):
        incs = self.riposte.incidents()
        self.assertEqual(len(incs), 1, incs)
        return self.riposte.get("/v1/incidents/" + incs[0]["id"]).json()

    def wait_incident(self, status, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            inc = self.incident()
            if inc["status"] == status:
                return inc
            time.sleep(0.05)
        self.fail(f"incident not {status}: {json.dumps(self.incident())[:3000]}\n"
                  f"{self.riposte.logs()[-3000:]}")

    def isolated(self):
        return self.env.instance_groups() != self.original_groups

    def send_finding(self):
        r = self.riposte.post("/v1/events", localaws.guardduty_finding(self.env.instance_id))
        self.assertEqual(r.status_code, 202, r.text)

    def test_quorum_through_the_cli_and_the_api_then_contained(self):
        self.send_finding()
        req = self.pending()
        self.assertEqual(req["approvers"], ["alice", "bob", "carol"])
        self.assertEqual(req["summary"], "isolate the instance")
        time.sleep(0.5)
        self.assertFalse(self.isolated())
        listed = self.cli("list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn(req["approvalId"], listed.stdout)
        # Not an approver: refused, nothing changes.
        r = self.cli("approve", req["approvalId"], "--by", "mallory")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NotAnApprover", r.stderr)
        r = self.cli("approve", req["approvalId"], "--by", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pending", r.stdout)
        r = self.riposte.post("/v1/approvals/" + req["approvalId"], {"decision": "approve"},
                              headers={"X-Riposte-Actor": "alice"})
        self.assertEqual(r.status_code, 409, r.text)  # each approver counts once
        time.sleep(0.5)
        self.assertFalse(self.isolated())
        r = self.riposte.post("/v1/approvals/" + req["approvalId"],
                              {"decision": "approve", "approver": "bob"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["status"], "approved")
        inc = self.wait_incident("contained")
        self.assertTrue(self.isolated())
        kinds = [e["kind"] for e in inc["timeline"]]
        self.assertEqual(kinds.count("approval_vote"), 2, kinds)
        self.assertIn("approval_decided", kinds)

    def test_killed_while_parked_then_denied_with_a_reason(self):
        self.send_finding()
        req = self.pending()
        self.riposte.stop(signal.SIGKILL)
        self.riposte.start()
        r = self.cli("deny", req["approvalId"], "--by", "carol", "--reason", "")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ReasonRequired", r.stderr)
        r = self.cli("deny", req["approvalId"], "--by", "carol", "--reason", "it is the build server")
        self.assertEqual(r.returncode, 0, r.stderr)
        inc = self.wait_incident("denied")
        self.assertFalse(self.isolated())
        ends = [e for e in inc["timeline"] if e["kind"] == "execution_finished"]
        self.assertIn("riposte.ApprovalDenied", json.dumps(ends))
        self.assertIn("it is the build server", json.dumps(ends))


if __name__ == "__main__":
    unittest.main()
