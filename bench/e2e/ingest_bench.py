#!/usr/bin/env python3
"""End-to-end ingest benchmark (run by hand): riposte serve on config/default with a fresh SQLite
store, N low-severity GuardDuty findings POSTed over keep-alive HTTP by C concurrent clients in
batches of B; prints accepted events/s (durably stored before each answer) and the time until
every event is processed (matched, incident recorded). No AWS is called: low severity only
records.

  python3 bench/e2e/ingest_bench.py [--events 5000] [--batch 10] [--clients 4] [--binary build/bin/riposte]
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402


def batches(events, size, prefix, remote_ip="198.51.100.7"):
    """`events` low-severity GuardDuty findings as JSON arrays of `size` (ids prefix-N)."""
    out = []
    for i in range(0, events, size):
        out.append(json.dumps([localaws.guardduty_finding(f"i-{j:017x}", severity=2.0, finding_id=f"{prefix}{j}",
                                                          remote_ip=remote_ip)
                               for j in range(i, min(i + size, events))]))
    return out


def post_all(url, bodies, clients):
    """POSTs every body to /v1/events over `clients` keep-alive connections; the refusals."""
    errors = []

    def client(items):
        s = requests.Session()
        for b in items:
            resp = s.post(url + "/v1/events", data=b, timeout=120)
            if resp.status_code != 202:
                errors.append(resp.text)

    threads = [threading.Thread(target=client, args=(bodies[k::clients],)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bin/riposte"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="riposte-bench-")
    r = localaws.Riposte(a.binary, os.path.join(ROOT, "config/default"), None,
                         env={"RIPOSTE_LOG_LEVEL": "warn"}, workdir=work)
    try:
        bodies = batches(a.events, a.batch, "f")
        t0 = time.time()
        errors = post_all(r.url, bodies, a.clients)
        t_accept = time.time() - t0
        while True:
            text = r.get("/metrics").text
            pending = [ln for ln in text.splitlines() if ln.startswith("riposte_inbox_pending ")]
            if pending and float(pending[0].split()[1]) == 0:
                break
            time.sleep(0.05)
        t_done = time.time() - t0
        print(f"events: {a.events} in batches of {a.batch}, {a.clients} clients, errors: {len(errors)}")
        print(f"accepted (durable before 202): {a.events / t_accept:,.0f} events/s ({t_accept:.2f} s)")
        print(f"processed (matched + incident recorded): {a.events / t_done:,.0f} events/s ({t_done:.2f} s)")
    finally:
        r.stop()


if __name__ == "__main__":
    main()
