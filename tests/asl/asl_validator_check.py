#!/usr/bin/env python3
"""Cross-check: every playbook riposte accepts also passes the npm package asl-validator.

Checked: the playbooks of config/default/ and of every config/examples/*/ directory that
`riposte validate` accepts, and the definitions of ../shared/conformance/states-language.jsonl
that riposte's loader accepts (asl_validator_check). asl-validator is installed with npm into
a cache directory under the build tree (never into the repository).

riposte's own Task resources `riposte:<action>` are not ARNs; they are checked as
`arn:aws:states:::riposte:<action>` so that every other Resource keeps asl-validator's ARN check.
The CLI's --no-arn-check flag is ignored by asl-validator 4.0.0's CLI (it reads
`options.noArnCheck`, commander sets `options.arnCheck`), so the library is called directly.

Usage: asl_validator_check.py --checker BIN --riposte BIN --cache DIR [--conformance FILE]
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NPM_MISSING = "node/npm not found: make deps installs nodejs/npm"

# Definitions riposte accepts that asl-validator 4.0.0 rejects although real AWS Step Functions
# accepted and ran them (the conformance case is aws_validated with status SUCCEEDED): AWS is
# the authority. Each must still be rejected by asl-validator, so this list stays accurate.
KNOWN = {
    "conformance:v2/scenarios/test_base_scenarios.py::TestBaseScenarios::test_choice_condition_constant_jsonata":
        "JSONata Choice rule with a literal boolean Condition (true); asl-validator requires a string",
    "conformance:v2/scenarios/test_base_scenarios.py::TestBaseScenarios::"
    "test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONATA_COMPARISON_OUTPUT]":
        "JSONata Pass state whose Output is a plain string constant; asl-validator requires an object "
        "or a {% %} expression",
}

NODE_SCRIPT = r"""
const validator = require(process.argv[2]);
const cases = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const rewrite = (v) => {
  if (Array.isArray(v)) return v.map(rewrite);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      o[k] = (k === 'Resource' && typeof x === 'string' && x.startsWith('riposte:'))
        ? 'arn:aws:states:::' + x : rewrite(x);
    }
    return o;
  }
  return v;
};
const out = cases.map((c) => {
  const r = validator(rewrite(c.definition), {checkPaths: true, checkArn: true});
  return {id: c.id, isValid: r.isValid, errors: r.errorsText ? r.errorsText('\n') : JSON.stringify(r.errors)};
});
process.stdout.write(JSON.stringify(out));
"""


def install(cache: str) -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        sys.exit(NPM_MISSING)
    cache = os.path.abspath(cache)
    pkg = os.path.join(cache, "node_modules", "asl-validator")
    if not os.path.isfile(os.path.join(pkg, "package.json")):
        os.makedirs(cache, exist_ok=True)
        r = subprocess.run([npm, "install", "--prefix", cache, "--no-audit", "--no-fund", "asl-validator"],
                           capture_output=True, text=True, timeout=300, cwd=cache)
        if r.returncode != 0:
            sys.exit(f"npm install asl-validator failed:\n{r.stdout}\n{r.stderr}")
    with open(os.path.join(pkg, "package.json")) as f:
        print(f"asl-validator {json.load(f)['version']} from {pkg}")
    return pkg


def load_playbook(path: str):
    with open(path) as f:
        return yaml.safe_load(f) if path.endswith((".yaml", ".yml")) else json.load(f)


def config_playbooks(riposte: str) -> tuple[list[dict], list[str]]:
    cases, skipped = [], []
    dirs = [os.path.join(ROOT, "config", "default")] + sorted(glob.glob(os.path.join(ROOT, "config", "examples", "*")))
    env = dict(os.environ)
    env.setdefault("RIPOSTE_SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:security-alerts")
    for d in dirs:
        if not os.path.isdir(os.path.join(d, "playbooks")):
            continue
        r = subprocess.run([riposte, "validate", d], capture_output=True, text=True, timeout=60, env=env)
        rel = os.path.relpath(d, ROOT)
        if r.returncode != 0:
            skipped.append(f"{rel}: riposte validate rejects it: {(r.stdout + r.stderr).strip()[:300]}")
            continue
        for p in sorted(glob.glob(os.path.join(d, "playbooks", "*"))):
            if p.endswith((".asl.json", ".asl.yaml", ".asl.yml")):
                cases.append({"id": os.path.relpath(p, ROOT), "definition": load_playbook(p)})
    return cases, skipped


def conformance_accepted(checker: str, path: str) -> list[dict]:
    defs = []
    with open(path) as f:
        for line in f:
            if line.strip():
                c = json.loads(line)
                d = c["definition"]
                defs.append({"id": "conformance:" + c["id"], "definition": json.loads(d) if isinstance(d, str) else d})
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as t:
        for c in defs:
            t.write(json.dumps(c) + "\n")
    r = subprocess.run([checker, t.name], capture_output=True, text=True, timeout=60)
    os.unlink(t.name)
    if r.returncode != 0:
        sys.exit(f"asl_validator_check failed: {r.stderr}")
    accepted = {json.loads(line)["id"] for line in r.stdout.splitlines() if json.loads(line)["accepted"]}
    print(f"conformance: riposte accepts {len(accepted)} of {len(defs)} definitions")
    return [c for c in defs if c["id"] in accepted]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checker", required=True)
    ap.add_argument("--riposte", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--conformance", default=os.path.join(ROOT, "..", "shared", "conformance", "states-language.jsonl"))
    args = ap.parse_args()
    pkg = install(args.cache)
    cases, skipped = config_playbooks(args.riposte)
    for s in skipped:
        print("not accepted by riposte, not cross-checked:", s)
    n_config = len(cases)
    if os.path.isfile(args.conformance):
        cases += conformance_accepted(args.checker, args.conformance)
    else:
        print(f"conformance file {args.conformance} missing: only the shipped playbooks are checked")
    if n_config == 0:
        print("no playbook of config/ was accepted by riposte")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "check.js")
        data = os.path.join(tmp, "cases.json")
        with open(script, "w") as f:
            f.write(NODE_SCRIPT)
        with open(data, "w") as f:
            json.dump(cases, f)
        r = subprocess.run(["node", script, pkg, data], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            return 1
        results = json.loads(r.stdout)
    bad = [x for x in results if not x["isValid"] and x["id"] not in KNOWN]
    for x in bad:
        print(f"FAIL {x['id']}: accepted by riposte, rejected by asl-validator:\n  {x['errors']}")
    for x in results:
        if x["id"] in KNOWN:
            if x["isValid"]:
                bad.append(x)
                print(f"FAIL {x['id']}: listed in KNOWN but asl-validator now accepts it: remove it")
            else:
                print(f"known: {x['id']}: {KNOWN[x['id']]} (AWS accepted it)")
    n_known = sum(1 for x in results if x["id"] in KNOWN and not x["isValid"])
    print(f"asl-validator cross-check: {len(results) - len(bad) - n_known} of {len(results)} passed, "
          f"{n_known} known AWS-accepted exceptions "
          f"({n_config} playbooks of config/, {len(results) - n_config} conformance definitions)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
