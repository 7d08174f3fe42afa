#!/usr/bin/env python3
"""Suppressions end to end, driving the riposte binary against moto_server.

`riposte serve` runs on a copy of config/default with a suppression in policies/*.yaml; more
are made at run time through POST /v1/suppressions and with `riposte suppress` on the same
store (the CLI writes the store the server reads, as `breaker close` does). Each silenced event
is stored and marked with its suppression's name (GET /v1/events/{id}), opens no incident and
touches nothing in AWS (checked through the EC2 API); an expired one stops applying by itself,
and the store's ones survive a restart. Then `replay`, `simulate` and `coverage` on the same
configuration show what is suppressed and what no rule handles.
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
import uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
MOTO = None
TOPIC = "arn:aws:sns:us-east-1:123456789012:security-alerts"

POLICY = """suppressions:
  - name: lab-host
    reason: Lab instance, attacked on purpose (CHG-1001)
    owner: secops@example.com
    match:
      scope:
        resource_ids: [{lab}]
"""


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


def cli(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e["RIPOSTE_SNS_TOPIC_ARN"] = TOPIC
    e["USER"] = "tester"
    e.update(env or {})
    return subprocess.run([BINARY, *args], env=e, capture_output=True, text=True, timeout=120)


def config_with(policy_text):
    d = tempfile.mkdtemp(prefix="riposte-suppress-")
    cfg = os.path.join(d, "config")
    shutil.copytree(os.path.join(ROOT, "config/default"), cfg)
    os.makedirs(os.path.join(cfg, "policies"), exist_ok=True)
    with open(os.path.join(cfg, "policies", "suppressions.yaml"), "w") as f:
        f.write(policy_text)
    return d, cfg


class Serve(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.lab = self.env.run_instance()
        self.dir, self.config = config_with(POLICY.format(lab=self.lab))
        self.store = f"sqlite://{self.dir}/riposte.db"
        self.riposte = localaws.Riposte(BINARY, self.config, MOTO, workdir=self.dir,
                                        store=self.store,
                                        env={"RIPOSTE_SNS_TOPIC_ARN": self.env.topic_arn})

    def tearDown(self):
        self.riposte.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def send(self, instance_id, finding_type="UnauthorizedAccess:EC2/SSHBruteForce"):
        """Posts a high-severity finding; returns the event once the engine has processed it."""
        ev = localaws.guardduty_event(localaws.guardduty_finding(
            instance_id, severity=8.0, finding_type=finding_type, finding_id=uuid.uuid4().hex))
        r = self.riposte.post("/v1/events", ev)
        self.assertEqual(r.status_code, 202, r.text)
        deadline = time.time() + 20
        while time.time() < deadline:
            got = self.riposte.get("/v1/events/" + ev["id"])
            if got.status_code == 200 and got.json()["status"] != "pending":
                return got.json()
            time.sleep(0.05)
        self.fail("event %s not processed:\n%s" % (ev["id"], self.riposte.logs()[-3000:]))

    def assert_suppressed(self, event, name):
        self.assertEqual(event["status"], "suppressed", json.dumps(event, indent=1))
        self.assertEqual(event["suppression"]["name"], name)
        self.assertIn("suppressed by '%s'" % name, event["summary"])

    def suppress(self, *args):
        return cli("suppress", *args, "--config", self.config, "--store", self.store)

    def incidents_about(self, instance_id):
        return [i for i in self.riposte.incidents() if i["resource"]["id"] == instance_id]

    def audit(self, kind):
        db = sqlite3.connect(self.store[len("sqlite://"):])
        try:
            rows = db.execute("SELECT json FROM audit_log WHERE kind = ? ORDER BY seq",
                              (kind,)).fetchall()
        finally:
            db.close()
        return [json.loads(r[0]) for r in rows]

    def test_by_config_api_and_cli_with_expiry_and_a_restart(self):
        web = self.env.instance_id
        groups_before = self.env.instance_groups(web)

        # 1. The configuration's suppression: stored, marked, nothing done to the instance.
        ev = self.send(self.lab)
        self.assert_suppressed(ev, "lab-host")
        self.assertEqual(ev["suppression"]["source"], "config")
        self.assertEqual(ev["suppression"]["reason"], "Lab instance, attacked on purpose (CHG-1001)")
        self.assertEqual(ev["matchedRules"], ["guardduty-ec2-high"])
        self.assertEqual(self.incidents_about(self.lab), [])
        metrics = self.riposte.get("/metrics").text
        self.assertIn('riposte_events_suppressed_total{suppression="lab-host"} 1', metrics)

        # 2. One made through the API, audited as its requester: a token with the admin scope
        # (carol's may read and respond only).
        body = {"name": "portscans", "reason": "our own scanner", "expires": "7d",
                "match": {"pattern": {"detail": {"type": ["Recon:EC2/Portscan"]}}}}
        r = self.riposte.post("/v1/suppressions", body, as_="carol")
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("'admin' scope", r.json()["message"])
        r = self.riposte.post("/v1/suppressions", body)
        self.assertEqual(r.status_code, 201, r.text)
        self.assert_suppressed(self.send(web, "Recon:EC2/Portscan"), "portscans")

        # 3. One made with the CLI on the server's store, expiring in a few seconds.
        until = (datetime.now(timezone.utc) + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
        r = self.suppress("--type", "UnauthorizedAccess:EC2/TorClient", "--resource", web,
                          "--until", until, "--reason", "Tor test from the office", "--by", "dave")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("suppression 'unauthorizedaccess-ec2-torclient' created", r.stdout)
        self.assertIn('type is "UnauthorizedAccess:EC2/TorClient", about ' + web, r.stdout)
        ev = self.send(web, "UnauthorizedAccess:EC2/TorClient")
        self.assert_suppressed(ev, "unauthorizedaccess-ec2-torclient")
        self.assertEqual(ev["suppression"]["createdBy"], "dave via cli")
        self.assertEqual(ev["suppression"]["owner"], "dave")
        self.assertEqual(self.incidents_about(web), [])
        self.assertEqual(self.env.instance_groups(web), groups_before)

        listed = {s["name"]: s for s in self.riposte.get("/v1/suppressions").json()["suppressions"]}
        self.assertEqual(set(listed), {"lab-host", "portscans", "unauthorizedaccess-ec2-torclient"})
        self.assertEqual(listed["lab-host"]["file"], "policies/suppressions.yaml")
        self.assertEqual(listed["portscans"]["createdBy"].split(" via ")[0], localaws.OPERATOR)

        # Expired, it stops applying by itself: the next Tor finding is contained.
        deadline = time.time() + 30
        while not listed["unauthorizedaccess-ec2-torclient"]["expired"]:
            self.assertLess(time.time(), deadline, "the suppression never expired")
            time.sleep(0.2)
            listed = {s["name"]: s for s in self.riposte.get("/v1/suppressions").json()["suppressions"]}
        ev = self.send(web, "UnauthorizedAccess:EC2/TorClient")
        self.assertEqual(ev["status"], "processed", json.dumps(ev, indent=1))
        inc = self.riposte.wait_incident(web)
        self.assertEqual(inc["status"], "contained", json.dumps(inc, indent=1))
        self.assertIsNone(inc["suppressedNow"])

        # 4. A restart: the store's suppressions still apply.
        self.riposte.stop()
        self.riposte.start()
        self.assert_suppressed(self.send(self.lab), "lab-host")
        ev = self.send(self.lab, "Recon:EC2/Portscan")
        self.assert_suppressed(ev, "lab-host")  # the configuration's come first
        self.assert_suppressed(self.send(web, "Recon:EC2/Portscan"), "portscans")

        # 5. The CLI lists and deletes; the configuration's cannot be deleted there.
        r = self.suppress("list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({s["name"] for s in json.loads(r.stdout)["suppressions"]}, set(listed))
        r = self.suppress("list")
        self.assertIn("portscans  (store, until ", r.stdout)
        self.assertIn("reason:  our own scanner", r.stdout)
        self.assertIn("EXPIRED", r.stdout)
        r = self.suppress("delete", "lab-host", "--reason", "no")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NotDeletable", r.stderr)
        self.assertIn("policies/suppressions.yaml", r.stderr)
        r = self.suppress("delete", "portscans", "--reason", "scanner retired", "--by", "erin")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.suppress("delete", "portscans", "--reason", "again")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no suppression named 'portscans'", r.stderr)
        ev = self.send(web, "Recon:EC2/Portscan")
        self.assertEqual(ev["status"], "processed", json.dumps(ev, indent=1))

        # Who, when, why: in the audit log.
        created = {a["name"]: a for a in self.audit("suppression.created")}
        self.assertEqual(created["portscans"]["by"].split(" via ")[0], localaws.OPERATOR)
        self.assertEqual(created["unauthorizedaccess-ec2-torclient"]["by"], "dave via cli")
        self.assertEqual(created["unauthorizedaccess-ec2-torclient"]["reason"],
                         "Tor test from the office")
        deleted = self.audit("suppression.deleted")
        self.assertEqual([(d["name"], d["by"], d["reason"]) for d in deleted],
                         [("portscans", "erin via cli", "scanner retired")])

    def test_cli_refuses_what_it_cannot_read_exactly(self):
        r = self.suppress("--type", "Recon:EC2/Portscan", "--reason", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--no-expiry", r.stderr)
        r = self.suppress("--type", "Recon:EC2/Portscan", "--for", "7 days", "--reason", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--for/--until", r.stderr)
        r = self.suppress("--type", "Recon:EC2/Portscan", "--for", "7d")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--reason", r.stderr)
        r = self.suppress("--name", "lab-host", "--type", "Recon:EC2/Portscan", "--for", "1d",
                          "--reason", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("Conflict", r.stderr)
        self.assertIn("--name", r.stderr)
        r = self.suppress("--type", "Recon:EC2/Portscan", "--account", "12345", "--for", "1d",
                          "--reason", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--account", r.stderr)
        r = self.suppress("--type", "Nope:EC2/Unheard", "--for", "1d", "--reason", "typo?")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("not a GuardDuty finding type riposte knows", r.stderr)


class Offline(unittest.TestCase):
    """replay, simulate and coverage: no server, no AWS."""

    @classmethod
    def setUpClass(cls):
        cls.dir, cls.config = config_with("""suppressions:
  - name: no-portscans
    reason: Our own scanner
    owner: netops
    match:
      pattern: {detail: {type: ["Recon:EC2/Portscan"]}}
