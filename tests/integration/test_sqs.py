#!/usr/bin/env python3
"""The SQS source: findings routed by an EventBridge rule (in moto) to a queue that riposte polls."""
import json
import os
import shutil
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


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


class SqsSource(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.events = MOTO.client("events")
        self.inbox_url = self.env.sqs.create_queue(QueueName="guardduty-findings")["QueueUrl"]
        inbox_arn = self.env.sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name="guardduty-to-riposte",
                             EventPattern=json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}))
        self.events.put_targets(Rule="guardduty-to-riposte", Targets=[{"Id": "riposte", "Arn": inbox_arn}])
        self.config = tempfile.mkdtemp(prefix="riposte-sqs-config-")
        shutil.rmtree(self.config)
        shutil.copytree(os.path.join(ROOT, "config/default"), self.config)
        with open(os.path.join(self.config, "riposte.yaml"), "a") as f:
            f.write(f"\nsources:\n  sqs:\n    - queue_url: {self.inbox_url}\n      region: us-east-1\n      wait_seconds: 1\n")
            self.audit_file = os.path.join(self.config, "audit.jsonl")
            f.write(f"\nsinks:\n  - type: file\n    name: archive\n    path: {self.audit_file}\n")
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})

    def tearDown(self):
        self.riposte.stop()
        shutil.rmtree(self.config, ignore_errors=True)

    def queue_depth(self):
        attrs = self.env.sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def test_eventbridge_rule_to_queue_to_containment(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=8.0)
        r = self.events.put_events(Entries=[{"Source": "aws.guardduty", "DetailType": "GuardDuty Finding",
                                             "Detail": json.dumps(finding)}])
        self.assertEqual(r["FailedEntryCount"], 0)
        inc = self.riposte.wait_incident(self.env.instance_id)
        self.assertEqual(inc["status"], "contained")
        self.assertEqual(inc["timeline"][0]["channel"], "sqs")
        self.assertEqual(len(self.env.instance_groups()), 1)
        # The message was deleted once stored.
        deadline = time.time() + 5
        while self.queue_depth() and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.queue_depth(), 0)
        # The audit log reached the file sink through `riposte serve`.
        deadline = time.time() + 10
        kinds = set()
        while time.time() < deadline:
            if os.path.exists(self.audit_file):
                with open(self.audit_file) as f:
                    kinds = {json.loads(line).get("kind") for line in f if line.strip()}
                if "action.finished" in kinds and "incident.opened" in kinds:
                    break
            time.sleep(0.1)
        self.assertIn("incident.opened", kinds)
        self.assertIn("action.finished", kinds)
        self.assertIn("riposte_sink_backlog", self.riposte.get("/metrics").text)

    def test_bare_finding_and_sns_envelope_and_bad_message(self):
        low = localaws.guardduty_finding(self.env.instance_id, severity=2.0)
        self.env.sqs.send_message(QueueUrl=self.inbox_url, MessageBody=json.dumps(low))
        other = self.env.run_instance()
        wrapped = {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                   "Message": json.dumps(localaws.guardduty_event(localaws.guardduty_finding(other, severity=5.0)))}
        self.env.sqs.send_message(QueueUrl=self.inbox_url, MessageBody=json.dumps(wrapped))
        self.env.sqs.send_message(QueueUrl=self.inbox_url, MessageBody="{not json")
        self.assertEqual(self.riposte.wait_incident(self.env.instance_id)["status"], "recorded")
        self.assertEqual(self.riposte.wait_incident(other)["status"], "notified")
        # The message riposte cannot read is left for the queue's redrive policy, not dropped.
        time.sleep(1.5)
        self.assertEqual(self.queue_depth(), 1)
        self.assertIn("sqs message rejected", self.riposte.logs())


if __name__ == "__main__":
    unittest.main(verbosity=2)
