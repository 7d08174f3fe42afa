#!/usr/bin/env python3
"""riposte's demo: a GuardDuty finding contained end to end, on the embedded defaults.

Starts a local AWS (moto_server on a free loopback port), creates a small estate in it, starts
`riposte serve` on config/default with the embedded SQLite store, sends it a high-severity
GuardDuty finding about the instance, prints the incident's timeline, and checks through AWS
API calls that the instance really was contained. Exit 0 only if it was.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import localaws  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def show(value, limit=140):
    s = json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else value
    return s if len(s) <= limit else s[: limit - 1] + "…"


def changes(before, after):
    """The fields an action changed, as (name, (before, after)) pairs."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("result", (before, after))] if after is not None else []
    out = []
    for k in list(before) + [k for k in after if k not in before]:
        if before.get(k) != after.get(k):
            out.append((k, (before.get(k, "—"), after.get(k, "—"))))
    return out


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/bin/riposte")
    print("riposte demo — a GuardDuty finding contained end to end\n")
    try:
        moto = localaws.MotoServer()
    except RuntimeError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 2
    riposte = None
    try:
        print(f"[1/5] local AWS (moto_server) at {moto.endpoint}")
        env = localaws.Environment(moto)
        print(f"[2/5] estate: {env.vpc_id}, {env.subnet_id}, instance {env.instance_id} in "
              f"[{env.web_sg} (web), {env.app_sg} (app)], topic {env.topic_arn.split(':')[-1]} → SQS, Security Hub on")
        work = tempfile.mkdtemp(prefix="riposte-demo-")
        riposte = localaws.Riposte(binary, os.path.join(ROOT, "config/default"), moto,
                                   env={"RIPOSTE_SNS_TOPIC_ARN": env.topic_arn}, workdir=work)
        print(f"[3/5] riposte serve at {riposte.url}, store {riposte.store}")
        print(f"      the API needs a credential: tokens in {riposte.credentials} (serve --credentials;"
              f" SHA-256 digests only, as `riposte token create --subject S --scope … --file F` writes"
              f" them), sent as Authorization: Bearer <token>; the AWS CLI signs PutEvents with"
              f" the access key {localaws.SIGV4_KEY_ID} configured there")
        finding = localaws.guardduty_finding(env.instance_id, severity=8.0, remote_ip="198.51.100.7")
        t0 = time.time()
        r = riposte.post("/v1/events", finding)
        print(f"[4/5] sent GuardDuty finding {finding['type']} (severity {finding['severity']}) "
              f"from 198.51.100.7 → HTTP {r.status_code}")
        if r.status_code != 202:
            print(r.text)
            return 1
        inc = riposte.wait_incident(env.instance_id, timeout=60)
        elapsed = time.time() - t0
        print(f"[5/5] incident {inc['id']}: {inc['status'].upper()} in {elapsed*1000:.0f} ms "
              f"(rule {inc['rule']}, playbook {inc['playbook']})\n")
        print("timeline:")
        t_first = inc["timeline"][0]["at"] if inc["timeline"] else 0
        for e in inc["timeline"]:
            offset = e["at"] - t_first
            line = f"  +{offset:5d} ms  {e['kind']:<18} {e.get('summary', '')}"
            if e["kind"] == "action":
                line = (f"  +{offset:5d} ms  action {e['action']} [{e['status']}] "
                        f"{e.get('durationMs', 0)} ms — {e.get('summary', '')}")
            print(line)
            if e["kind"] == "action" and e["status"] != "failed":
                for k, (b, a) in changes(e.get("before"), e.get("after")):
                    print(f"{'':22}{k}: {show(b, 60)} → {show(a, 60)}")
            if e.get("error"):
                print(f"{'':22}error:  {e['error']}: {e.get('message', e.get('cause', ''))}")

        print("\nverification through the AWS APIs:")
        checks = []
        groups = env.instance_groups()
        qsg = [g for g in groups if g not in (env.web_sg, env.app_sg)]
        checks.append(("instance is only in the quarantine group", len(groups) == 1 and len(qsg) == 1, groups))
        if qsg:
            sg = env.security_group(qsg[0])
            checks.append(("quarantine group has no ingress and no egress rules",
                           sg["IpPermissions"] == [] and sg["IpPermissionsEgress"] == [], sg["GroupName"]))
            checks.append(("every network interface is only in the quarantine group",
                           all(g == qsg for g in env.eni_groups()), env.eni_groups()))
        tags = env.tags()
        checks.append(("instance tagged riposte:status=quarantined",
                       tags.get("riposte:status") == "quarantined" and tags.get("riposte:incident") == inc["id"], tags))
        entries = env.nacl_entries()
        deny = [e for e in entries if not e["Egress"] and e["RuleAction"] == "deny" and e["CidrBlock"] == "198.51.100.7/32"]
        allows = [e["RuleNumber"] for e in entries if not e["Egress"] and e["RuleAction"] == "allow"]
        checks.append(("attacker 198.51.100.7/32 denied before every allow in the subnet's NACL",
                       len(deny) == 1 and all(deny[0]["RuleNumber"] < a for a in allows),
                       [(e["RuleNumber"], e["RuleAction"], e["CidrBlock"]) for e in entries if not e["Egress"]]))
        msgs = env.messages()
        checks.append(("security team alerted (SNS → SQS)", len(msgs) == 1, msgs[0]["Subject"] if msgs else None))
        findings = [f for f in env.securityhub_findings() if inc["id"] in json.dumps(f)]
        checks.append(("response recorded in Security Hub", len(findings) == 1, findings[0]["Title"] if findings else None))
        # The shipped guard rails (config/default/policies): the containment took its places
        # in the per-account limit, and the breaker is armed and closed.
        pol = riposte.get("/v1/policy").json()
        lim = {l["name"]: l for l in pol["limits"]}.get("contain-per-account", {})
        used = {x["key"]: x["count"] for x in lim.get("levels", [])}.get(f"account={localaws.ACCOUNT}", 0)
        checks.append(("guard rails: the containment counted in the shipped per-account limit, breaker armed and closed",
                       lim.get("max") == 10 and used == 2 and pol["breaker"]["armed"] and pol["breaker"]["state"] == "closed",
                       f"{lim.get('description')}: {used} of {lim.get('max')} used; breaker {pol['breaker']['state']} "
                       f"({pol['breaker'].get('count')} of {pol['breaker'].get('threshold')})"))
        ok = inc["status"] == "contained"
        for name, passed, detail in checks:
            ok = ok and passed
            print(f"  [{'ok' if passed else 'FAIL'}] {name}: {show(detail, 100)}")
        if msgs:
            print("\nthe alert the security team received:\n")
            print("  Subject: " + msgs[0].get("Subject", ""))
            for line in msgs[0].get("Message", "").splitlines():
                print("  " + line)
        print(f"\n{'CONTAINED' if ok else 'NOT CONTAINED'}: {env.instance_id}")
        if not ok:
            print(riposte.logs()[-3000:], file=sys.stderr)
        return 0 if ok else 1
    finally:
        if riposte:
            riposte.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
