#!/usr/bin/env python3
"""The command line: validate, execute, version (no AWS needed)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))


def run(*args, **kw):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60, **kw)


class Cli(unittest.TestCase):
    def test_validate_default_config(self):
        r = run("validate", os.path.join(ROOT, "config/default"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("OK", r.stdout)

    def test_validate_reports_every_problem_with_file_line_and_path(self):
        d = tempfile.mkdtemp(prefix="riposte-cli-")
        try:
            shutil.copytree(os.path.join(ROOT, "config/default"), os.path.join(d, "c"))
            c = os.path.join(d, "c")
            with open(os.path.join(c, "rules", "bad.yaml"), "w") as f:
                f.write("name: bad\nplaybook: contain-ec2-instance\nevent_pattern:\n  detail:\n    severity: [{\"numeric\": [\">\", 0, \">\", 0]}]\n")
            with open(os.path.join(c, "playbooks", "broken.asl.json"), "w") as f:
                json.dump({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "riposte:nope.action", "Next": "Missing"}}}, f)
            r = run("validate", c)
            self.assertEqual(r.returncode, 1)
            # file:line:column of the offending value itself, the path inside the file
            self.assertIn(c + "/rules/bad.yaml:5:16: event_pattern.detail.severity[0]: Bad numeric range operator: >", r.stderr)
            self.assertIn(c + "/playbooks/broken.asl.json:1:63: $.States.A.Resource: unknown resource 'riposte:nope.action'", r.stderr)
            self.assertIn(c + "/playbooks/broken.asl.json:1:94: $.States.A.Next: refers to a state that does not exist: 'Missing'", r.stderr)
        finally:
            shutil.rmtree(d)

    def test_playbooks_map_declares_a_playbook_dry_run(self):
        d = tempfile.mkdtemp(prefix="riposte-cli-")
        try:
            c = os.path.join(d, "c")
            shutil.copytree(os.path.join(ROOT, "config/default"), c)
            with open(os.path.join(c, "riposte.yaml")) as f:
                lines = f.read().splitlines()
            bad = lines + ["playbooks:", "  contain-ec2-instance: {dry_run: true}",
                           "  contain-ec2-instanse: {dry_run: true}"]
            with open(os.path.join(c, "riposte.yaml"), "w") as f:
                f.write("\n".join(bad) + "\n")
            r = run("validate", c)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("riposte.yaml:%d:3: playbooks.contain-ec2-instanse: unknown playbook "
                          "'contain-ec2-instanse' (did you mean 'contain-ec2-instance'?)"
                          % (len(lines) + 3), r.stderr)
            with open(os.path.join(c, "riposte.yaml"), "w") as f:
                f.write("\n".join(bad[:-1]) + "\n")
            r = run("validate", c)
            self.assertEqual(r.returncode, 0, r.stderr)
            # The playbook file is untouched: still the shipped, valid ASL document.
            for name in ("contain-ec2-instance.asl.json",):
                with open(os.path.join(c, "playbooks", name)) as a, \
                        open(os.path.join(ROOT, "config/default/playbooks", name)) as b:
                    self.assertEqual(a.read(), b.read())
            out = os.path.join(d, "runbook.md")
            r = run("docs", "--config", c, "-o", out, "--date", "2026-11-23")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                md = f.read()
            self.assertIn("Always a dry run (`playbooks.contain-ec2-instance.dry_run: true`", md)
            self.assertIn("its playbook `contain-ec2-instance` always runs dry", md)
        finally:
            shutil.rmtree(d)

    def test_execute_runs_a_playbook_locally(self):
        d = tempfile.mkdtemp(prefix="riposte-cli-")
        try:
            pb = os.path.join(d, "p.asl.json")
            with open(pb, "w") as f:
                json.dump({"StartAt": "Add", "States": {
                    "Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "Next": "Check"},
                    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.sum", "NumericGreaterThan": 10, "Next": "Big"}],
                              "Default": "Small"},
                    "Big": {"Type": "Fail", "Error": "TooBig", "Cause": "sum over 10"},
                    "Small": {"Type": "Succeed"}}}, f)
            r = run("execute", "--playbook", pb, "--input", '{"a": 2, "b": 3}', "--history")
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertEqual(out["status"], "SUCCEEDED")
            self.assertEqual(out["output"], {"sum": 5})
            self.assertEqual(out["history"][0]["type"], "ExecutionStarted")
            r = run("execute", "--playbook", pb, "--input", '{"a": 20, "b": 3}')
            self.assertEqual(r.returncode, 1)
            out = json.loads(r.stdout)
            self.assertEqual((out["status"], out["error"], out["cause"]), ("FAILED", "TooBig", "sum over 10"))
            r = run("execute", "--playbook", pb, "--input", "{not json")
            self.assertEqual(r.returncode, 2)
            self.assertIn("input", r.stderr)
        finally:
            shutil.rmtree(d)

    def test_iam_policy_is_scoped_and_refuses_an_unset_topic(self):
        env = {k: v for k, v in os.environ.items() if k != "RIPOSTE_SNS_TOPIC_ARN"}
        r = run("iam-policy", "--config", os.path.join(ROOT, "config/default"), env=env)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("notifications.sns_topic_arn is not set", r.stderr)
        topic = "arn:aws:sns:us-east-1:123456789012:security-alerts"
        r = run("iam-policy", "--config", os.path.join(ROOT, "config/default"), "--explain",
                env={**env, "RIPOSTE_SNS_TOPIC_ARN": topic})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("contain-ec2-instance / IsolateInstance (aws.ec2.isolateInstance", r.stderr)
        policy = json.loads(r.stdout)
        for st in policy["Statement"]:
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            for a in st["Action"]:
                if a.startswith("iam:") or a == "sns:Publish":
                    self.assertNotIn("*", resources, a)
            if "sns:Publish" in st["Action"]:
                self.assertEqual(resources, [topic])

    def test_version_and_unknown_command(self):
        self.assertIn("riposte", run("version").stdout)
        v = run("--version")
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertEqual(v.stdout, run("version").stdout)
        self.assertNotIn("subcommand is required", v.stdout + v.stderr)
        u = run("no-such-command")
        self.assertEqual(u.returncode, 2)
        self.assertIn("unknown command 'no-such-command'", u.stderr)
        self.assertIn("serve", u.stderr)  # the commands there are
        self.assertNotIn("subcommand is required", u.stderr)

    def test_release_from_another_directory_names_the_config_directory_once(self):
        d = tempfile.mkdtemp(prefix="riposte-cli-")
        try:
            r = run("release", "inc-x", "--by", "me", "--reason", "test", cwd=d)  # no config/default here
            self.assertEqual(r.returncode, 2)
            self.assertIn("config/default: configuration directory not found", r.stderr)
            self.assertNotIn("config/default/config/default", r.stderr)
            # Given the directory, it finds it from anywhere (and says the incident is unknown).
            r = run("release", "inc-x", "--by", "me", "--reason", "test", "--config",
                    os.path.join(ROOT, "config/default"),
                    "--store", "sqlite://" + os.path.join(d, "r.db"), cwd=d)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("no incident 'inc-x'", r.stderr)
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
