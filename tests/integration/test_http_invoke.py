#!/usr/bin/env python3
"""http:invoke end to end: `riposte serve` (moto for AWS) calls a local HTTP receiver through a
connection of riposte.yaml whose secret comes from the environment.

- a high-severity finding runs a playbook whose Task is arn:aws:states:::http:invoke: the
  receiver gets the POST with the connection's API key header, the Idempotency-Key and the
  body the playbook built from the finding; a first 503 is retried; the Task's result is Step
  Functions' {Headers, ResponseBody, StatusCode, StatusText}; the call is in the incident's
  timeline and the audit log;
- `.waitForTaskToken` on it: the token goes out in the request body and the real AWS CLI's
  send-task-success resumes the execution;
- a 404 fails the Task with States.Http.StatusCode.404, which the playbook catches;
- the secret is nowhere: not in the logs, the API's incident and execution, the audit log,
  `riposte validate`, the runbook (`riposte docs`); a literal secret in riposte.yaml is refused by
  validate without echoing it.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import localaws  # noqa: E402
import localhttp  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None
SECRET = "hk-Zq9x7-distinctive-secret"

CONNECTIONS = """
connections:
  hook:
    auth: api_key
    header: X-Api-Key
    value: ${RIPOSTE_TEST_HOOK_KEY}
