#!/usr/bin/env python3
"""The walking skeleton end to end: riposte serve on config/default against moto_server.

Every effect is observed through AWS API calls to moto, as a security team would check it.
"""
import json
import os
import shutil
import tempfile
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

# The binary comes as the first argument (ctest passes it) or RIPOSTE_BIN.
if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()  # raises with the install hint if moto_server is missing


def tearDownModule():
    if MOTO:
        MOTO.stop()


class Skeleton(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.riposte = localaws.Riposte(BINARY, os.path.join(ROOT, "config/default"), MOTO,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})

    def tearDown(self):
        self.riposte.stop()

    def send(self, finding):
        r = self.riposte.post("/v1/events", finding)
        self.assertEqual(r.status_code, 202, r.text)
        return r.json()

    def quarantine_group(self):
        groups = self.env.instance_groups()
        self.assertEqual(len(groups), 1, groups)
        self.assertNotIn(groups[0], (self.env.web_sg, self.env.app_sg))
        return groups[0]

    def test_high_severity_is_contained(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=8.0, remote_ip="198.51.100.7")
        self.send(finding)
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        self.assertEqual(inc["rule"], "guardduty-ec2-high")
        self.assertEqual(inc["finding"]["type"], finding["type"])
        # Security groups: instance and every ENI only in the quarantine group, which has no rules.
        q = self.quarantine_group()
        for eni in self.env.eni_groups():
            self.assertEqual(eni, [q])
        sg = self.env.security_group(q)
        self.assertEqual(sg["IpPermissions"], [])
        self.assertEqual(sg["IpPermissionsEgress"], [])
        self.assertEqual(sg["VpcId"], self.env.vpc_id)
        # Tags.
        tags = self.env.tags()
        self.assertEqual(tags.get("riposte:status"), "quarantined")
        self.assertEqual(tags.get("riposte:incident"), inc["id"])
        # NACL: a deny for the attacker's /32, numbered before every allow entry.
        entries = [e for e in self.env.nacl_entries() if not e["Egress"]]
        deny = [e for e in entries if e["RuleAction"] == "deny" and e["CidrBlock"] == "198.51.100.7/32"]
        self.assertEqual(len(deny), 1, entries)
        for e in entries:
            if e["RuleAction"] == "allow":
                self.assertLess(deny[0]["RuleNumber"], e["RuleNumber"])
        # SNS alert received on the subscribed queue, naming finding, resource, attacker, actions.
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1, msgs)
        text = msgs[0]["Message"]
        for needle in (finding["type"], self.env.instance_id, "198.51.100.7", "isolateInstance", "blockIp"):
            self.assertIn(needle, text)
        # Security Hub: one ASFF finding recording the response, with every required field.
        shf = [f for f in self.env.securityhub_findings() if inc["id"] in json.dumps(f)]
        self.assertEqual(len(shf), 1)
        for field in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
                      "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources"):
            self.assertIn(field, shf[0])
        # The timeline: decision, each action with before/after and a duration.
        kinds = [e["kind"] for e in inc["timeline"]]
        self.assertIn("decision", kinds)
        acts = {e["action"]: e for e in inc["timeline"] if e["kind"] == "action"}
        self.assertEqual(set(acts), {"aws.ec2.snapshotVolumes", "aws.ec2.isolateInstance", "aws.ec2.blockIp",
                                     "aws.sns.publish", "aws.securityhub.importFindings"})
        iso = acts["aws.ec2.isolateInstance"]
        self.assertEqual(iso["status"], "succeeded")
        self.assertIn(self.env.web_sg, json.dumps(iso["before"]))
        self.assertIn(q, json.dumps(iso["after"]))
        self.assertGreaterEqual(iso["durationMs"], 0)
        # The execution history reads like GetExecutionHistory.
        ex = self.riposte.get("/v1/executions/" + inc["executions"][0]["executionId"]).json()
        self.assertEqual(ex["status"], "SUCCEEDED")
        types = [e["type"] for e in ex["events"]]
        self.assertEqual(types[0], "ExecutionStarted")
        self.assertEqual(types[-1], "ExecutionSucceeded")
        self.assertIn("TaskScheduled", types)
        self.assertIn("TaskSucceeded", types)

    def test_repeat_changes_nothing(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=8.0)
        self.send(finding)
        first = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(first["status"], "contained")
        entries_before = self.env.nacl_entries()
        self.env.messages()
        # The same finding again (GuardDuty re-publishes it with a new event id), twice.
        self.send(localaws.guardduty_event(finding))
        self.send(finding)
        time.sleep(1.0)
        incs = self.riposte.incidents()
        self.assertEqual(len(incs), 1, incs)
        self.assertEqual(incs[0]["eventCount"], 3)
        again = self.riposte.get("/v1/incidents/" + incs[0]["id"]).json()
        self.assertEqual(len(again["executions"]), 1)
        self.assertEqual(self.env.nacl_entries(), entries_before)
        self.assertEqual(self.env.messages(wait=1), [])

    def test_medium_severity_only_notifies(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=5.0))
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "notified")
        self.assertEqual(inc["rule"], "guardduty-ec2-medium")
        self.assertEqual(self.env.instance_groups(), sorted([self.env.web_sg, self.env.app_sg]))
        self.assertNotIn("riposte:status", self.env.tags())
        self.assertFalse([e for e in self.env.nacl_entries() if e["CidrBlock"] == "198.51.100.7/32"])
        self.assertEqual(len(self.env.messages()), 1)
        acts = [e["action"] for e in inc["timeline"] if e["kind"] == "action"]
        self.assertEqual(acts, ["aws.sns.publish"])

    def test_low_severity_only_records(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=2.0))
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "recorded")
        self.assertEqual(inc["rule"], "guardduty-low")
        self.assertEqual(inc["executions"], [])
        self.assertEqual(self.env.instance_groups(), sorted([self.env.web_sg, self.env.app_sg]))
        self.assertEqual(self.env.messages(wait=1), [])

    def test_unknown_instance_fails_with_aws_error_code(self):
        self.send(localaws.guardduty_finding("i-0123456789abcdef0", severity=9.0))
        inc = self.riposte.wait_incident("i-0123456789abcdef0")
        self.assertEqual(inc["status"], "failed")
        iso = [e for e in inc["timeline"] if e["kind"] == "action" and e["action"] == "aws.ec2.isolateInstance"]
        self.assertEqual(iso[0]["status"], "failed")
        self.assertEqual(iso[0]["error"], "InvalidInstanceID.NotFound")
        ex = self.riposte.get("/v1/executions/" + inc["executions"][0]["executionId"]).json()
        failed = [e for e in ex["events"] if e["type"] == "TaskFailed"]
        self.assertEqual(failed[0]["taskFailedEventDetails"]["error"], "InvalidInstanceID.NotFound")
        # The team is still told, and the failure alert of notifications.on_failure (on by
        # default, to the same topic) follows from its sink.
        messages, deadline = [], time.time() + 20
        while len(messages) < 2 and time.time() < deadline:
            messages += self.env.messages()
        subjects = sorted(m["Subject"] for m in messages)
        self.assertEqual(len(subjects), 2, subjects)
        self.assertTrue(subjects[1].startswith("riposte: Response failed for incident " + inc["id"]),
                        subjects)
        self.assertNotIn("failure alerts go nowhere", self.riposte.logs())

    def test_failure_alerts_with_nowhere_to_go_are_a_warning_at_start(self):
        quiet = localaws.Riposte(BINARY, os.path.join(ROOT, "config/default"), MOTO,
                                 env={"RIPOSTE_SNS_TOPIC_ARN": ""})
        try:
            deadline = time.time() + 10
            while "failure alerts go nowhere" not in quiet.logs() and time.time() < deadline:
                time.sleep(0.1)
            self.assertIn("failure alerts go nowhere", quiet.logs())
        finally:
            quiet.stop()

    def test_bad_input_is_rejected_and_nothing_stored(self):
        cases = [
            ("{not json", 400, "InvalidJson"),
            (json.dumps({"source": "aws.guardduty", "detail-type": "GuardDuty Finding"}), 400, "detail"),
            ("42", 400, "InvalidInput"),
            ("[" * 500 + "]" * 500, 400, "nesting"),
            (json.dumps({"source": "x", "detail-type": "y", "detail": {"blob": "a" * 300000}}), 413, "256 KB"),
            ("x" * (4 * 1024 * 1024), 413, "TooLarge"),
        ]
        for body, status, needle in cases:
            r = self.riposte.post("/v1/events", body)
            self.assertEqual(r.status_code, status, (body[:40], r.text))
            self.assertIn(needle, r.text)
        # The server keeps serving, and nothing was stored.
        self.assertEqual(self.riposte.get("/healthz").status_code, 200)
        self.assertEqual(self.riposte.incidents(), [])
        # A batch with one bad item is rejected whole.
        good = localaws.guardduty_event(localaws.guardduty_finding(self.env.instance_id, severity=2.0))
        # One reading of an event: a key given twice (a matcher and a playbook could read
        # different values) is refused, nothing stored.
        twice = json.dumps(good)[:-1] + ', "detail": {"severity": 9}}'
        r = self.riposte.post("/v1/events", twice)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn('duplicate member name \\"detail\\"', r.text)
        r = self.riposte.post("/v1/events", [good, {"source": "x"}])
        self.assertEqual(r.status_code, 400)
        self.assertIn("event[1]", r.text)
        time.sleep(0.3)
        self.assertEqual(self.riposte.incidents(), [])

    def test_putevents_endpoint_with_the_aws_cli(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=2.0)
        entries = [{"Source": "aws.guardduty", "DetailType": "GuardDuty Finding", "Detail": json.dumps(finding)},
                   {"Source": "aws.guardduty", "DetailType": "GuardDuty Finding", "Detail": "{broken"}]
        env = self.riposte.aws_env()
        out = subprocess.run(["aws", "events", "put-events", "--endpoint-url", self.riposte.url,
                              "--entries", json.dumps(entries), "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        resp = json.loads(out.stdout)
        self.assertEqual(resp["FailedEntryCount"], 1)
        self.assertIn("EventId", resp["Entries"][0])
        self.assertEqual(resp["Entries"][1]["ErrorCode"], "MalformedDetail")
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "recorded")
        # TestEventPattern through the CLI too.
        out = subprocess.run(["aws", "events", "test-event-pattern", "--endpoint-url", self.riposte.url,
                              "--event-pattern", json.dumps({"source": ["aws.guardduty"], "detail": {"severity": [{"numeric": [">=", 7]}]}}),
                              "--event", json.dumps(localaws.guardduty_event(localaws.guardduty_finding("i-1", severity=8))),
                              "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["Result"], True)

    def test_release_undoes_the_containment(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=8.0, remote_ip="203.0.113.50")
        self.send(localaws.guardduty_event(finding))
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "contained")
        r = self.riposte.post(f"/v1/incidents/{inc['id']}/release", {"reason": "false positive"})
        self.assertEqual(r.status_code, 200, r.text)
        body = r.json()
        self.assertEqual(body["status"], "released")
        self.assertEqual(body["failed"], [])
        undone = {x["action"] for x in body["released"]}
        self.assertEqual(undone, {"aws.ec2.isolateInstance", "aws.ec2.blockIp",
                                  "aws.securityhub.importFindings"})
        # Observed through AWS: the recorded groups are back, the quarantine tags and the deny gone.
        self.assertEqual(self.env.instance_groups(), sorted([self.env.web_sg, self.env.app_sg]))
        self.assertNotIn("riposte:status", self.env.tags())
        self.assertFalse([e for e in self.env.nacl_entries() if e["CidrBlock"] == "203.0.113.50/32"])
        # The Security Hub finding of the response is archived (Security Hub cannot delete it).
        shf = [f for f in self.env.securityhub_findings() if inc["id"] in json.dumps(f)]
        self.assertEqual([f["RecordState"] for f in shf], ["ARCHIVED"])
        after = self.riposte.get("/v1/incidents/" + inc["id"]).json()
        self.assertEqual(after["status"], "released")
        # A second release changes nothing.
        again = self.riposte.post(f"/v1/incidents/{inc['id']}/release", "").json()
        self.assertEqual(again["released"], [])
        self.assertEqual(self.riposte.post("/v1/incidents/inc-nope/release", "").status_code, 404)
        # Who released it and why are in the audit log (the file sink of this config, if any,
        # reads the same records): checked through the store the server runs on.
        import sqlite3
        db = sqlite3.connect(self.riposte.store[len("sqlite://"):])
        rows = [json.loads(j) for (j,) in db.execute(
            "SELECT json FROM audit_log WHERE kind = 'incident.status' ORDER BY seq")]
        released = [r for r in rows if r["incident"]["status"] == "released"]
        self.assertEqual(len(released), 2)  # the release, and the second one that undid nothing
        self.assertEqual(released[0]["by"].split(" via ")[0], localaws.OPERATOR)
        self.assertEqual(released[0]["reason"], "false positive")
        # The same finding delivered again (a new EventBridge event, the same finding id) opens a
        # new incident and contains again: it never attaches to the released one.
        self.send(localaws.guardduty_event(finding))
        deadline = time.time() + 30
        while time.time() < deadline:
            fresh = [i for i in self.riposte.incidents()
                     if i["id"] != inc["id"] and i["status"] == "contained"]
            if fresh:
                break
            time.sleep(0.1)
        self.assertTrue(fresh, self.riposte.incidents())
        self.assertEqual(self.riposte.get("/v1/incidents/" + inc["id"]).json()["eventCount"], 1)

    def test_metrics_are_valid_prometheus_text(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=8.0))
        self.riposte.wait_incident(self.env.instance_id)
        self.riposte.post("/v1/events", "{bad")
        text = self.riposte.get("/metrics").text
        for name in ("riposte_events_received_total", "riposte_events_rejected_total",
                     "riposte_events_matched_total", "riposte_action_duration_seconds_bucket",
                     "riposte_time_to_contain_seconds_bucket", "riposte_executions_total"):
            self.assertIn(name, text)
        self.assertIn('riposte_incidents{status="contained"} 1', text)
        self.assertIn('riposte_executions{status="SUCCEEDED"} 1', text)
        out = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.riposte.get("/readyz").status_code, 200)

    def test_other_account_is_contained_through_its_assumed_role(self):
        import boto3
        other, role = "222222222222", "arn:aws:iam::222222222222:role/riposte-responder"
        creds = MOTO.client("sts").assume_role(RoleArn=role, RoleSessionName="setup")["Credentials"]

        class AsOther:  # moto keeps each account's state apart: build the estate as the role
            endpoint = MOTO.endpoint

            def client(self, service, region=localaws.REGION):
                return boto3.client(service, region_name=region, endpoint_url=MOTO.endpoint,
                                    aws_access_key_id=creds["AccessKeyId"],
                                    aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"])

        env2 = localaws.Environment(AsOther())
        cfg = tempfile.mkdtemp(prefix="riposte-accounts-")
        shutil.rmtree(cfg)
        shutil.copytree(os.path.join(ROOT, "config/default"), cfg)
        with open(os.path.join(cfg, "riposte.yaml")) as f:
            text = f.read()
        text = text.replace("  region: ${AWS_DEFAULT_REGION:-us-east-1}\n",
                            "  region: ${AWS_DEFAULT_REGION:-us-east-1}\n  accounts:\n"
                            f"    \"{other}\":\n      role_arn: {role}\n")
        with open(os.path.join(cfg, "riposte.yaml"), "w") as f:
            f.write(text)
        self.riposte.stop()
        r2 = localaws.Riposte(BINARY, cfg, MOTO, env={"RIPOSTE_SNS_TOPIC_ARN": env2.topic_arn})
        try:
            r2.post("/v1/events", localaws.guardduty_finding(env2.instance_id, severity=8.0, account=other))
            inc = r2.wait_incident(env2.instance_id)
            self.assertEqual(inc["status"], "contained", json.dumps(inc["timeline"], indent=1)[-3000:])
            self.assertEqual(inc["resource"]["account"], other)
            groups = env2.instance_groups()
            self.assertEqual(len(groups), 1)
            self.assertNotIn(groups[0], (env2.web_sg, env2.app_sg))
            # The base account's estate was not touched.
            self.assertEqual(self.env.instance_groups(), sorted([self.env.web_sg, self.env.app_sg]))
        finally:
            r2.stop()
            shutil.rmtree(cfg, ignore_errors=True)
        self.riposte.start()

    def test_events_survive_a_restart(self):
        # kill -9 right after the event is accepted: on restart it is processed.
        self.riposte.stop()
        self.riposte.env["RIPOSTE_DRY_RUN"] = "false"
        self.riposte.start()
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=2.0))
        self.riposte.proc.kill()
        self.riposte.proc.wait()
        self.riposte.log.close()
        self.riposte.start()
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "recorded")


if __name__ == "__main__":
    unittest.main(verbosity=2)
