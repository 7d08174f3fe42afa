#!/usr/bin/env python3
"""What policy evaluation costs in event processing, end to end (run by hand; issue 11: "< 5 %
of event processing with 10,000 suppressions and 1M list entries").

The same ingest is run through `riposte serve` twice per round, on config/default as shipped
(baseline) and on a copy with policies/bench-policies.json beside it: 10,000 suppressions of the
shapes a team writes (as bench/policy/suppression_bench.cpp: one instance by pattern, a type in an
account, a resource id by scope, a type prefix in an account and a region, low severity in an
account; 1 % scoped by tags) and 4 malicious threat-intelligence lists of 250,000 IPv4 CIDRs each
(1,000,000, files in the configuration directory). None of them silences a benchmark event: every
suppression is looked at and every event goes on (the worst case). Events are low-severity
GuardDuty findings with a remote address (enriched, matched, an incident recorded; no AWS call).

Measured per run, from the moment the first batch is sent until the inbox is empty: the serve
process's CPU time (user + system, all threads, /proc/PID/stat), per event, and events processed
per second. The share is (CPU with policies - CPU baseline) / CPU with policies, of the medians.
Rounds alternate which run goes first so that load on this noisy machine falls on both.

  python3 bench/e2e/policy_share_bench.py [--events 4000] [--batch 10] [--clients 4] [--rounds 2]
"""
import argparse
import ipaddress
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_bench  # noqa: E402

SUPPRESSIONS = 10_000
LISTS, PER_LIST = 4, 250_000


def rand_instance(rng):
    return "i-%017x" % rng.getrandbits(68)


def rand_account(rng):
    while True:
        a = "%012d" % rng.randrange(10**12)
        if a != localaws.ACCOUNT:
            return a


def suppressions(rng):
    out = []
    for i in range(SUPPRESSIONS):
        s = {"name": f"s-{i}", "reason": "benchmark", "owner": "secops", "expires": "2099-01-01T00:00:00Z"}
        k = i % 5
        if k == 0:
            match = {"pattern": {"detail": {"resource": {"instanceDetails": {"instanceId": [rand_instance(rng)]}}}}}
        elif k == 1:
            match = {"pattern": {"detail": {"type": ["PenTest:IAMUser/KaliLinux"], "accountId": [rand_account(rng)]}}}
        elif k == 2:
            match = {"scope": {"resource_ids": [rand_instance(rng)]}}
        elif k == 3:
            match = {"pattern": {"account": [rand_account(rng)], "detail": {"type": [{"prefix": "Recon:EC2/"}]}},
                     "scope": {"regions": ["eu-west-3"]}}
        else:
            match = {"pattern": {"account": [rand_account(rng)], "detail": {"severity": [{"numeric": ["<", 2]}]}}}
        if i % 100 == 7:
            match = {"scope": {"tags": {"team": f"t-{i}"}}}
        s["match"] = match
        out.append(s)
    return out


