#!/usr/bin/env python3
"""Sample findings, simulation and replay, driving the riposte binary.

`simulate --against` runs against moto_server; that nothing changed is checked through AWS API
calls, as a security team would check it.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
CONFIG = os.path.join(ROOT, "config/default")
TOPIC = "arn:aws:sns:us-east-1:123456789012:security-alerts"
MOTO = None


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


def run(*args, env=None, stdin=None, timeout=120):
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e["RIPOSTE_SNS_TOPIC_ARN"] = TOPIC
    e.update(env or {})
    return subprocess.run([BINARY, *args], env=e, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def lines(out):
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def remote_ip(f):
    a = f["service"].get("action", {})
    for key in ("networkConnectionAction", "awsApiCallAction", "kubernetesApiCallAction"):
        ip = a.get(key, {}).get("remoteIpDetails", {}).get("ipAddressV4")
        if ip:
            return ip
    probes = a.get("portProbeAction", {}).get("portProbeDetails", [])
    if probes:
        return probes[0].get("remoteIpDetails", {}).get("ipAddressV4")
    return None


def expected_rule(f):
    """The shipped severity strategy (config/default/rules)."""
    sev = f["severity"]
    if sev < 4:
        return "guardduty-low"
    if f["resource"]["resourceType"] == "Instance":
        return "guardduty-ec2-high" if sev >= 7 else "guardduty-ec2-medium"
    if (f["resource"]["resourceType"] == "AccessKey" and sev >= 7
            and f["resource"].get("accessKeyDetails", {}).get("userType") == "IAMUser"):
        return "contain-access-key"
    return None


class Sample(unittest.TestCase):
    def test_every_type_and_format(self):
        types = [l.split("\t")[0] for l in run("findings", "types").stdout.splitlines()]
        self.assertGreaterEqual(len(types), 40)
        r = run("findings", "sample", "--all", "--seed", "11")
        self.assertEqual(r.returncode, 0, r.stderr)
        found = lines(r.stdout)
        self.assertEqual([f["type"] for f in found], types)
        for f in found:
            for field in ("schemaVersion", "id", "arn", "type", "resource", "service", "severity",
                          "createdAt", "updatedAt", "title", "description"):
                self.assertIn(field, f, f["type"])
            self.assertIn(f["id"], f["arn"])
        # --all shares one world: every EC2 finding is about the same instance.
        instances = {f["resource"]["instanceDetails"]["instanceId"] for f in found
                     if f["resource"]["resourceType"] == "Instance"}
        self.assertEqual(len(instances), 1)
        # The same seed gives the same findings (ids, resources, attackers; times move on).
        again = lines(run("findings", "sample", "--all", "--seed", "11").stdout)
        self.assertEqual([(f["id"], f["title"]) for f in again], [(f["id"], f["title"]) for f in found])

        ev = lines(run("findings", "sample", "--type", "Recon:EC2/PortProbeUnprotectedPort",
                       "--format", "event", "--instance-id", "i-0123456789abcdef0").stdout)
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["source"], "aws.guardduty")
        self.assertEqual(ev[0]["detail-type"], "GuardDuty Finding")
        self.assertEqual(ev[0]["detail"]["resource"]["instanceDetails"]["instanceId"], "i-0123456789abcdef0")

        asff = lines(run("findings", "sample", "--type", "UnauthorizedAccess:IAMUser/TorIPCaller",
                         "--type", "Policy:S3/BucketPublicAccessGranted", "--format", "asff",
                         "--count", "4").stdout)
        self.assertEqual(len(asff), 4)
        for a in asff:
            for field in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
                          "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources"):
                self.assertIn(field, a)
        self.assertEqual([a["Resources"][0]["Type"] for a in asff],
                         ["AwsIamAccessKey", "AwsS3Bucket", "AwsIamAccessKey", "AwsS3Bucket"])

    def test_unknown_type_lists_the_known_ones(self):
        r = run("findings", "sample", "--type", "Nope:EC2/Nothing")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Nope:EC2/Nothing", r.stderr)
        self.assertIn("UnauthorizedAccess:EC2/SSHBruteForce", r.stderr)
        self.assertIn("Execution:Runtime/ReverseShell", r.stderr)
        self.assertEqual(r.stdout, "")


class Simulate(unittest.TestCase):
    def setUp(self):
        MOTO.reset()
        self.env = localaws.Environment(MOTO)
        self.tmp = tempfile.mkdtemp(prefix="riposte-sim-")

    def snapshot(self):
        ec2 = self.env.ec2
        return {
            "instance_groups": self.env.instance_groups(),
            "eni_groups": self.env.eni_groups(),
            "tags": self.env.tags(),
            "groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
            "nacl": self.env.nacl_entries(),
            "securityhub": len(self.env.securityhub_findings()),
        }

    def finding_file(self, severity="8"):
        r = run("findings", "sample", "--type", "UnauthorizedAccess:EC2/SSHBruteForce",
                "--instance-id", self.env.instance_id, "--severity", severity)
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(self.tmp, "finding.json")
        with open(path, "w") as f:
            f.write(r.stdout)
        return path, json.loads(r.stdout)

    def test_against_moto_shows_the_plan_and_changes_nothing(self):
        path, finding = self.finding_file()
        before = self.snapshot()
        aws_env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": "us-east-1"}
        r = run("simulate", "--config", CONFIG, "--finding", path, "--against", MOTO.endpoint,
                "--json", env=aws_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        self.assertTrue(plan["dryRun"])
        self.assertEqual([x["rule"] for x in plan["events"][0]["rules"]], ["guardduty-ec2-high"])
        self.assertEqual(plan["events"][0]["rules"][0]["playbook"], "contain-ec2-instance")
        inc = plan["incidents"][0]
        self.assertEqual(inc["resource"]["id"], self.env.instance_id)
        self.assertEqual(inc["status"], "planned")
        ex = inc["executions"][0]
        self.assertEqual(ex["playbook"], "contain-ec2-instance")
        self.assertEqual(ex["status"], "SUCCEEDED")
        self.assertTrue(ex["dryRun"])
        steps = [s["state"] for s in ex["steps"]]
        self.assertEqual(steps, ["Begin", "SnapshotVolumes", "IsolateInstance", "HasAttackerIp", "BlockAttackerIp",
                                 "Notify", "LogToSecurityHub", "ContainmentComplete", "Contained"])
        by_state = {s["state"]: s for s in ex["steps"]}
        iso = by_state["IsolateInstance"]
        self.assertEqual(iso["parameters"], {"instanceId": self.env.instance_id})
        act = iso["actions"][0]
        self.assertEqual(act["action"], "aws.ec2.isolateInstance")
        self.assertEqual(act["status"], "dry_run")
        # The reads were made for real: the plan names the instance's actual groups.
        self.assertIn(self.env.web_sg, act["summary"])
        self.assertIn(self.env.app_sg, act["summary"])
        self.assertIn("ec2:ModifyNetworkInterfaceAttribute", act["permissions"])
        block = by_state["BlockAttackerIp"]
        self.assertEqual(block["parameters"]["ip"], remote_ip(finding))
        self.assertEqual(block["actions"][0]["status"], "dry_run")
        self.assertEqual(by_state["Notify"]["actions"][0]["action"], "aws.sns.publish")
        self.assertEqual(by_state["Notify"]["parameters"]["topicArn"], TOPIC)
        # Nothing changed in AWS.
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(before["instance_groups"], sorted([self.env.web_sg, self.env.app_sg]))
        self.assertEqual(self.env.messages(wait=1), [])

        # The human-readable form names the rule, the playbook, every step and every action.
        r = run("simulate", "--config", CONFIG, "--finding", path, "--against", MOTO.endpoint,
                env=aws_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        for needle in ["guardduty-ec2-high", "contain-ec2-instance", *steps,
                       "aws.ec2.isolateInstance", "aws.ec2.blockIp", "aws.sns.publish",
                       "aws.securityhub.importFindings", self.env.web_sg, "Nothing was changed"]:
            self.assertIn(needle, r.stdout)
        self.assertEqual(self.snapshot(), before)

    def test_without_aws_says_what_it_would_call(self):
        r = run("simulate", "--config", CONFIG, "--type", "CryptoCurrency:EC2/BitcoinTool.B", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        ex = plan["incidents"][0]["executions"][0]
        self.assertEqual(ex["status"], "SUCCEEDED")
        iso = [s for s in ex["steps"] if s["state"] == "IsolateInstance"][0]["actions"][0]
        self.assertIn("would call ec2:DescribeInstances", iso["summary"])
        self.assertEqual(iso["output"]["wouldCall"][0], "ec2:DescribeInstances")

    def test_medium_and_unmatched(self):
        r = run("simulate", "--config", CONFIG, "--type", "Backdoor:EC2/Spambot", "--json")
        plan = json.loads(r.stdout)
        self.assertEqual([x["rule"] for x in plan["events"][0]["rules"]], ["guardduty-ec2-medium"])
        steps = [s["state"] for s in plan["incidents"][0]["executions"][0]["steps"]]
        self.assertEqual(steps, ["Notify"])
        r = run("simulate", "--config", CONFIG, "--type", "Impact:S3/MaliciousIPCaller")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("No rule fires", r.stdout)


GUARD_RAILS = """limits:
  - name: isolations
    action: aws.ec2.isolateInstance
    per: account
    max: 2
    window: 1h
    on_limit: dry_run
