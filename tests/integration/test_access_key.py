#!/usr/bin/env python3
"""contain-access-key end to end: riposte serve on config/default against moto_server.

A GuardDuty finding about an IAM user's access key (severity >= 7) disables that key, revokes
the user's sessions, notifies and logs to Security Hub; release undoes the IAM changes. Every
effect is observed through AWS API calls to moto.
"""
import json
import os
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from guardduty_findings import access_key_finding  # noqa: E402
from fault_proxy import Fault, FaultProxy  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None
REVOKE_POLICY = "riposte-revoke-sessions"


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


class AccessKey(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.iam = MOTO.client("iam")
        self.iam.create_user(UserName="alice")
        self.key_id = self.iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
        self.other_key = self.iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
        self.riposte = localaws.Riposte(BINARY, os.path.join(ROOT, "config/default"), MOTO,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})

    def tearDown(self):
        self.riposte.stop()

    def send(self, finding):
        r = self.riposte.post("/v1/events", finding)
        self.assertEqual(r.status_code, 202, r.text)

    def key_status(self):
        keys = self.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in keys}

    def user_policies(self):
        return self.iam.list_user_policies(UserName="alice")["PolicyNames"]

    def test_key_disabled_sessions_revoked_notified_and_released(self):
        finding = access_key_finding("alice", self.key_id)
        self.send(finding)
        inc = self.riposte.wait_incident(self.key_id)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        self.assertEqual(inc["rule"], "contain-access-key")
        # IAM: exactly the finding's key is Inactive; the other key of the user is untouched.
        self.assertEqual(self.key_status(), {self.key_id: "Inactive", self.other_key: "Active"})
        # The sessions-revoke policy: Deny * on * for tokens issued before the response.
        self.assertIn(REVOKE_POLICY, self.user_policies())
        doc = self.iam.get_user_policy(UserName="alice", PolicyName=REVOKE_POLICY)["PolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        stmt = doc["Statement"][0] if isinstance(doc["Statement"], list) else doc["Statement"]
        self.assertEqual(stmt["Effect"], "Deny")
        self.assertEqual(stmt["Action"], "*")
        self.assertIn("aws:TokenIssueTime", json.dumps(stmt["Condition"]["DateLessThan"]))
        # SNS: one alert naming the finding, the user, the key and the caller's address.
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1, msgs)
        for needle in (finding["type"], "alice", self.key_id, "203.0.113.9", "disableAccessKey", "revokeSessions"):
            self.assertIn(needle, msgs[0]["Message"])
        # Security Hub: one ASFF finding about the access key.
        shf = [f for f in self.env.securityhub_findings() if inc["id"] in json.dumps(f)]
        self.assertEqual(len(shf), 1)
        self.assertEqual(shf[0]["Resources"][0]["Type"], "AwsIamAccessKey")
        self.assertEqual(shf[0]["Resources"][0]["Id"], self.key_id)
        # Timeline: the four actions, the IAM ones with before/after.
        acts = {e["action"]: e for e in inc["timeline"] if e["kind"] == "action"}
        self.assertEqual(set(acts), {"aws.iam.disableAccessKey", "aws.iam.revokeSessions", "aws.sns.publish",
                                     "aws.securityhub.importFindings"})
        self.assertIn("Active", json.dumps(acts["aws.iam.disableAccessKey"]["before"]))
        self.assertIn("Inactive", json.dumps(acts["aws.iam.disableAccessKey"]["after"]))

        # Release: the key is active again and the revoke policy is gone.
        r = self.riposte.post(f"/v1/incidents/{inc['id']}/release", "")
        self.assertEqual(r.status_code, 200, r.text)
        body = r.json()
        self.assertEqual(body["status"], "released", body)
        self.assertEqual(body["failed"], [])
        self.assertEqual({x["action"] for x in body["released"]},
                         {"aws.iam.disableAccessKey", "aws.iam.revokeSessions",
                          "aws.securityhub.importFindings"})
        self.assertEqual(self.key_status(), {self.key_id: "Active", self.other_key: "Active"})
        self.assertNotIn(REVOKE_POLICY, self.user_policies())
        shf = [f for f in self.env.securityhub_findings() if inc["id"] in json.dumps(f)]
        self.assertEqual([f["RecordState"] for f in shf], ["ARCHIVED"])
        # A second release changes nothing.
        self.assertEqual(self.riposte.post(f"/v1/incidents/{inc['id']}/release", "").json()["released"], [])

    def test_repeat_changes_nothing(self):
        finding = access_key_finding("alice", self.key_id)
        self.send(finding)
        first = self.riposte.wait_incident(self.key_id)
        self.assertEqual(first["status"], "contained")
        self.env.messages()
        self.send(localaws.guardduty_event(finding))
        inc = None
        for _ in range(40):
            incs = self.riposte.incidents()
            if incs and incs[0]["eventCount"] == 2:
                inc = incs[0]
                break
            time.sleep(0.05)
        self.assertIsNotNone(inc, self.riposte.incidents())
        self.assertEqual(len(self.riposte.incidents()), 1)
        self.assertEqual(self.key_status()[self.key_id], "Inactive")
        self.assertEqual(self.env.messages(wait=1), [])

    def test_lower_severity_and_other_principals_are_not_contained(self):
        # Severity 5: no rule contains it (guardduty-ec2-medium is about instances only).
        self.send(access_key_finding("alice", self.key_id, severity=5.0))
        # An assumed role's credentials are not an IAM user's key: left to a person.
        self.send(access_key_finding("alice", self.other_key, severity=8.0, user_type="AssumedRole"))
        time.sleep(1.5)
        self.assertEqual(self.riposte.incidents(), [])
        self.assertEqual(self.key_status(), {self.key_id: "Active", self.other_key: "Active"})
        self.assertEqual(self.user_policies(), [])

    def test_unknown_user_fails_with_aws_error_and_still_notifies(self):
        self.send(access_key_finding("mallory", "AKIAIOSFODNN7EXAMPLE"))
        inc = self.riposte.wait_incident("AKIAIOSFODNN7EXAMPLE")
        self.assertEqual(inc["status"], "failed")
        dis = [e for e in inc["timeline"] if e["kind"] == "action" and e["action"] == "aws.iam.disableAccessKey"]
        self.assertEqual(dis[0]["status"], "failed")
        self.assertEqual(dis[0]["error"], "NoSuchEntity")
        self.assertEqual(len(self.env.messages()), 1)


