#!/usr/bin/env python3
"""Reload without a restart: `riposte serve` (on a copy of config/default, against moto_server)
gets a broken configuration by SIGHUP and keeps running the old one, reporting every problem in
its log and through POST /v1/reload; then a good one, whose new rule fires on the next event —
while a client posts events in a loop through both reloads and sees every request answered 2xx
and every event stored. SIGTERM then stops it cleanly, in order.
"""
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import unittest
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None

PROBE_RULE = """name: reload-probe
description: Added by a reload; notifies about probe events.
playbook: notify-only
event_pattern:
  source: ["reload.probe"]
"""
BROKEN_RULE = """name: broken
event_pattern:
  detail:
    severity: [{"numeric": [">", 0, ">", 0]}]
"""


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


def log_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # the loader's own warnings on stderr, not JSON
    return out


class Client(threading.Thread):
    """Posts one event after another over a kept-alive connection, recording every answer."""

    def __init__(self, url, headers):
        super().__init__(daemon=True)
        self.url = url
        self.headers = dict(headers, **{"Content-Type": "application/json"})
        self.stop = threading.Event()
        self.sent = []  # (event id, HTTP status or the exception's text, time)

    def run(self):
        with requests.Session() as s:
            n = 0
            while not self.stop.is_set():
                n += 1
                eid = f"tick-{n}-{uuid.uuid4()}"
                ev = {"id": eid, "source": "reload.client", "detail-type": "Tick",
                      "resources": [f"arn:tick:{n}"], "detail": {"n": n}}
                try:
                    r = s.post(self.url + "/v1/events", data=json.dumps(ev), timeout=30,
                               headers=self.headers)
                    status = r.status_code
                except requests.RequestException as e:
                    status = repr(e)
                self.sent.append((eid, status, time.time()))
                time.sleep(0.005)

    def sent_between(self, t0, t1):
        return [x for x in self.sent if t0 <= x[2] <= t1]


