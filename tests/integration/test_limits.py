#!/usr/bin/env python3
"""A mass false positive against the blast-radius limits and the breaker (issue 11, "Proof").

moto plays AWS; the real `riposte serve` binary runs a configuration whose policies/ holds a
containment limit of 5 per 10 minutes per account (on_limit: dry_run) and an armed breaker.
200 high-severity GuardDuty findings about 200 running instances arrive in one burst:

- SQLite: `serve` is killed with SIGKILL in the middle of the burst (once the breaker has
  opened and its alert is out, while most findings are still waiting) and started again on the
  same store: the counters hold, and at most 5 instances are isolated in all.
- PostgreSQL: two `serve` processes (two workers) share one store (a PostgreSQL server the test
  starts) and split the burst between them: together they still isolate at most 5.

Checked through AWS (moto's DescribeInstances: which instances carry the quarantine group),
through the API (every other incident `limited`, its isolate action recorded `dry_run` with
riposte.LimitExceeded and the limit's or the breaker's reason; GET /v1/policy: the limit full,
the breaker open), /metrics, and the SNS topic's SQS queue (exactly one alert: the breaker's).
"""
import json
import os
import re
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
import localpg  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))

N = 200          # findings, one instance each
LIMIT = 5        # isolations per window
THRESHOLD = 20   # the breaker opens when more than this many executions attempted containment
LIMIT_NAME = "contain-per-account"
SETTLED = ("contained", "limited", "failed", "notified", "responded", "planned")

PLAYBOOK = {
    "Comment": "Isolate the instance a finding names.",
    "StartAt": "Isolate",
    "States": {
        "Isolate": {
            "Type": "Task",
            "Resource": "riposte:aws.ec2.isolateInstance",
            "Parameters": {"instanceId.$": "$.detail.resource.instanceDetails.instanceId"},
            "ResultPath": "$.isolate",
            "End": True,
        },
    },
}

RULE = """name: ec2-high
description: high-severity findings about an instance isolate it
enabled: true
playbook: isolate
event_pattern:
  source: ["aws.guardduty"]
  detail:
    resource: {resourceType: ["Instance"]}
    severity: [{"numeric": [">=", 7]}]
"""

POLICIES = f"""limits:
  - name: {LIMIT_NAME}
    role: contain
    per: account
    max: {LIMIT}
    window: 10m
    on_limit: dry_run
breaker:
  threshold: {THRESHOLD}
  window: 10m
  on_limit: dry_run
"""

CONFIG = """store: sqlite:///tmp/unused.db
listen: 127.0.0.1:0
log:
  level: info
  format: json
aws:
  region: us-east-1
notifications:
  sns_topic_arn: {topic}
safety:
  dry_run: false
  protected_tag: riposte:protected=true
"""


