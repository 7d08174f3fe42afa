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
import localhttp  # noqa: E402

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
    # What a test case adds to riposte.yaml (settings text) and the environment, before start.
    links = False
    gated = GATED
    playbook = "gated"   # what the high-severity EC2 rule runs
    rule_extra = ""      # appended to that rule

    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.dir = tempfile.mkdtemp(prefix="riposte-approvals-")
        self.config = os.path.join(self.dir, "config")
        shutil.copytree(os.path.join(ROOT, "config/default"), self.config)
        with open(os.path.join(self.config, "playbooks", "gated.asl.json"), "w") as f:
            json.dump(self.gated, f, indent=1)
        settings = os.path.join(self.config, "riposte.yaml")
        with open(settings) as f:
            text = f.read()
        self.assertIn("soc: [security-oncall]", text)  # the shipped group
        text = text.replace("soc: [security-oncall]", "soc: [alice, bob, carol]")
        env = {"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn}
        if self.links:
            # Signed links in a Slack message: the receiver plays Slack's incoming webhook.
            self.slack = localhttp.Receiver()
            self.addCleanup(self.slack.stop)
            self.assertIn("  default_timeout_seconds: 3600\n", text)
            text = text.replace("  default_timeout_seconds: 3600\n",
                                "  default_timeout_seconds: 3600\n  links:\n"
                                "    secret_env: RIPOSTE_TEST_LINK_KEY\n"
                                "    base_url: http://localhost:1\n")
            text += ("\nsinks:\n  - type: webhook\n    name: soc-slack\n    format: slack\n"
                     "    url: ${RIPOSTE_TEST_SLACK_URL}\n")
            env["RIPOSTE_TEST_LINK_KEY"] = "k" * 40
            env["RIPOSTE_TEST_SLACK_URL"] = self.slack.url + "/services/T0/B0/secret"
        with open(settings, "w") as f:
            f.write(text)
        rule = os.path.join(self.config, "rules", "guardduty-ec2-high.yaml")
        with open(rule) as f:
            text = f.read()
        with open(rule, "w") as f:
            f.write(text.replace("playbook: contain-ec2-instance\n",
                                 "playbook: " + self.playbook + "\n") + self.rule_extra)
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, workdir=self.dir, env=env)
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
        self.assertEqual(req["plan"]["next"], [{"state": "Isolate", "resource":
                                                "riposte:aws.ec2.isolateInstance",
                                                "action": "aws.ec2.isolateInstance",
                                                "role": "contain"}])
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
        # A credential decides as its subject: alice's token cannot vote as bob.
        r = self.riposte.post("/v1/approvals/" + req["approvalId"],
                              {"decision": "approve", "approver": "bob"}, as_="alice")
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("authenticated as alice, not bob", r.text)
        r = self.riposte.post("/v1/approvals/" + req["approvalId"],
                              {"decision": "approve", "approver": "bob"}, as_="bob")
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


class ApprovalLinks(Approvals):
    """Signed one-time links in the approval notification (a Slack Block Kit message from the
    webhook sink): a GET shows a confirmation page and decides nothing; the POST decides; a used
    or forged link is refused; the links are nowhere in the audit log."""
    links = True
    test_quorum_through_the_cli_and_the_api_then_contained = None  # the base class's cases
    test_killed_while_parked_then_denied_with_a_reason = None

    def slack_messages(self, count):
        return [json.loads(r["body"]) for r in self.slack.wait(count)]

    def buttons(self, message):
        out = {}
        for block in message["blocks"]:
            if block["type"] == "actions":
                for e in block["elements"]:
                    out[e["text"]["text"]] = e["url"].replace("http://localhost:1", self.riposte.url)
        return out

    def form(self, url, data, ctype="application/x-www-form-urlencoded"):
        import urllib.request
        import urllib.error
        from urllib.parse import urlsplit, parse_qs, urlencode
        token = parse_qs(urlsplit(url).query)["t"][0]
        body = urlencode(dict(data, t=token)).encode()
        req = urllib.request.Request(url.split("?")[0], data=body, method="POST",
                                     headers={"Content-Type": ctype})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_slack_buttons_confirm_then_decide_once(self):
        self.send_finding()
        req = self.pending()
        [msg] = self.slack_messages(1)
        self.assertIn(req["approvalId"], json.dumps(msg))
        links = self.buttons(msg)
        self.assertEqual(sorted(links), ["Approve as alice", "Approve as bob", "Approve as carol",
                                         "Deny as alice", "Deny as bob", "Deny as carol"])
        # A link scanner's GET: a confirmation page, nothing decided.
        page = self.riposte.get(links["Approve as alice"][len(self.riposte.url):])
        self.assertEqual(page.status_code, 200)
        self.assertIn("text/html", page.headers["Content-Type"])
        self.assertIn("alice", page.text)
        self.assertEqual(self.riposte.get("/v1/approvals/" + req["approvalId"]).json()["votes"], [])
        # The POST decides, once.
        status, _ = self.form(links["Approve as alice"], {})
        self.assertEqual(status, 200)
        status, text = self.form(links["Approve as alice"], {})
        self.assertEqual(status, 409, text)
        # A forged link (one character of the signature changed) is refused.
        forged = links["Approve as bob"]
        forged = forged[:-1] + ("A" if forged[-1] != "A" else "B")
        status, _ = self.form(forged, {})
        self.assertEqual(status, 403)
        self.assertFalse(self.isolated())
        status, _ = self.form(links["Approve as bob"], {})
        self.assertEqual(status, 200)
        self.wait_incident("contained")
        self.assertTrue(self.isolated())
        # The decision is told too; and no link is in the audit log (what SIEM sinks read).
        decided = self.slack_messages(2)[1]
        self.assertIn("approved", decided["text"])
        import sqlite3
        db = sqlite3.connect(self.riposte.store[len("sqlite://"):])
        audit = "\n".join(row[0] for row in db.execute("SELECT json FROM audit_log"))
        db.close()
        self.assertIn(req["approvalId"], audit)
        self.assertNotIn("/link?t=", audit)


