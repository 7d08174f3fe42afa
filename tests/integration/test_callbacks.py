#!/usr/bin/env python3
"""Task-token callbacks end to end: `riposte serve` against moto_server, answered with the real
AWS CLI (`aws stepfunctions send-task-success|send-task-failure --endpoint-url …`).

The shipped configuration with the high-severity EC2 rule pointed at a playbook that asks
first: `arn:aws:states:::sns:publish.waitForTaskToken` publishes the task token to the alerts
topic (an SQS queue subscribed to it is how the test, like a person's tooling, reads it), and
the instance is isolated only once SendTaskSuccess arrives; SendTaskFailure "Denied" is caught
and nothing is contained. Killed with SIGKILL while it waits, and right after the CLI's callback
was accepted: after a restart the callback's result is applied exactly once.
"""
import json
import re
import os
import shutil
import signal
import sqlite3
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

ASK_FIRST = {
    "Comment": "Ask a person (the token goes to the alerts topic), then contain.",
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn.$": "$.riposte.notify.snsTopicArn", "Message.$": "$$.Task.Token"},
            "HeartbeatSeconds": 3600,
            "ResultPath": "$.approval",
            "Catch": [{"ErrorEquals": ["Denied"], "ResultPath": "$.denied", "Next": "Denied"}],
            "Next": "Isolate",
        },
        "Isolate": {
            "Type": "Task",
            "Resource": "riposte:aws.ec2.isolateInstance",
            "Parameters": {"instanceId.$": "$.detail.resource.instanceDetails.instanceId"},
            "ResultPath": "$.isolated",
            "End": True,
        },
        "Denied": {"Type": "Pass", "End": True},
    },
}


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


def aws_cli(riposte, *args):
    """The real AWS CLI, signing (SigV4) with the access key riposte was given."""
    return subprocess.run(["aws", *args], env=riposte.aws_env(), capture_output=True, text=True,
                          timeout=60)


class Callbacks(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.dir = tempfile.mkdtemp(prefix="riposte-callbacks-")
        self.config = os.path.join(self.dir, "config")
        shutil.copytree(os.path.join(ROOT, "config/default"), self.config)
        with open(os.path.join(self.config, "playbooks", "ask-first.asl.json"), "w") as f:
            json.dump(ASK_FIRST, f, indent=1)
        rule = os.path.join(self.config, "rules", "guardduty-ec2-high.yaml")
        with open(rule) as f:
            text = f.read()
        with open(rule, "w") as f:
            f.write(text.replace("playbook: contain-ec2-instance", "playbook: ask-first"))
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, workdir=self.dir,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})
        self.original_groups = self.env.instance_groups()

    def tearDown(self):
        self.riposte.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def send_finding(self):
        r = self.riposte.post("/v1/events", localaws.guardduty_finding(self.env.instance_id))
        self.assertEqual(r.status_code, 202, r.text)

    def token(self, timeout=20):
        """The task token, as the alerts topic delivered it."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.env.messages(wait=1):
                # Only the token (other messages on the topic, such as a failure alert of
                # notifications.on_failure, are text with spaces).
                if re.fullmatch(r"[A-Za-z0-9\-_.~+/=:]{1,2048}", m["Message"]):
                    return m["Message"]
        self.fail("no task token was published\n" + self.riposte.logs()[-3000:])

    def execution(self):
        incs = self.riposte.incidents()
        self.assertEqual(len(incs), 1, incs)
        inc = self.riposte.get("/v1/incidents/" + incs[0]["id"]).json()
        return self.riposte.get("/v1/executions/" + inc["executions"][0]["executionId"]).json()

    def wait_status(self, status="SUCCEEDED", timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            x = self.execution()
            if x["status"] == status:
                return x
            time.sleep(0.05)
        self.fail(f"execution not {status}: {json.dumps(self.execution())[:3000]}\n{self.riposte.logs()[-3000:]}")

    def cli(self, op, token, *more):
        return aws_cli(self.riposte, "stepfunctions", op, "--endpoint-url", self.riposte.url, "--task-token", token, *more)

    def isolated(self):
        return self.env.instance_groups() != self.original_groups

    def restart_killed(self):
        self.riposte.stop(signal.SIGKILL)
        self.riposte.start()

    def assert_applied_once(self, x):
        types = [e["type"] for e in x["events"]]
        self.assertEqual(types.count("TaskSubmitted"), 1, types)
        # Ask's result and Isolate's: each once.
        self.assertEqual(types.count("TaskSucceeded"), 2, types)
        inc = self.riposte.get("/v1/incidents/" + x["incidentId"]).json()
        isolations = [e for e in inc["timeline"]
                      if e["kind"] == "action" and e["action"] == "aws.ec2.isolateInstance"]
        self.assertEqual(len(isolations), 1, isolations)
        self.assertTrue(self.isolated())

    def test_send_task_success_from_the_aws_cli_lets_it_contain(self):
        self.send_finding()
        token = self.token()
        time.sleep(0.5)
        self.assertFalse(self.isolated())
        self.assertEqual(self.execution()["status"], "RUNNING")
        # Heartbeat, then the approval.
        r = self.cli("send-task-heartbeat", token)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli("send-task-success", token, "--task-output", '{"approvedBy": "alice"}')
        self.assertEqual(r.returncode, 0, r.stderr)
        x = self.wait_status()
        self.assert_applied_once(x)
        ask = [e for e in x["events"] if e["type"] == "TaskSucceeded"][0]
        self.assertIn("alice", json.dumps(ask))
        # Again: the task is closed, and the CLI shows Step Functions' error.
        r = self.cli("send-task-success", token, "--task-output", "{}")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("TaskTimedOut", r.stderr)
        r = self.cli("send-task-success", "x" * 43, "--task-output", "{}")
        self.assertIn("TaskDoesNotExist", r.stderr)
        # The token is nowhere in the timeline, the history or the log; its masked prefix is.
        inc = self.riposte.get("/v1/incidents/" + x["incidentId"]).json()
        for text in (json.dumps(inc), json.dumps(x), self.riposte.logs()):
            self.assertNotIn(token, text)
        self.assertIn("task_token", [e["kind"] for e in inc["timeline"]])

    def test_killed_while_waiting_then_denied(self):
        self.send_finding()
        token = self.token()
        self.restart_killed()
        self.assertEqual(self.execution()["status"], "RUNNING")
        r = self.cli("send-task-failure", token, "--error", "Denied", "--cause", "false positive")
        self.assertEqual(r.returncode, 0, r.stderr)
        x = self.wait_status()
        self.assertIn("false positive", x["output"])
        self.assertFalse(self.isolated())

    def test_killed_right_after_the_callback_was_accepted(self):
        self.send_finding()
        token = self.token()
        r = self.cli("send-task-success", token, "--task-output", '{"approvedBy": "bob"}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.riposte.stop(signal.SIGKILL)
        # What the kill left: the callback waiting in the store, or already applied with its
        # step; either way it is applied exactly once after the restart.
        db = sqlite3.connect(self.riposte.store[len("sqlite://"):])
        waiting = db.execute("SELECT count(*) FROM task_callbacks").fetchone()[0]
        stored_tokens = [r[0] for r in db.execute("SELECT digest FROM task_tokens")]
        db.close()
        self.assertNotIn(token, stored_tokens)  # digests only
        print(f"callbacks still waiting when killed: {waiting}", file=sys.stderr)
        self.riposte.start()
        x = self.wait_status()
        self.assert_applied_once(x)


if __name__ == "__main__":
    unittest.main()
