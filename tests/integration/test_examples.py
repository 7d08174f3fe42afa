#!/usr/bin/env python3
"""The seeds' three scenarios, each a config dir in config/examples/, run through `riposte serve`
against moto_server; every effect is observed through AWS API calls."""
import json
import os
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import localaws  # noqa: E402
from guardduty_findings import access_key_finding  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


class Example(unittest.TestCase):
    CONFIG = ""

    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.riposte = localaws.Riposte(BINARY, os.path.join(ROOT, "config/examples", self.CONFIG), MOTO,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})

    def tearDown(self):
        self.riposte.stop()

    def send(self, finding):
        r = self.riposte.post("/v1/events", finding)
        self.assertEqual(r.status_code, 202, r.text)

    def assert_quarantined(self, instance_id=None):
        groups = self.env.instance_groups(instance_id)
        self.assertEqual(len(groups), 1, groups)
        self.assertNotIn(groups[0], (self.env.web_sg, self.env.app_sg))
        sg = self.env.security_group(groups[0])
        self.assertEqual(sg["IpPermissions"], [])
        self.assertEqual(sg["IpPermissionsEgress"], [])
        self.assertEqual(self.env.tags(instance_id).get("riposte:status"), "quarantined")

    def assert_untouched(self, instance_id=None):
        self.assertEqual(self.env.instance_groups(instance_id), sorted([self.env.web_sg, self.env.app_sg]))
        self.assertNotIn("riposte:status", self.env.tags(instance_id))
        self.assertEqual(self.env.instance(instance_id)["State"]["Name"], "running")

    def actions(self, inc):
        return sorted(e["action"] for e in inc["timeline"] if e["kind"] == "action")


class Seed000IsolateAndBlock(Example):
    CONFIG = "000-isolate-and-block"

    def test_isolates_blocks_notifies_and_logs(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=8.0, remote_ip="198.51.100.23",
                                             finding_type="UnauthorizedAccess:EC2/MaliciousIPCaller.Custom")
        self.send(finding)
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        self.assertEqual(inc["rule"], "unauthorized-access-ec2")
        self.assert_quarantined()
        deny = [e for e in self.env.nacl_entries()
                if not e["Egress"] and e["RuleAction"] == "deny" and e["CidrBlock"] == "198.51.100.23/32"]
        self.assertEqual(len(deny), 1)
        # In the range riposte owns, and recorded on the ACL as riposte's.
        self.assertTrue(1 <= deny[0]["RuleNumber"] <= 19, deny)
        acl = self.env.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [self.env.subnet_id]}])["NetworkAcls"][0]
        tags = {t["Key"]: t["Value"] for t in acl.get("Tags", [])}
        record = tags.get(f"riposte:nacl-rule:{deny[0]['RuleNumber']}", "")
        self.assertTrue(record.startswith("198.51.100.23/32 "), tags)
        self.assertTrue(record.endswith(" " + inc["id"]), record)
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1, msgs)
        for needle in ("198.51.100.23", self.env.instance_id, "isolateInstance", "blockIp"):
            self.assertIn(needle, msgs[0]["Message"])
        shf = [f for f in self.env.securityhub_findings() if inc["id"] in json.dumps(f)]
        self.assertEqual(len(shf), 1)
        self.assertEqual(self.actions(inc), ["aws.ec2.blockIp", "aws.ec2.isolateInstance",
                                             "aws.securityhub.importFindings", "aws.sns.publish"])

    def test_other_finding_types_are_not_handled(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=8.0,
                                             finding_type="CryptoCurrency:EC2/BitcoinTool.B!DNS"))
        time.sleep(1.0)
        self.assertEqual(self.riposte.incidents(), [])
        self.assert_untouched()


class Seed001SeverityBased(Example):
    CONFIG = "001-severity-based"

    def test_high_is_quarantined_not_stopped(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=8.5))
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        self.assert_quarantined()
        # Quarantine instead of stop: the instance keeps running for the investigation.
        self.assertEqual(self.env.instance()["State"]["Name"], "running")
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1)
        self.assertTrue(msgs[0]["Subject"].startswith("HIGH"), msgs[0])
        self.assertEqual(self.actions(inc), ["aws.ec2.isolateInstance", "aws.sns.publish"])

    def test_medium_and_low_only_notify(self):
        second = self.env.run_instance()
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=5.0))
        self.send(localaws.guardduty_finding(second, severity=2.0))
        for iid, band in ((self.env.instance_id, "MEDIUM"), (second, "LOW")):
            inc = self.riposte.wait_incident(iid)
            self.assertEqual(inc["status"], "notified", json.dumps(inc, indent=1))
            self.assertEqual(self.actions(inc), ["aws.sns.publish"])
            self.assert_untouched(iid)
        subjects = sorted(m["Subject"].split(":")[0] for m in self.env.messages())
        self.assertEqual(subjects, ["LOW", "MEDIUM"])

    def test_suppressed_type_opens_no_incident(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=8.0,
                                             finding_type="Recon:EC2/PortProbeUnprotectedPort"))
        time.sleep(1.0)
        self.assertEqual(self.riposte.incidents(), [])
        self.assert_untouched()
        self.assertEqual(self.env.messages(wait=1), [])


class Seed003StepFunctions(Example):
    CONFIG = "003-step-functions"

    def test_instance_finding_isolates_and_notifies(self):
        self.send(localaws.guardduty_finding(self.env.instance_id, severity=8.0))
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        self.assert_quarantined()
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0]["Subject"], "riposte: automated incident response")
        self.assertIn(f"instance {self.env.instance_id} isolated", msgs[0]["Message"])
        self.assertIn(inc["id"], msgs[0]["Message"])
        ex = self.riposte.get("/v1/executions/" + inc["executions"][0]["executionId"]).json()
        self.assertEqual(ex["status"], "SUCCEEDED")

    def test_access_key_finding_disables_every_key_of_the_user(self):
        iam = MOTO.client("iam")
        iam.create_user(UserName="bob")
        k1 = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
        k2 = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
        self.send(access_key_finding("bob", k1, severity=7.5))
        inc = self.riposte.wait_incident(k1)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]}
        self.assertEqual(keys, {k1: "Inactive", k2: "Inactive"})
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1)
        self.assertIn("access keys of bob disabled", msgs[0]["Message"])
        self.assertIn(k1, msgs[0]["Message"])
        self.assert_untouched()

    def test_failure_is_notified_and_fails_the_execution(self):
        self.send(localaws.guardduty_finding("i-0123456789abcdef0", severity=9.0))
        inc = self.riposte.wait_incident("i-0123456789abcdef0")
        self.assertEqual(inc["status"], "failed")
        # The playbook's own notification, and the failure alert of notifications.on_failure
        # (on by default, to the same topic), which its sink sends soon after.
        msgs, deadline = [], time.time() + 20
        while len(msgs) < 2 and time.time() < deadline:
            msgs += self.env.messages()
        self.assertEqual(len(msgs), 2, msgs)
        [own] = [m for m in msgs if not m["Subject"].startswith("riposte: Response failed")]
        self.assertIn("FAILED", own["Subject"])
        self.assertIn("InvalidInstanceID.NotFound", own["Message"])
        [alert] = [m for m in msgs if m["Subject"].startswith("riposte: Response failed")]
        self.assertIn(inc["id"], alert["Subject"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