class OnFailure(Approvals):
    """notifications.on_failure is on by default: an approval nobody decides in time is a
    failure alert on the SNS topic (here notifications.sns_topic_arn), once."""
    gated = json.loads(json.dumps(GATED))
    gated["States"]["Approve"]["Parameters"]["timeout_seconds"] = 1
    test_quorum_through_the_cli_and_the_api_then_contained = None  # the base class's cases
    test_killed_while_parked_then_denied_with_a_reason = None

    def test_an_approval_timeout_is_published_once(self):
        self.send_finding()
        self.pending()
        self.wait_incident("denied")
        self.assertFalse(self.isolated())
        deadline = time.time() + 20
        got = []
        while time.time() < deadline and not got:
            for m in self.env.sqs.receive_message(QueueUrl=self.env.queue_url,
                                                  MaxNumberOfMessages=10,
                                                  WaitTimeSeconds=1).get("Messages", []):
                got.append(json.loads(m["Body"]))
        self.assertEqual(len(got), 1, got)
        self.assertIn("timed out", got[0]["Subject"])
        self.assertIn("Incident: inc-", got[0]["Message"])
        # Nothing more: the deny the deadline made is not a second alert.
        time.sleep(1.5)
        more = self.env.sqs.receive_message(QueueUrl=self.env.queue_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=1).get("Messages", [])
        self.assertEqual(more, [])


class RequireApproval(Approvals):
    """`require_approval` on the shipped high-severity EC2 rule, its playbook unchanged
    (contain-ec2-instance): the first destructive action waits for a person; approved, the
    instance is isolated and the attacker blocked without asking again; a kill -9 while it waits
    loses nothing; a deny stops the execution although every step of the playbook has a
    Catch."""
    playbook = "contain-ec2-instance"
    rule_extra = "require_approval: {groups: [soc], quorum: 2}\n"
    test_quorum_through_the_cli_and_the_api_then_contained = None  # the base class's cases
    test_killed_while_parked_then_denied_with_a_reason = None

    def test_parks_then_contains_once_approved_also_across_a_kill(self):
        self.send_finding()
        req = self.pending()
        self.assertEqual(req["plan"]["origin"], "require_approval")
        self.assertEqual(req["plan"]["action"], "aws.ec2.isolateInstance")
        self.assertEqual(req["plan"]["parameters"]["instanceId"], self.env.instance_id)
        self.assertIn("the rule requires approval", req["summary"])
        time.sleep(0.5)
        self.assertFalse(self.isolated())
        inc = self.incident()
        waiting = [e for e in inc["timeline"] if e["kind"] == "action"
                   and e["action"] == "aws.ec2.isolateInstance"]
        self.assertEqual(waiting[0]["status"], "awaiting_approval", waiting)
        r = self.cli("approve", req["approvalId"], "--by", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.riposte.stop(signal.SIGKILL)
        self.riposte.start()
        time.sleep(0.5)
        self.assertFalse(self.isolated())  # one of two
        r = self.cli("approve", req["approvalId"], "--by", "bob")
        self.assertEqual(r.returncode, 0, r.stderr)
        inc = self.wait_incident("contained")
        self.assertTrue(self.isolated())
        blocked = [e for e in inc["timeline"] if e["kind"] == "action"
                   and e["action"] == "aws.ec2.blockIp"]
        self.assertEqual(blocked[0]["status"], "succeeded", blocked)  # not asked again
        approvals = self.riposte.get("/v1/approvals").json()["approvals"]
        self.assertEqual(len(approvals), 1, approvals)

    def test_a_deny_stops_the_execution(self):
        self.send_finding()
        req = self.pending()
        r = self.cli("deny", req["approvalId"], "--by", "carol", "--reason", "a known scanner")
        self.assertEqual(r.returncode, 0, r.stderr)
        inc = self.wait_incident("denied")
        self.assertFalse(self.isolated())
        acts = {e["action"]: e["status"] for e in inc["timeline"] if e["kind"] == "action"}
        self.assertNotIn("aws.ec2.blockIp", acts)
        self.assertNotIn("aws.sns.publish", acts)  # the Catch did not lead on to Notify
        self.assertIn("a known scanner", json.dumps(inc["timeline"]))


if __name__ == "__main__":
    unittest.main()
