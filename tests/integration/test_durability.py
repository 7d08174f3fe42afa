#!/usr/bin/env python3
"""kill -9 durability: `riposte serve` killed at random moments of many executions.

A generated configuration runs a playbook that uses Task (riposte's real, idempotent actions
against moto), Pass, Choice, Wait, Map, Parallel, Retry and Catch. Findings are sent in waves
while the process is killed with SIGKILL at seeded random moments and restarted on the same
SQLite store. At the end every execution's history (GET /v1/executions/{id}) is checked: an
end state, event ids 1..n, every TaskScheduled answered, outputs equal to an uninterrupted
run (`riposte execute` of the same input), and each effect present exactly once in AWS.
A second playbook waits one hour: its durable timer (wake_ms in the store) must survive the
kills unchanged.

RIPOSTE_DURABILITY_SEED=<n> replays a run (the seed is printed).
"""
import calendar
import concurrent.futures
import json
import os
import random
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

N_FAST = 16        # executions of the "durable" playbook (one instance each)
N_LONG = 2         # executions of the one-hour Wait playbook
KILLS = 6          # SIGKILLs during the run
MISSING = "i-0000000000000dead"  # an instance that does not exist: Retry, then Catch

DURABLE = {
    "Comment": "Every state type, real idempotent actions, durable waits and retry delays.",
    "StartAt": "Init",
    "States": {
        "Init": {
            "Type": "Pass",
            "Parameters": {
                "instanceId.$": "$.detail.resource.instanceDetails.instanceId",
                "severity.$": "$.detail.severity",
                "items": [{"dur:a": "1"}, {"dur:b": "2"}, {"dur:c": "3"}, {"dur:d": "4"}],
            },
            "Next": "Classify",
        },
        "Classify": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.severity", "NumericGreaterThanEquals": 8.5, "Next": "Critical"}],
            "Default": "High",
        },
        "Critical": {"Type": "Pass", "Result": "critical", "ResultPath": "$.level", "Next": "TagLevel"},
        "High": {"Type": "Pass", "Result": "high", "ResultPath": "$.level", "Next": "TagLevel"},
        "TagLevel": {
            "Type": "Task",
            "Resource": "riposte:aws.ec2.tagResource",
            "Parameters": {"resourceId.$": "$.instanceId", "tags": {"dur:level.$": "$.level"}},
            "ResultPath": None,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "Next": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Fan"},
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 2,
            "ItemSelector": {"instanceId.$": "$.instanceId", "tags.$": "$$.Map.Item.Value",
                             "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {
                "StartAt": "TagItem",
                "States": {
                    "TagItem": {
                        "Type": "Task",
                        "Resource": "riposte:aws.ec2.tagResource",
                        "Parameters": {"resourceId.$": "$.instanceId", "tags.$": "$.tags"},
                        "ResultPath": None,
                        "Next": "ItemDone",
                    },
                    "ItemDone": {"Type": "Pass", "Parameters": {"index.$": "$.index"}, "End": True},
                },
            },
            "ResultPath": "$.fan",
            "Next": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Isolate",
                    "States": {
                        "Isolate": {
                            "Type": "Task",
                            "Resource": "riposte:aws.ec2.isolateInstance",
                            "Parameters": {"instanceId.$": "$.instanceId"},
                            "ResultSelector": {"instanceId.$": "$.instanceId"},
                            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                            "Next": "Breathe",
                        },
                        "Breathe": {"Type": "Wait", "Seconds": 0, "End": True},
                    },
                },
                {
                    "StartAt": "Missing",
                    "States": {
                        "Missing": {
                            "Type": "Task",
                            "Resource": "riposte:aws.ec2.isolateInstance",
                            "Parameters": {"instanceId": MISSING},
                            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2,
                                       "BackoffRate": 1.0}],
                            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Recovered"}],
                            "End": True,
                        },
                        "Recovered": {"Type": "Pass", "Parameters": {"error.$": "$.caught.Error"}, "End": True},
                    },
                },
            ],
            "ResultPath": "$.both",
            "Next": "TagDone",
        },
        "TagDone": {
            "Type": "Task",
            "Resource": "riposte:aws.ec2.tagResource",
            "Parameters": {"resourceId.$": "$.instanceId", "tags": {"dur:done": "yes"}},
            "ResultPath": None,
            "Next": "Done",
        },
        "Done": {"Type": "Succeed", "OutputPath": "$"},
    },
}

LONG = {
    "Comment": "A one-hour durable timer.",
    "StartAt": "Note",
    "States": {
        "Note": {"Type": "Pass", "Result": "waiting", "ResultPath": "$.note", "Next": "Hour"},
        "Hour": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
        "After": {"Type": "Succeed"},
    },
}

RULE_FAST = """name: durable-fast
description: high severity findings run the durable playbook
enabled: true
playbook: durable
event_pattern:
  source: ["aws.guardduty"]
  detail:
    severity: [{"numeric": [">=", 7]}]
"""