"""


def playbook(url, wait=False, catch=False):
    body = {
        "incident.$": "$.riposte.incidentId",
        "type.$": "$.detail.type",
        "instance.$": "$.detail.resource.instanceDetails.instanceId",
    }
    if wait:
        body["token.$"] = "$$.Task.Token"
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::http:invoke" + (".waitForTaskToken" if wait else ""),
        "Parameters": {
            "ApiEndpoint": url + "/hooks/incident",
            "Method": "POST",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/hook/1a2b"},
            "QueryParameters": {"source": "riposte"},
            "RequestBody": body,
        },
        "ResultPath": "$.hook",
        "End": True,
    }
    states = {"Notify": task}
    if catch:
        task["Catch"] = [{"ErrorEquals": ["States.Http.StatusCode.404"], "ResultPath": "$.err",
                          "Next": "Missing"}]
        states["Missing"] = {"Type": "Pass", "End": True}
    return {"StartAt": "Notify", "States": states}


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120, env=e)


class HttpInvoke(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.receiver = localhttp.Receiver()
        self.dir = tempfile.mkdtemp(prefix="riposte-http-")
        self.config = os.path.join(self.dir, "config")
        shutil.copytree(os.path.join(ROOT, "config/default"), self.config)
        with open(os.path.join(self.config, "riposte.yaml"), "a") as f:
            f.write(CONNECTIONS)
        self.riposte = None

    def tearDown(self):
        if self.riposte:
            self.riposte.stop()
        self.receiver.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def use(self, pb):
        with open(os.path.join(self.config, "playbooks", "hook.asl.json"), "w") as f:
            json.dump(pb, f, indent=1)
        rule = os.path.join(self.config, "rules", "guardduty-ec2-high.yaml")
        with open(rule) as f:
            text = f.read()
        with open(rule, "w") as f:
            f.write(text.replace("playbook: contain-ec2-instance", "playbook: hook"))
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, workdir=self.dir,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn,
                                             "RIPOSTE_TEST_HOOK_KEY": SECRET})

    def execution(self):
        incs = self.riposte.incidents()
        self.assertEqual(len(incs), 1, incs)
        inc = self.riposte.get("/v1/incidents/" + incs[0]["id"]).json()
        return inc, self.riposte.get("/v1/executions/" + inc["executions"][0]["executionId"]).json()

    def wait_status(self, status="SUCCEEDED", timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.riposte.incidents():  # accepted (202), not processed yet
                time.sleep(0.1)
                continue
            inc, x = self.execution()
            if x["status"] == status:
                return inc, x
            time.sleep(0.1)
        self.fail(f"execution not {status}: {json.dumps(self.execution())[:3000]}\n{self.riposte.logs()[-3000:]}")

    def send_finding(self):
        r = self.riposte.post("/v1/events", localaws.guardduty_finding(self.env.instance_id))
        self.assertEqual(r.status_code, 202, r.text)

    def assert_no_secret(self, *texts):
        for t in texts:
            self.assertNotIn(SECRET, t)
        db = sqlite3.connect(self.riposte.store[len("sqlite://"):])
        for (j,) in db.execute("SELECT json FROM audit_log"):
            self.assertNotIn(SECRET, j)
        for (row,) in db.execute("SELECT input || output || coalesce(error_message, '') FROM actions"):
            self.assertNotIn(SECRET, row or "")
        db.close()

    def test_posts_with_the_connection_retries_a_503_and_records_it(self):
        self.receiver.replies.append((503, {"Retry-After": "0"}, "busy"))
        self.receiver.replies.append((200, {"Content-Type": "application/json"}, '{"id": "evt-7"}'))
        self.use(playbook(self.receiver.url))
        self.send_finding()
        reqs = self.receiver.wait(2)
        inc, x = self.wait_status()
        for r in reqs:
            self.assertEqual(r["method"], "POST")
            self.assertEqual(r["path"], "/hooks/incident")
            self.assertEqual(r["query"], {"source": ["riposte"]})
            self.assertEqual(r["headers"]["x-api-key"], SECRET)
            self.assertEqual(r["headers"]["content-type"], "application/json")
        # Both attempts carry the same idempotency key (the action record's id).
        self.assertEqual(reqs[0]["headers"]["idempotency-key"], reqs[1]["headers"]["idempotency-key"])
        body = json.loads(reqs[1]["body"])
        self.assertEqual(body["incident"], inc["id"])
        self.assertEqual(body["instance"], self.env.instance_id)
        out = json.loads(x["output"])["hook"]
        self.assertEqual(out["StatusCode"], 200)
        self.assertEqual(out["StatusText"], "OK")
        self.assertEqual(out["ResponseBody"], {"id": "evt-7"})
        self.assertEqual(out["Headers"]["content-type"], ["application/json"])
        calls = [e for e in inc["timeline"] if e["kind"] == "action" and e["action"] == "http.invoke"]
        self.assertEqual(len(calls), 1, inc["timeline"])
        self.assertIn("after 2 attempts", json.dumps(calls[0]))
        db = sqlite3.connect(self.riposte.store[len("sqlite://"):])
        audit = [j for (j,) in db.execute("SELECT json FROM audit_log") if "http.invoke" in j]
        db.close()
        self.assertTrue(audit, "http.invoke is not in the audit log")
        self.riposte.stop()
        v = run("validate", self.config, env={"RIPOSTE_TEST_HOOK_KEY": SECRET,
                                              "RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        rb = run("docs", "--config", self.config, env={"RIPOSTE_TEST_HOOK_KEY": SECRET,
                                              "RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})
        self.assert_no_secret(self.riposte.logs(), json.dumps(inc), json.dumps(x),
                              v.stdout + v.stderr, rb.stdout + rb.stderr)

    def test_wait_for_task_token_and_a_caught_404(self):
        self.use(playbook(self.receiver.url, wait=True))
        self.send_finding()
        req = self.receiver.wait(1)[0]
        token = json.loads(req["body"])["token"]
        time.sleep(0.3)
        self.assertEqual(self.execution()[1]["status"], "RUNNING")
        env = self.riposte.aws_env()
        r = subprocess.run(["aws", "stepfunctions", "send-task-success", "--endpoint-url",
                            self.riposte.url, "--task-token", token, "--task-output",
                            '{"acknowledged": "pager"}'], env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        inc, x = self.wait_status()
        self.assertEqual(json.loads(x["output"])["hook"], {"acknowledged": "pager"})
        self.assert_no_secret(self.riposte.logs(), json.dumps(inc), json.dumps(x))

    def test_a_404_is_catchable_by_its_step_functions_name(self):
        self.receiver.replies.append((404, {"Content-Type": "application/json"}, '{"error": "gone"}'))
        self.use(playbook(self.receiver.url, catch=True))
        self.send_finding()
        inc, x = self.wait_status()
        out = json.loads(x["output"])
        self.assertEqual(out["err"]["Error"], "States.Http.StatusCode.404")
        self.assertEqual(len(self.receiver.requests), 1)  # a 4xx is not retried

    def test_a_literal_secret_is_refused_without_being_echoed(self):
        with open(os.path.join(self.config, "riposte.yaml"), "a") as f:
            f.write("  literal:\n    auth: basic\n    username: bot\n    password: " + SECRET + "\n")
        v = run("validate", self.config, env={"RIPOSTE_TEST_HOOK_KEY": SECRET})
        self.assertNotEqual(v.returncode, 0)
        self.assertIn("connections.literal.password: a secret may not be written in the file",
                      v.stdout + v.stderr)
        self.assertNotIn(SECRET, v.stdout + v.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