class AccessKeyThroughFaults(unittest.TestCase):
    """riposte → fault-injecting proxy → moto: AWS faults are retried or fail the Task with AWS's code."""

    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.iam = MOTO.client("iam")
        self.iam.create_user(UserName="carol")
        self.key_id = self.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
        self.proxy = FaultProxy(MOTO.endpoint)
        self.riposte = localaws.Riposte(BINARY, os.path.join(ROOT, "config/default"), MOTO,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn,
                                             "AWS_ENDPOINT_URL": self.proxy.endpoint})

    def tearDown(self):
        self.riposte.stop()
        self.proxy.stop()

    def test_throttling_5xx_resets_and_delays_are_retried_and_succeed(self):
        self.proxy.add(Fault("throttle", action="UpdateAccessKey", times=2))
        self.proxy.add(Fault("5xx", action="PutUserPolicy", status=503))
        self.proxy.add(Fault("drop", action="ListAccessKeys"))
        self.proxy.add(Fault("delay", action="Publish", seconds=0.5))
        r = self.riposte.post("/v1/events", access_key_finding("carol", self.key_id))
        self.assertEqual(r.status_code, 202, r.text)
        inc = self.riposte.wait_incident(self.key_id)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        # Each faulted call was retried until AWS (moto) answered.
        self.assertEqual(self.proxy.seen("UpdateAccessKey"), ["throttle", "throttle", "forwarded"])
        self.assertEqual(self.proxy.seen("PutUserPolicy"), ["5xx", "forwarded"])
        self.assertEqual(self.proxy.seen("ListAccessKeys")[:2], ["drop", "forwarded"])
        self.assertEqual(self.proxy.seen("Publish"), ["delay"])
        # And the effects are there.
        keys = {k["AccessKeyId"]: k["Status"] for k in self.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]}
        self.assertEqual(keys, {self.key_id: "Inactive"})
        self.assertIn(REVOKE_POLICY, self.iam.list_user_policies(UserName="carol")["PolicyNames"])
        self.assertEqual(len(self.env.messages()), 1)

    def test_non_retryable_error_fails_the_task_with_aws_code(self):
        self.proxy.add(Fault("error", action="UpdateAccessKey", status=403, code="AccessDenied", times=100,
                             message="User: arn:aws:sts::123456789012:assumed-role/riposte is not authorized "
                                     "to perform: iam:UpdateAccessKey"))
        r = self.riposte.post("/v1/events", access_key_finding("carol", self.key_id))
        self.assertEqual(r.status_code, 202, r.text)
        inc = self.riposte.wait_incident(self.key_id)
        self.assertEqual(inc["status"], "failed", json.dumps(inc, indent=1))
        self.assertEqual(self.proxy.seen("UpdateAccessKey"), ["error"])  # not retried
        dis = [e for e in inc["timeline"] if e["kind"] == "action" and e["action"] == "aws.iam.disableAccessKey"]
        self.assertEqual(dis[0]["status"], "failed")
        self.assertEqual(dis[0]["error"], "AccessDenied")
        ex = self.riposte.get("/v1/executions/" + inc["executions"][0]["executionId"]).json()
        failed = [e for e in ex["events"] if e["type"] == "TaskFailed"]
        self.assertEqual(failed[0]["taskFailedEventDetails"]["error"], "AccessDenied")
        self.assertIn("not authorized", failed[0]["taskFailedEventDetails"]["cause"])
        # The key is untouched; the rest of the playbook ran (sessions revoked, team told).
        keys = {k["AccessKeyId"]: k["Status"] for k in self.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]}
        self.assertEqual(keys, {self.key_id: "Active"})
        # The team's notification, and the failure alert of notifications.on_failure (on by
        # default, to the same topic: the execution failed uncaught), sent by its sink soon after.
        messages, deadline = [], time.time() + 20
        while len(messages) < 2 and time.time() < deadline:
            messages += self.env.messages()
        self.assertEqual(len(messages), 2, messages)
        alerts = [m for m in messages if m["Subject"].startswith("riposte: Response failed")]
        self.assertEqual(len(alerts), 1, messages)
        self.assertIn("ContainmentFailed", alerts[0]["Subject"])
        self.assertIn("Incident: " + inc["id"], alerts[0]["Message"])
        self.assertEqual(self.env.messages(), [])  # once

if __name__ == "__main__":
    unittest.main(verbosity=2)