RULE_LONG = """name: durable-long
description: medium severity findings wait an hour
enabled: true
playbook: long-wait
event_pattern:
  source: ["aws.guardduty"]
  detail:
    severity: [{"numeric": [">=", 4, "<", 7]}]
"""

CONFIG = """store: sqlite:///tmp/unused.db
listen: 127.0.0.1:0
log:
  level: info
  format: json
aws:
  region: us-east-1
safety:
  dry_run: false
  protected_tag: riposte:protected=true
"""

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
RESULTS = ("TaskSucceeded", "TaskFailed", "TaskTimedOut")


def write_config(base: str) -> str:
    cfg = os.path.join(base, "config")
    os.makedirs(os.path.join(cfg, "playbooks"))
    os.makedirs(os.path.join(cfg, "rules"))
    with open(os.path.join(cfg, "riposte.yaml"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(cfg, "playbooks", "durable.asl.json"), "w") as f:
        json.dump(DURABLE, f, indent=1)
    with open(os.path.join(cfg, "playbooks", "long-wait.asl.json"), "w") as f:
        json.dump(LONG, f, indent=1)
    with open(os.path.join(cfg, "rules", "durable-fast.yaml"), "w") as f:
        f.write(RULE_FAST)
    with open(os.path.join(cfg, "rules", "durable-long.yaml"), "w") as f:
        f.write(RULE_LONG)
    return cfg


class Durability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = localaws.MotoServer()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.seed = int(os.environ.get("RIPOSTE_DURABILITY_SEED", str(random.SystemRandom().randrange(1 << 30))))
        print(f"\nRIPOSTE_DURABILITY_SEED={self.seed}", flush=True)
        self.rng = random.Random(self.seed)
        self.moto.reset()
        self.env = localaws.Environment(self.moto)
        r = self.env.ec2.run_instances(ImageId=localaws.AMI, MinCount=N_FAST + N_LONG, MaxCount=N_FAST + N_LONG,
                                       InstanceType="t3.micro", SubnetId=self.env.subnet_id,
                                       SecurityGroupIds=[self.env.web_sg])
        self.instances = sorted(i["InstanceId"] for i in r["Instances"])
        self.base = tempfile.mkdtemp(prefix="riposte-durability-")
        self.config = write_config(self.base)
        self.db = os.path.join(self.base, "riposte.db")
        self.riposte = None

    def tearDown(self):
        if self.riposte:
            self.riposte.stop()

    # --- process control ---
    def kill9(self):
        self.riposte.proc.send_signal(signal.SIGKILL)
        self.riposte.proc.wait()
        self.riposte.log.close()
        # No lease surgery: the restarted `serve` has the same worker id (the host name) and
        # takes the dead process's executions back at once.

    def start(self):
        if self.riposte is None:
            self.riposte = localaws.Riposte(BINARY, self.config, self.moto, store=f"sqlite://{self.db}",
                                            workdir=self.base)
        else:
            self.riposte.start()

    # --- reads ---
    def executions(self) -> dict:
        out = {}
        for inc in self.riposte.incidents():
            full = self.riposte.get("/v1/incidents/" + inc["id"]).json()
            for x in full["executions"]:
                ex = self.riposte.get("/v1/executions/" + x["executionId"]).json()
                ex["_resource"] = inc["resource"]["id"]
                ex["_actions"] = [e for e in full["timeline"] if e["kind"] == "action"
                                  and e["executionId"] == x["executionId"]]
                out[x["executionId"]] = ex
        return out

    def wait_settled(self, timeout: float) -> dict:
        deadline = time.time() + timeout
        while True:
            execs = self.executions()
            fast = [x for x in execs.values() if x["playbook"] == "durable"]
            if len(fast) == N_FAST and all(x["status"] in TERMINAL for x in fast):
                return execs
            if time.time() > deadline:
                self.fail(f"seed {self.seed}: not settled in {timeout}s: "
                          f"{[(x['id'], x['status']) for x in execs.values()]}\n{self.riposte.logs()[-3000:]}")
            time.sleep(0.2)

    def uninterrupted(self, ex: dict) -> dict:
        playbook = os.path.join(self.config, "playbooks", ex["playbook"] + ".asl.json")
        env = dict(self.riposte.env)
        out = subprocess.run([BINARY, "execute", "--playbook", playbook, "--input", ex["input"]],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return json.loads(out.stdout)

    # --- the test ---
    def test_kill9_at_random_moments(self):
        fast = self.instances[:N_FAST]
        long_ = self.instances[N_FAST:]
        findings = [localaws.guardduty_finding(i, severity=self.rng.choice([7.5, 8.0, 9.0])) for i in fast]
        findings += [localaws.guardduty_finding(i, severity=5.0) for i in long_]
        self.rng.shuffle(findings)
        waves = [findings[i::4] for i in range(4)]
        self.start()
        kills = []
        for k in range(KILLS):
            if k < len(waves):
                r = self.riposte.post("/v1/events", waves[k])
                self.assertEqual(r.status_code, 202, r.text)
            delay = self.rng.uniform(0.02, 1.5)
            time.sleep(delay)
            kills.append(round(delay, 3))
            self.kill9()
            self.start()
        print(f"killed {len(kills)} times, after (s): {kills}", flush=True)
        execs = self.wait_settled(60)

        # The one-hour waits: still RUNNING, their timer at entered + 3600 s, in the store.
        with sqlite3.connect(self.db) as c:
            wake = dict(c.execute("SELECT id, wake_ms FROM executions"))
        longs = [x for x in execs.values() if x["playbook"] == "long-wait"]
        self.assertEqual(len(longs), N_LONG)
        for x in longs:
            self.assertEqual(x["status"], "RUNNING", x)
            self.check_ids(x)
            entered = [e for e in x["events"] if e["type"] == "WaitStateEntered"]
            self.assertEqual(len(entered), 1, x["events"])
            t0 = entered[0]["timestamp"]
            t0_ms = calendar.timegm(time.strptime(t0[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(t0[20:23])
            self.assertAlmostEqual(wake[x["id"]], t0_ms + 3_600_000, delta=1000)
            self.assertGreater(wake[x["id"]], time.time() * 1000 + 3_500_000)

        fasts = [x for x in execs.values() if x["playbook"] == "durable"]
        self.assertEqual(sorted(x["_resource"] for x in fasts), sorted(fast))
        # Outputs equal those of uninterrupted runs of the same inputs.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            expected = dict(zip([x["id"] for x in fasts], pool.map(self.uninterrupted, fasts)))
        quarantine = set()
        for x in fasts:
            with self.subTest(execution=x["id"], seed=self.seed):
                self.assertEqual(x["status"], "SUCCEEDED", json.dumps(x, indent=1)[:3000])
                self.check_ids(x)
                self.check_tasks(x)
                self.assertEqual(expected[x["id"]]["status"], "SUCCEEDED")
                self.assertEqual(json.loads(x["output"]), expected[x["id"]]["output"])
                # Effects, observed through AWS.
                inst = x["_resource"]
                level = "critical" if json.loads(x["input"])["detail"]["severity"] >= 8.5 else "high"
                tags = self.env.tags(inst)
                for k, v in {"dur:level": level, "dur:a": "1", "dur:b": "2", "dur:c": "3", "dur:d": "4",
                             "dur:done": "yes", "riposte:status": "quarantined"}.items():
                    self.assertEqual(tags.get(k), v, tags)
                groups = self.env.instance_groups(inst)
                self.assertEqual(len(groups), 1, groups)
                quarantine.add(groups[0])
                # Each change made once: at most one recorded action changed each thing.
                changed = {}
                for a in x["_actions"]:
                    if a["status"] == "succeeded":
                        key = (a["action"], json.dumps(a["after"], sort_keys=True))
                        changed[key] = changed.get(key, 0) + 1
                self.assertTrue(all(n == 1 for n in changed.values()), changed)
        statuses = {}
        for x in fasts:
            for a in x["_actions"]:
                statuses[a["status"]] = statuses.get(a["status"], 0) + 1
        print(f"checked {len(execs)} executions, {sum(len(x['events']) for x in execs.values())} history "
              f"events; action records by status: {statuses}", flush=True)
        # One quarantine group for the VPC, created once however often isolate was interrupted.
        self.assertEqual(len(quarantine), 1, quarantine)
        self.assertNotIn(self.env.web_sg, quarantine)

    def check_ids(self, x):
        ids = [e["id"] for e in x["events"]]
        self.assertEqual(ids, list(range(1, len(ids) + 1)), ids)
        self.assertEqual(x["events"][0]["type"], "ExecutionStarted")
        if x["status"] == "SUCCEEDED":
            self.assertEqual(x["events"][-1]["type"], "ExecutionSucceeded")
            self.assertEqual(sum(e["type"].startswith("Execution") for e in x["events"]), 2)

    def check_tasks(self, x):
        # Every TaskScheduled is answered, in order; a Task state entered once schedules its
        # task at most twice beyond its retries (a replay after a kill mid-flight).
        open_ = 0
        per_entry = []
        for e in x["events"]:
            t = e["type"]
            if t == "TaskStateEntered":
                per_entry.append([e["stateEnteredEventDetails"]["name"], 0, 0])
            elif t == "TaskScheduled":
                open_ += 1
                per_entry[-1][1] += 1
            elif t in RESULTS:
                self.assertGreater(open_, 0, f"{t} without TaskScheduled in {x['id']}")
                open_ -= 1
            elif t == "TaskStateExited" or t == "TaskStateAborted":
                pass
        self.assertEqual(open_, 0, f"unanswered TaskScheduled in {x['id']}")
        types = [e["type"] for e in x["events"]]
        for name in ("MapStateEntered", "ParallelStateEntered", "WaitStateEntered", "ChoiceStateEntered",
                     "PassStateEntered", "TaskStateEntered"):
            self.assertIn(name, types)
        for name, scheduled, _ in per_entry:
            limit = 3 if name == "Missing" else 2  # Missing: 1 try + 2 retries
            self.assertLessEqual(scheduled, limit, (name, x["id"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