scope:
  allow: {regions: [us-east-1]}
  deny: {tags: {"riposte:scope": [exclude]}}
"""


class SimulateGuardRails(unittest.TestCase):
    """simulate holds a burst to the limits as serve would, and says why (issue 11)."""

    def test_a_burst_is_held_at_the_limit_and_out_of_scope_is_named(self):
        tmp = tempfile.mkdtemp(prefix="riposte-sim-guard-")
        cfg = os.path.join(tmp, "config")
        shutil.copytree(CONFIG, cfg)
        with open(os.path.join(cfg, "policies", "guard-rails.yaml"), "w") as f:
            f.write(GUARD_RAILS)
        findings = []
        for i, region in enumerate(["us-east-1"] * 4 + ["eu-west-1"]):
            r = run("findings", "sample", "--type", "UnauthorizedAccess:EC2/SSHBruteForce", "--severity", "8",
                    "--instance-id", "i-0%016d" % i, "--region", region, "--seed", str(100 + i))
            self.assertEqual(r.returncode, 0, r.stderr)
            findings.append(r.stdout.strip())
        path = os.path.join(tmp, "burst.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(findings) + "\n")
        r = run("simulate", "--config", cfg, "--finding", path, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        by_status = {}
        isolates = {}
        for inc in plan["incidents"]:
            by_status.setdefault(inc["status"], []).append(inc["resource"]["id"])
            steps = {s["state"]: s for s in inc["executions"][0]["steps"]}
            isolates[inc["resource"]["id"]] = steps["IsolateInstance"]
        self.assertEqual(len(by_status.get("planned", [])), 2, by_status)
        self.assertEqual(len(by_status.get("limited", [])), 2, by_status)
        self.assertEqual(by_status.get("failed"), ["i-0%016d" % 4], by_status)
        for inst in by_status["planned"]:
            a = isolates[inst]["actions"][0]
            self.assertEqual(a["status"], "dry_run")
            self.assertNotIn("error", a)
            # Without AWS the tag list of the scope cannot be held: said, not silently passed.
            self.assertIn("simulation without AWS: the scope's VPC and tag lists were not checked", a["summary"])
        for inst in by_status["limited"]:
            a = isolates[inst]["actions"][0]
            self.assertEqual(a["status"], "dry_run")
            self.assertEqual(a["error"], "riposte.LimitExceeded")
            self.assertIn("limit 'isolations' (2 aws.ec2.isolateInstance actions per 1h per account) is full for "
                          "account=123456789012: 2 of 2 taken", a["message"])
            self.assertIn("on_limit dry_run: planned only, nothing changed", a["message"])
        out = isolates["i-0%016d" % 4]
        self.assertEqual(out["actions"][0]["status"], "failed")
        self.assertEqual(out["actions"][0]["error"], "riposte.OutOfScope")
        self.assertEqual(out["error"], "riposte.OutOfScope")
        self.assertIn("out of scope: region eu-west-1 is not in scope.allow.regions", out["cause"])

        # The human-readable form says the same.
        r = run("simulate", "--config", cfg, "--finding", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("[dry_run] not acted: limit 'isolations'"), 2, r.stdout)
        self.assertIn("riposte.OutOfScope: out of scope: region eu-west-1 is not in scope.allow.regions", r.stdout)
        self.assertIn("): limited", r.stdout)

        # replay counts what the guard rails did, per rule.
        r = run("replay", path, "--config", cfg, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        high = {x["rule"]: x for x in json.loads(r.stdout)["rules"]}["guardduty-ec2-high"]
        self.assertEqual((high["fired"], high["limited"], high["outOfScope"], high["protected"]), (5, 2, 2, 0), high)
        self.assertEqual(high["actions"]["aws.ec2.isolateInstance"], 2, high["actions"])
        self.assertEqual(high["actions"]["aws.ec2.isolateInstance (limited: planned only)"], 2, high["actions"])
        self.assertEqual(high["actions"]["aws.ec2.isolateInstance (out of scope)"], 1, high["actions"])
        self.assertEqual(high["actions"]["aws.ec2.blockIp (out of scope)"], 1, high["actions"])
        r = run("replay", path, "--config", cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("OUT OF SCOPE", r.stdout)
        row = [l.split() for l in r.stdout.splitlines() if l.startswith("guardduty-ec2-high")][0]
        # RULE MATCHED FIRED REPEATS SUPPRESSED LIMITED OUT-OF-SCOPE
        self.assertEqual(row[1:7], ["5", "5", "0", "0", "2", "2"], row)


class Replay(unittest.TestCase):
    def test_summary_counts(self):
        r = run("findings", "sample", "--all", "--count", "100", "--seed", "2024", "--format", "event")
        self.assertEqual(r.returncode, 0, r.stderr)
        events = lines(r.stdout)
        self.assertEqual(len(events), 100)
        findings = [e["detail"] for e in events]
        # GuardDuty re-publishes an updated finding (same id): 5 high ones come again, bare.
        highs = [f for f in findings if expected_rule(f) == "guardduty-ec2-high"]
        self.assertGreaterEqual(len(highs), 5)
        repeats = [dict(f, updatedAt=f["updatedAt"]) for f in highs[:5]]
        path = os.path.join(tempfile.mkdtemp(prefix="riposte-replay-"), "archive.jsonl")
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
            for rep in repeats:
                f.write(json.dumps(rep) + "\n")
            f.write(json.dumps(events[0]) + "\n")  # the very same event again (same id)
            f.write("{not json\n")
        want = {"guardduty-ec2-high": 0, "guardduty-ec2-medium": 0, "guardduty-low": 0,
                "contain-access-key": 0}
        for fd in findings:
            rule = expected_rule(fd)
            if rule:
                want[rule] += 1
        with_ip = sum(1 for fd in highs if remote_ip(fd))

        r = run("replay", path, "--config", CONFIG, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)
        self.assertEqual(s["events"], 105)
        self.assertEqual(s["duplicateEvents"], 1)
        self.assertEqual(len(s["invalid"]), 1)
        self.assertEqual(s["invalid"][0]["line"], 107)
        rules = {x["rule"]: x for x in s["rules"]}
        high = rules["guardduty-ec2-high"]
        self.assertEqual(high["fired"], want["guardduty-ec2-high"])
        self.assertEqual(high["matched"], want["guardduty-ec2-high"] + 5)
        self.assertEqual((high["repeats"], high["suppressed"]), (5, 0))
        n = want["guardduty-ec2-high"]
        acts = dict(high["actions"])
        # The shipped guard rails (config/default/policies/guard-rails.yaml): at most 10
        # containments per account in any 10 minutes, on_limit approve (planned only until then).
        # The archive's findings are all in one account and within minutes: the rest is limited.
        limited = {k: acts.pop(k + " (limited: planned only)", 0) for k in ("aws.ec2.isolateInstance", "aws.ec2.blockIp")}
        self.assertEqual(acts.get("aws.ec2.isolateInstance", 0) + limited["aws.ec2.isolateInstance"], n)
        self.assertEqual(acts.get("aws.ec2.blockIp", 0) + limited["aws.ec2.blockIp"], with_ip)
        # (Other rules' containments, disabling access keys, count against the same limit.)
        acted = acts.pop("aws.ec2.isolateInstance", 0) + acts.pop("aws.ec2.blockIp", 0)
        self.assertLessEqual(acted, 10)
        self.assertGreater(n + with_ip, 10)
        self.assertEqual(high["limited"], sum(limited.values()))
        self.assertEqual(high["limited"], n + with_ip - acted)
        self.assertEqual((high["outOfScope"], high["protected"]), (0, 0))
        self.assertEqual(acts, {"aws.ec2.snapshotVolumes": n, "aws.sns.publish": n, "aws.securityhub.importFindings": n})
        med = rules["guardduty-ec2-medium"]
        self.assertEqual((med["fired"], med["repeats"]), (want["guardduty-ec2-medium"], 0))
        self.assertEqual(med["actions"], {"aws.sns.publish": want["guardduty-ec2-medium"]})
        low = rules["guardduty-low"]
        self.assertEqual((low["fired"], low["repeats"], low["actions"]), (want["guardduty-low"], 0, {}))
        self.assertEqual(s["unmatched"], 100 - sum(want.values()))

        # The table.
        r = run("replay", path, "--config", CONFIG)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {l.split()[0]: l.split() for l in r.stdout.splitlines() if l.startswith("guardduty-")}
        self.assertEqual(rows["guardduty-ec2-high"][1:5],
                         [str(n + 5), str(n), "5", "0"])
        self.assertIn("aws.ec2.isolateInstance x%d" % (n - limited["aws.ec2.isolateInstance"]), r.stdout)
        self.assertIn("aws.ec2.isolateInstance (limited: planned only) x%d" % limited["aws.ec2.isolateInstance"], r.stdout)
        self.assertEqual(rows["guardduty-ec2-high"][5:7], [str(high["limited"]), "0"])
        self.assertEqual(rows["guardduty-low"][1:5], [str(want["guardduty-low"])] * 2 + ["0", "0"])
        self.assertIn("(record only)", r.stdout)
        self.assertIn("MATCHED", r.stdout)
        self.assertIn("REPEATS", r.stdout)
        self.assertEqual(s["suppressed"], 0)


    def test_threat_lists_are_counted_as_the_engine_matches_them(self):
        r = run("findings", "sample", "--all", "--count", "60", "--seed", "77", "--format", "event")
        self.assertEqual(r.returncode, 0, r.stderr)
        events = lines(r.stdout)
        ips = sorted({remote_ip(e["detail"]) for e in events if remote_ip(e["detail"])})
        self.assertGreaterEqual(len(ips), 3)
        listed = ips[:2]
        tmp = tempfile.mkdtemp(prefix="riposte-replay-intel-")
        cfg = os.path.join(tmp, "config")
        shutil.copytree(CONFIG, cfg)
        with open(os.path.join(cfg, "bad-ips.txt"), "w") as f:
            f.write("# two of the archive's addresses\n" + "\n".join(listed) + "\n")
        with open(os.path.join(cfg, "policies", "intel.yaml"), "w") as f:
            f.write("threat_intel:\n  lists:\n"
                    "    - {name: bad-ips, verdict: malicious, source: bad-ips.txt}\n"
                    "    - {name: partners, verdict: trusted, source: bad-ips.txt}\n")
        path = os.path.join(tmp, "archive.jsonl")
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        want = sum(1 for e in events if remote_ip(e["detail"]) in listed)
        r = run("replay", path, "--config", cfg, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        ti = json.loads(r.stdout)["threatIntel"]
        self.assertEqual(ti["lists"], [{"list": "bad-ips", "verdict": "malicious", "events": want},
                                       {"list": "partners", "verdict": "trusted", "events": want}])
        self.assertEqual(ti["eventsWithMalicious"], want)
        r = run("replay", path, "--config", cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("threat list bad-ips (malicious): %d events hold an address it lists" % want, r.stdout)

    def test_simulate_shows_each_addresss_lists_and_the_rule_they_make_fire(self):
        r = run("findings", "sample", "--type", "UnauthorizedAccess:EC2/SSHBruteForce",
                "--severity", "2", "--seed", "5", "--format", "event")
        self.assertEqual(r.returncode, 0, r.stderr)
        event = json.loads(r.stdout)
        ip = remote_ip(event["detail"])
        self.assertTrue(ip)
        tmp = tempfile.mkdtemp(prefix="riposte-sim-intel-")
        cfg = os.path.join(tmp, "config")
        shutil.copytree(CONFIG, cfg)
        with open(os.path.join(cfg, "bad-ips.txt"), "w") as f:
            f.write("# the finding's remote address\n%s\n" % ip)
        with open(os.path.join(cfg, "policies", "intel.yaml"), "w") as f:
            f.write("threat_intel:\n  lists:\n"
                    "    - {name: bad-ips, verdict: malicious, source: bad-ips.txt}\n")
        # A rule that only enrichment can make fire: a low-severity finding from a listed
        # address.
        with open(os.path.join(cfg, "rules", "intel.yaml"), "w") as f:
            f.write("name: from-bad-ips\ndescription: a listed address\nenabled: true\n"
                    "event_pattern: {\"riposte\": {\"threatIntel\": {\"malicious\": [\"bad-ips\"]}}}\n")
        path = os.path.join(tmp, "finding.json")
        with open(path, "w") as f:
            json.dump(event, f)
        r = run("simulate", "--config", cfg, "--finding", path, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = json.loads(r.stdout)["events"][0]
        self.assertEqual(ev["threatIntel"]["malicious"], ["bad-ips"])
        self.assertEqual(ev["threatIntel"]["trusted"], [])
        self.assertIn({"address": ip, "malicious": ["bad-ips"], "trusted": []},
                      ev["threatIntel"]["addresses"])
        self.assertIn("from-bad-ips", [x["rule"] for x in ev["rules"]])
        r = run("simulate", "--config", cfg, "--finding", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("%s is in bad-ips (malicious)" % ip, r.stdout)
        self.assertIn("Rule from-bad-ips fires", r.stdout)
        # A forged riposte member in the finding makes nothing fire on its own.
        event["riposte"] = {"threatIntel": {"malicious": ["bad-ips"]}}
        event["detail"]["service"]["action"] = {}
        with open(path, "w") as f:
            json.dump(event, f)
        r = run("simulate", "--config", cfg, "--finding", path, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = json.loads(r.stdout)["events"][0]
        self.assertEqual(ev["threatIntel"]["malicious"], [])
        self.assertNotIn("from-bad-ips", [x["rule"] for x in ev["rules"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