class Reload(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.dir = tempfile.mkdtemp(prefix="riposte-reload-")
        self.config = os.path.join(self.dir, "config")
        shutil.copytree(os.path.join(ROOT, "config/default"), self.config)
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, workdir=self.dir,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})

    def tearDown(self):
        self.riposte.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_log(self, predicate, after=0, timeout=15.0):
        """The first JSON log line (of those after the first `after`) for which predicate holds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = log_lines(self.riposte.logs())
            for line in lines[after:]:
                if predicate(line):
                    return line
            time.sleep(0.05)
        self.fail("no such log line within %ss:\n%s" % (timeout, self.riposte.logs()[-4000:]))

    def post_probe(self, n):
        probe = {"id": f"probe-{n}-{uuid.uuid4()}", "source": "reload.probe",
                 "detail-type": "Probe", "resources": [f"arn:probe:{n}"],
                 "detail": {"id": f"probe-{n}", "type": "Reload:Probe/NewRule", "title": "probe",
                            "severity": 5}}
        r = self.riposte.post("/v1/events", probe)
        self.assertEqual(r.status_code, 202, r.text)
        return probe

    def post_low_finding(self, instance_id):
        """A low-severity GuardDuty finding (the shipped rule guardduty-low records it): its
        settled incident."""
        ev = localaws.guardduty_event(localaws.guardduty_finding(instance_id, severity=2.0))
        r = self.riposte.post("/v1/events", ev)
        self.assertEqual(r.status_code, 202, r.text)
        return self.riposte.wait_incident(instance_id)

    def test_broken_then_good_config_through_sighup_without_dropping_a_request(self):
        proc = self.riposte.proc
        start = self.wait_log(lambda l: l.get("msg") == "riposte serving")
        # What it runs, at start: the shipped configuration's counts, dry run, store, listen.
        self.assertEqual((start["rules"], start["playbooks"], start["dry_run"]), ("4", "4", "false"))
        self.assertEqual(start["store"], self.riposte.store)
        self.assertEqual(start["listen"], f"127.0.0.1:{self.riposte.port}")

        client = Client(self.riposte.url, self.riposte.auth())
        client.start()
        time.sleep(0.5)

        # 1. A broken directory (and a good rule beside it, which must not be applied alone).
        with open(os.path.join(self.config, "rules", "probe.yaml"), "w") as f:
            f.write(PROBE_RULE)
        with open(os.path.join(self.config, "rules", "broken.yaml"), "w") as f:
            f.write(BROKEN_RULE)
        t_broken = time.time()
        before = len(log_lines(self.riposte.logs()))
        proc.send_signal(signal.SIGHUP)
        refused = self.wait_log(lambda l: l.get("msg", "").startswith("configuration reload refused"),
                                after=before)
        self.assertEqual(refused["trigger"], "SIGHUP")
        problem = self.wait_log(lambda l: l.get("msg") == "reload problem", after=before)
        # file:line:column: path: message, at the offending value, with the path in the pattern
        self.assertRegex(problem["problem"],
                         r"rules/broken\.yaml:4:16: event_pattern\.detail\.severity\[0\]: "
                         r"Bad numeric range operator")
        self.assertIsNone(proc.poll(), "riposte must keep running")
        r = self.riposte.post("/v1/reload", "")
        self.assertEqual(r.status_code, 422, r.text)
        body = r.json()
        self.assertEqual(body["error"], "InvalidConfig")
        self.assertEqual(len(body["problems"]), 1, body)
        self.assertTrue(body["problems"][0].startswith(os.path.join(self.config, "rules/broken.yaml:")),
                        body["problems"])
        self.assertEqual(body["problems"][0], problem["problem"])  # the log says the same
        self.assertEqual(body["running"]["rules"], 4)  # the old configuration, whole
        self.post_probe(1)
        # The old configuration still runs: one of its rules fires on the next event.
        old = self.post_low_finding("i-0aaaaaaaaaaaaaa01")
        self.assertEqual((old["rule"], old["status"]), ("guardduty-low", "recorded"))
        time.sleep(1.0)
        self.assertFalse([i for i in self.riposte.incidents() if i["rule"] == "reload-probe"])
        time.sleep(0.3)

        # 2. The directory fixed: the new rule fires on the next event, and runs its playbook.
        os.remove(os.path.join(self.config, "rules", "broken.yaml"))
        t_good = time.time()
        before = len(log_lines(self.riposte.logs()))
        proc.send_signal(signal.SIGHUP)
        reloaded = self.wait_log(lambda l: l.get("msg") == "configuration reloaded", after=before)
        self.assertEqual((reloaded["trigger"], reloaded["rules"], reloaded["playbooks"]),
                         ("SIGHUP", "5", "4"))
        self.assertEqual(reloaded["store"], self.riposte.store)
        probe = self.post_probe(2)
        inc = self.riposte.wait_incident("arn:probe:2")
        self.assertEqual((inc["rule"], inc["playbook"], inc["status"]),
                         ("reload-probe", "notify-only", "notified"))
        msgs = self.env.messages()
        self.assertEqual(len(msgs), 1, msgs)
        self.assertIn(probe["detail"]["type"], msgs[0]["Message"])
        # The rules it kept run beside the new one.
        old = self.post_low_finding("i-0aaaaaaaaaaaaaa02")
        self.assertEqual((old["rule"], old["status"]), ("guardduty-low", "recorded"))
        # POST /v1/reload of the same directory: swapped in again, nothing to restart.
        r = self.riposte.post("/v1/reload", "")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["running"]["rules"], 5)
        self.assertEqual(r.json()["restarted"]["sinksStarted"], [])
        time.sleep(0.5)
        t_end = time.time()

        client.stop.set()
        client.join(30)
        # Every request answered 2xx, through both reloads.
        self.assertGreater(len(client.sent_between(t_broken - 0.5, t_broken + 0.5)), 5)
        self.assertGreater(len(client.sent_between(t_good - 0.5, t_good + 0.5)), 5)
        bad = [x for x in client.sent if x[1] != 202]
        self.assertEqual(bad, [], "requests not accepted")
        self.assertGreater(len(client.sent_between(t_broken, t_end)), 50)

        # 3. SIGTERM: a clean stop, services in reverse order.
        before = len(log_lines(self.riposte.logs()))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(20), 0)
        lines = log_lines(self.riposte.logs())[before:]
        self.assertEqual([l["signal"] for l in lines if l.get("msg") == "shutting down"], ["SIGTERM"])
        stopped = [l["service"] for l in lines if l.get("msg") == "service stopped"]
        self.assertEqual(stopped, ["http", "pollers", "sinks", "engine", "store"])
        self.assertEqual(lines[-1]["msg"], "riposte stopped")

        # Every event the client was told was accepted is in the store.
        db = sqlite3.connect(self.riposte.store[len("sqlite://"):])
        try:
            stored = {row[0] for row in db.execute("SELECT id FROM events WHERE source = 'reload.client'")}
        finally:
            db.close()
        missing = [x[0] for x in client.sent if x[0] not in stored]
        self.assertEqual(missing, [])
        self.assertEqual(len(stored), len(client.sent))


    def test_a_second_stop_signal_exits_at_once(self):
        # A queue long-polled for 20 s: stopping waits for the poll in flight to end...
        q = self.env.sqs.create_queue(QueueName="findings-in")["QueueUrl"]
        with open(os.path.join(self.config, "riposte.yaml"), "a") as f:
            f.write("sources:\n  sqs:\n    - {queue_url: \"%s\", wait_seconds: 20}\n" % q)
        self.riposte.stop()
        self.riposte.start()
        proc = self.riposte.proc
        self.wait_log(lambda l: l.get("msg") == "polling SQS queue")
        time.sleep(0.5)
        before = len(log_lines(self.riposte.logs()))
        proc.send_signal(signal.SIGTERM)
        self.wait_log(lambda l: l.get("msg") == "service stopped" and l["service"] == "http",
                      after=before)
        self.assertIsNone(proc.poll())  # ...in the pollers' stop
        # ...unless asked twice: then it exits at once (the store holds what was accepted).
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(5), 1)
        lines = log_lines(self.riposte.logs())[before:]
        self.assertIn("second stop signal: exiting without waiting for the services",
                      [l.get("msg") for l in lines])

if __name__ == "__main__":
    unittest.main(verbosity=2)