""")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def sample(self, *types, count=None):
        args = ["findings", "sample", "--format", "event", "--seed", "5"]
        for t in types:
            args += ["--type", t]
        if count:
            args += ["--count", str(count)]
        r = cli(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def write(self, events):
        path = os.path.join(self.dir, "events-%s.jsonl" % uuid.uuid4().hex)
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        return path

    def test_replay_counts_suppressed_apart_from_repeats(self):
        scans = self.sample("Recon:EC2/Portscan", count=3)
        brute = self.sample("UnauthorizedAccess:EC2/SSHBruteForce", count=2)
        for e in scans + brute:
            e["detail"]["severity"] = 8.0
        again = dict(brute[0], id=str(uuid.uuid4()))  # the same finding, published again
        path = self.write(scans + brute + [again])
        r = cli("replay", path, "--config", self.config, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)
        self.assertEqual(s["suppressed"], 3)
        self.assertEqual(s["suppressions"], [{"suppression": "no-portscans", "events": 3,
                                              "reason": "Our own scanner", "owner": "netops",
                                              "file": "policies/suppressions.yaml"}])
        high = {x["rule"]: x for x in s["rules"]}["guardduty-ec2-high"]
        self.assertEqual((high["matched"], high["fired"], high["repeats"], high["suppressed"]),
                         (6, 2, 1, 3))
        r = cli("replay", path, "--config", self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        row = [l.split() for l in r.stdout.splitlines() if l.startswith("guardduty-ec2-high")][0]
        self.assertEqual(row[1:5], ["6", "2", "1", "3"])
        self.assertIn("suppressed by no-portscans: 3 events (Our own scanner)", r.stdout)
        self.assertIn("3 suppressed", r.stdout)

    def test_simulate_says_which_suppression_and_why(self):
        r = cli("simulate", "--config", self.config, "--type", "Recon:EC2/Portscan",
                "--severity", "8", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        why = plan["events"][0]["suppressed"]
        self.assertEqual((why["suppression"], why["reason"], why["owner"]),
                         ("no-portscans", "Our own scanner", "netops"))
        self.assertIn('type is "Recon:EC2/Portscan"', why["matches"])
        self.assertEqual(plan["incidents"], [])
        r = cli("simulate", "--config", self.config, "--type", "Recon:EC2/Portscan",
                "--severity", "8")
        self.assertIn("Suppressed by no-portscans (Our own scanner): stored and marked "
                      "suppressed; no incident, no action (it matches guardduty-ec2-high).",
                      r.stdout)
        r = cli("simulate", "--config", self.config, "--type", "Backdoor:EC2/Spambot", "--json")
        self.assertIsNone(json.loads(r.stdout)["events"][0]["suppressed"])

    def test_coverage_lists_the_types_no_rule_handles_and_unhandled_events(self):
        types = [l.split("\t") for l in cli("findings", "types").stdout.splitlines()]
        r = cli("coverage", "--config", os.path.join(ROOT, "config/default"), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        base = json.loads(r.stdout)
        self.assertEqual(base["types"], len(types))
        missing = {u["type"] for u in base["unhandled"]}
        self.assertEqual(base["handled"] + len(missing), len(types))
        # The shipped rules: low severity anywhere, medium and high for instances, high access
        # keys of IAM users. S3's medium findings have no rule; EC2's all do.
        self.assertIn("Impact:S3/MaliciousIPCaller", missing)
        self.assertNotIn("Recon:EC2/Portscan", missing)
        for t in types:
            if t[1] == "EC2":
                self.assertNotIn(t[0], missing)

        r = cli("coverage", "--config", self.config, "--json")
        sup = {u["type"]: u for u in json.loads(r.stdout)["unhandled"]}
        self.assertEqual(sup["Recon:EC2/Portscan"]["suppressedBy"], "no-portscans")
        self.assertEqual(sup["Recon:EC2/Portscan"]["rules"], ["guardduty-ec2-medium"])

        events = (self.sample("Impact:S3/MaliciousIPCaller", count=4)
                  + self.sample("Recon:EC2/Portscan", count=2)
                  + self.sample("Backdoor:EC2/Spambot", count=1))
        r = cli("coverage", "--config", self.config, "--events", self.write(events), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        e = json.loads(r.stdout)["events"]
        self.assertEqual((e["total"], e["handled"], e["suppressed"], e["unhandled"]), (7, 1, 2, 4))
        self.assertEqual(e["unhandledByType"], [{"type": "Impact:S3/MaliciousIPCaller",
                                                 "source": "aws.guardduty", "count": 4}])
        self.assertEqual(e["suppressedBy"], {"no-portscans": 2})
        r = cli("coverage", "--config", self.config, "--events", self.write(events))
        self.assertIn("Events of ", r.stdout)
        self.assertIn("4  Impact:S3/MaliciousIPCaller  (aws.guardduty)", r.stdout)
        self.assertIn("Recon:EC2/Portscan", r.stdout)
        self.assertIn("suppressed by no-portscans", r.stdout)
        bad = os.path.join(self.dir, "bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"source": "x"}\n{nope\n')
        r = cli("coverage", "--config", self.config, "--events", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad.jsonl:", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