def write_config(base: str, topic: str) -> str:
    cfg = os.path.join(base, "config")
    for d in ("playbooks", "rules", "policies"):
        os.makedirs(os.path.join(cfg, d))
    with open(os.path.join(cfg, "riposte.yaml"), "w") as f:
        f.write(CONFIG.format(topic=topic))
    with open(os.path.join(cfg, "playbooks", "isolate.asl.json"), "w") as f:
        json.dump(PLAYBOOK, f, indent=1)
    with open(os.path.join(cfg, "rules", "ec2-high.yaml"), "w") as f:
        f.write(RULE)
    with open(os.path.join(cfg, "policies", "limits.yaml"), "w") as f:
        f.write(POLICIES)
    return cfg


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample of the Prometheus text (0 when absent)."""
    pat = re.compile(r"^" + re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else r"(\{[^}]*\})?")
                     + r" (\S+)$", re.M)
    return sum(float(m.group(m.lastindex)) for m in pat.finditer(text))


class MassFalsePositive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = localaws.MotoServer()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.moto.reset()
        self.env = localaws.Environment(self.moto)
        r = self.env.ec2.run_instances(ImageId=localaws.AMI, MinCount=N, MaxCount=N, InstanceType="t3.micro",
                                       SubnetId=self.env.subnet_id, SecurityGroupIds=[self.env.web_sg])
        self.instances = sorted(i["InstanceId"] for i in r["Instances"])
        self.assertEqual(len(self.instances), N)
        self.env.ec2.describe_instances()  # pending → running
        self.base = tempfile.mkdtemp(prefix="riposte-limits-")
        self.config = write_config(self.base, self.env.topic_arn)
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.stop()

    # --- helpers ---
    def burst(self, instances) -> list:
        return [localaws.guardduty_event(localaws.guardduty_finding(i, severity=8.0, remote_ip=None))
                for i in instances]

    def incidents(self, riposte) -> list:
        r = riposte.get("/v1/incidents?limit=1000")
        r.raise_for_status()
        return r.json()["incidents"]

    def wait_settled(self, riposte, timeout: float = 240) -> list:
        deadline = time.time() + timeout
        while True:
            incs = self.incidents(riposte)
            if len(incs) == N and all(i["status"] in SETTLED for i in incs):
                return incs
            if time.time() > deadline:
                by = {}
                for i in incs:
                    by[i["status"]] = by.get(i["status"], 0) + 1
                self.fail(f"{len(incs)} incidents, by status {by}, not settled in {timeout}s\n"
                          + riposte.logs()[-3000:])
            time.sleep(0.25)

    def isolated(self) -> list:
        """The instances moto says are no longer in their own group (moved to the quarantine)."""
        out = []
        pages = self.env.ec2.get_paginator("describe_instances").paginate(InstanceIds=self.instances)
        for page in pages:
            for res in page["Reservations"]:
                for inst in res["Instances"]:
                    groups = [g["GroupId"] for g in inst["SecurityGroups"]]
                    if groups != [self.env.web_sg]:
                        out.append((inst["InstanceId"], groups))
        return out

    def check_outcome(self, api, incs):
        """What AWS, the API, /metrics and the alert queue show once the burst is settled."""
        # AWS: at most LIMIT instances isolated, each into one group that is not its own.
        isolated = self.isolated()
        self.assertLessEqual(len(isolated), LIMIT, isolated)
        self.assertGreaterEqual(len(isolated), 1, "the limit let nothing act")
        quarantine = {g for _, groups in isolated for g in groups}
        self.assertEqual(len(quarantine), 1, isolated)
        self.assertNotIn(self.env.web_sg, quarantine)
        sg = self.env.security_group(quarantine.pop())
        self.assertEqual(sg["IpPermissions"], [])
        self.assertEqual(sg["IpPermissionsEgress"], [])

        # The API: the contained incidents are the isolated instances; every other one is
        # `limited`, its isolate recorded as a dry run refused by the limit or the breaker.
        by_status = {}
        for i in incs:
            by_status.setdefault(i["status"], []).append(i)
        self.assertEqual(sorted(i["resource"]["id"] for i in by_status.get("contained", [])),
                         sorted(i for i, _ in isolated), by_status.keys())
        self.assertEqual(len(by_status.get("limited", [])), N - len(isolated), {k: len(v) for k, v in by_status.items()})
        reasons = {"limit": 0, "breaker": 0}
        for inc in by_status["limited"]:
            full = api.get("/v1/incidents/" + inc["id"]).json()
            acts = [e for e in full["timeline"] if e["kind"] == "action"]
            self.assertEqual(len(acts), 1, acts)
            a = acts[0]
            self.assertEqual(a["action"], "aws.ec2.isolateInstance")
            self.assertEqual(a["status"], "dry_run", a)
            self.assertFalse(a["changed"])
            self.assertEqual(a["error"], "riposte.LimitExceeded", a)
            self.assertIn("on_limit dry_run: planned only, nothing changed", a["message"])
            self.assertTrue(a["summary"].startswith("not acted: "), a["summary"])
            if f"limit '{LIMIT_NAME}'" in a["message"]:
                reasons["limit"] += 1
                self.assertIn(f"is full for account={localaws.ACCOUNT}: {LIMIT} of {LIMIT} taken", a["message"])
            else:
                reasons["breaker"] += 1
                self.assertIn("the circuit breaker is open", a["message"])
            # The plan is kept: what the isolation would have done.
            self.assertIn("plan:", a["summary"])
        self.assertEqual(reasons["limit"] + reasons["breaker"], N - len(isolated))

        # GET /v1/policy: the limit's level, the breaker open with why.
        pol = api.get("/v1/policy").json()
        lim = [l for l in pol["limits"] if l["name"] == LIMIT_NAME]
        self.assertEqual(len(lim), 1, pol)
        self.assertEqual(lim[0]["levels"], [{"key": f"account={localaws.ACCOUNT}", "count": len(isolated)}])
        self.assertEqual(lim[0]["max"], LIMIT)
        self.assertEqual(lim[0]["onLimit"], "dry_run")
        b = pol["breaker"]
        self.assertTrue(b["armed"])
        self.assertEqual(b["state"], "open", b)
        self.assertIn(f"threshold {THRESHOLD}", b["openedReason"])
        self.assertGreater(b["count"], THRESHOLD)

        # /metrics of this worker: the breaker open, the usage, refusals counted.
        m = api.get("/metrics").text
        self.assertEqual(metric(m, "riposte_limit_breaker_open"), 1)
        self.assertEqual(metric(m, "riposte_limit_usage", f'limit="{LIMIT_NAME}",key="account={localaws.ACCOUNT}"'),
                         len(isolated))
        self.assertEqual(metric(m, "riposte_limit_max", f'limit="{LIMIT_NAME}"'), LIMIT)
        self.assertGreater(metric(m, "riposte_limit_breaker_attempts"), THRESHOLD)
        self.assertGreater(metric(m, "riposte_limit_refused_total"), 0)
        out = subprocess.run(["promtool", "check", "metrics"], input=m, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

        # The alert queue: the breaker's alert, sent from its breaker.opened audit record by the
        # breaker sink (at least once: a copy sent again after the kill carries the same dedup
        # id), and nothing else.
        msgs, deadline = [], time.time() + 20
        while not msgs and time.time() < deadline:
            msgs += self.env.messages(wait=2)
        msgs += self.env.messages(wait=2)
        self.assertGreaterEqual(len(msgs), 1, msgs)
        self.assertEqual({m["Subject"] for m in msgs}, {"riposte: circuit breaker opened"}, msgs)
        self.assertEqual(len({m["MessageAttributes"]["riposte-dedup-id"]["Value"] for m in msgs}), 1,
                         msgs)
        self.assertIn("Action: aws.ec2.isolateInstance", msgs[0]["Message"])
        self.assertIn("riposte breaker close", msgs[0]["Message"])
        return isolated

    # --- the tests ---
    def test_burst_with_kill9_on_sqlite(self):
        db = os.path.join(self.base, "riposte.db")
        api = localaws.Riposte(BINARY, self.config, self.moto, store=f"sqlite://{db}", workdir=self.base)
        self.workers.append(api)
        r = api.post("/v1/events", self.burst(self.instances))
        self.assertEqual(r.status_code, 202, r.text)
        self.assertEqual(r.json()["accepted"], N)

        # In the middle of the burst: the breaker open and its alert sent, most findings waiting.
        deadline = time.time() + 120
        while True:
            m = api.get("/metrics").text
            if metric(m, "riposte_limit_breaker_alerts_total", 'outcome="recorded"') >= 1:
                break
            self.assertLess(time.time(), deadline, "the breaker did not open\n" + api.logs()[-3000:])
            time.sleep(0.02)
        settled = sum(i["status"] in SETTLED for i in self.incidents(api))
        api.proc.send_signal(signal.SIGKILL)
        api.proc.wait()
        api.log.close()
        print(f"killed with {settled} of {N} incidents settled", flush=True)
        self.assertLess(settled, N // 2, "the burst was over before the kill: nothing was tested")
        with sqlite3.connect(db) as c:
            places = c.execute("SELECT count(*) FROM limit_places").fetchone()[0]
        self.assertLessEqual(places, LIMIT)

        api.start()  # the same store: the counters and the breaker are read from it
        incs = self.wait_settled(api)
        isolated = self.check_outcome(api, incs)
        with sqlite3.connect(db) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM limit_places").fetchone()[0], len(isolated))
        print(f"isolated {len(isolated)} of {N}; the rest limited", flush=True)

    def test_two_workers_on_one_postgresql_store(self):
        pg = localpg.Postgres()
        try:
            store = pg.url()
            w1 = localaws.Riposte(BINARY, self.config, self.moto, store=store, env={"RIPOSTE_WORKER_ID": "w1"},
                                  workdir=tempfile.mkdtemp(prefix="riposte-w1-"))
            self.workers.append(w1)
            w2 = localaws.Riposte(BINARY, self.config, self.moto, store=store, env={"RIPOSTE_WORKER_ID": "w2"},
                                  workdir=tempfile.mkdtemp(prefix="riposte-w2-"))
            self.workers.append(w2)
            events = self.burst(self.instances)
            for w, part in ((w1, events[0::2]), (w2, events[1::2])):
                r = w.post("/v1/events", part)
                self.assertEqual(r.status_code, 202, r.text)
            incs = self.wait_settled(w1)
            self.wait_settled(w2)
            isolated = self.check_outcome(w1, incs)
            places = int(pg.psql("SELECT count(*) FROM limit_places").strip())
            self.assertEqual(places, len(isolated))
            # Both workers ran containment attempts that the shared counters refused.
            for w in (w1, w2):
                self.assertIn("destructive action refused by a limit", w.logs(), w.workdir)
            print(f"two workers isolated {len(isolated)} of {N}; the rest limited", flush=True)
        finally:
            for w in self.workers:
                w.stop()
            self.workers = []
            pg.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