def write_lists(cfg, rng, remote_ip):
    os.makedirs(os.path.join(cfg, "lists"), exist_ok=True)
    avoid = ipaddress.ip_address(remote_ip)
    lists = []
    for n in range(LISTS):
        lines = []
        while len(lines) < PER_LIST:
            prefix = 16 + rng.randrange(17)
            net = ipaddress.ip_network((rng.getrandbits(32), prefix), strict=False)
            if avoid in net:
                continue
            lines.append(str(net))
        name = f"bench-{n}"
        with open(os.path.join(cfg, "lists", name + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        lists.append({"name": name, "verdict": "malicious", "source": f"lists/{name}.txt", "refresh": "7d"})
    return lists


def policy_config(work, remote_ip):
    cfg = os.path.join(work, "config-policies")
    shutil.copytree(os.path.join(ROOT, "config/default"), cfg)
    rng = random.Random(98)
    doc = {"suppressions": suppressions(rng), "threat_intel": {"lists": write_lists(cfg, rng, remote_ip)}}
    with open(os.path.join(cfg, "policies", "bench-policies.json"), "w") as f:
        json.dump(doc, f)
    return cfg


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def wait_idle(r, lists):
    """Until the inbox is empty (and `lists` threat lists are loaded); the last /metrics text."""
    while True:
        text = r.get("/metrics").text
        pending = [ln for ln in text.splitlines() if ln.startswith("riposte_inbox_pending ")]
        loaded = sum(1 for ln in text.splitlines()
                     if ln.startswith("riposte_threat_list_loaded{") and ln.endswith(" 1"))
        if pending and float(pending[0].split()[1]) == 0 and loaded >= lists:
            return text
        time.sleep(0.02)


def run_once(binary, cfg, a, remote_ip, tag):
    work = tempfile.mkdtemp(prefix=f"riposte-bench-{tag}-")
    r = localaws.Riposte(binary, cfg, None, env={"RIPOSTE_LOG_LEVEL": "warn"}, workdir=work)
    try:
        bodies = ingest_bench.batches(a.events, a.batch, f"{tag}-", remote_ip)
        # Warm up, outside the measure: the lists read and indexed, the suppressions compiled
        # (once, at the first event), the connections and caches made.
        warm = [localaws.guardduty_finding(f"i-{j:017x}", severity=2.0, finding_id=f"{tag}-warm-{j}",
                                           remote_ip=remote_ip) for j in range(a.batch)]
        assert requests.post(r.url + "/v1/events", data=json.dumps(warm), timeout=120).status_code == 202
        wait_idle(r, LISTS if "pol" in tag else 0)
        cpu0, t0 = cpu_seconds(r.proc.pid), time.time()
        errors = ingest_bench.post_all(r.url, bodies, a.clients)
        text = wait_idle(r, 0)
        wall, cpu = time.time() - t0, cpu_seconds(r.proc.pid) - cpu0
        if errors:
            raise SystemExit(f"{tag}: {len(errors)} requests refused: {errors[0][:300]}")
        suppressed = [ln for ln in text.splitlines() if ln.startswith("riposte_events_suppressed_total")]
        if suppressed:
            raise SystemExit(f"{tag}: a benchmark event was suppressed: {suppressed[0]}")
        return cpu / a.events * 1e6, a.events / wall
    finally:
        r.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bin/riposte"))
    a = ap.parse_args()
    remote_ip = "198.51.100.7"
    work = tempfile.mkdtemp(prefix="riposte-policy-share-")
    try:
        t = time.time()
        cfg = policy_config(work, remote_ip)
        print(f"policies: {SUPPRESSIONS:,} suppressions, {LISTS * PER_LIST:,} CIDRs in {LISTS} lists "
              f"(written in {time.time() - t:.1f} s)")
        base, pol = [], []
        for n in range(a.rounds):
            # Alternate which goes first: whatever warms up on this machine falls on both.
            for which in (("base", "pol") if n % 2 == 0 else ("pol", "base")):
                if which == "base":
                    base.append(run_once(a.binary, os.path.join(ROOT, "config/default"), a, remote_ip, f"base{n}"))
                else:
                    pol.append(run_once(a.binary, cfg, a, remote_ip, f"pol{n}"))
            print(f"round {n + 1}: baseline {base[-1][0]:8.1f} µs CPU/event {base[-1][1]:8,.0f} events/s | "
                  f"policies {pol[-1][0]:8.1f} µs CPU/event {pol[-1][1]:8,.0f} events/s")
        b_cpu = statistics.median(x[0] for x in base)
        p_cpu = statistics.median(x[0] for x in pol)
        b_rate = statistics.median(x[1] for x in base)
        p_rate = statistics.median(x[1] for x in pol)
        print(f"events: {a.events} per run in batches of {a.batch}, {a.clients} clients; median of {a.rounds} rounds")
        print(f"serve CPU per event: baseline {b_cpu:.1f} µs, with policies {p_cpu:.1f} µs: "
              f"policy share {100 * (p_cpu - b_cpu) / p_cpu:.1f} %")
        print(f"processed: baseline {b_rate:,.0f} events/s, with policies {p_rate:,.0f} events/s "
              f"({100 * (b_rate - p_rate) / b_rate:.1f} % fewer)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
