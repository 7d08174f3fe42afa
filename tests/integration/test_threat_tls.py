#!/usr/bin/env python3
"""A threat list read over HTTPS from a server the system's CA store does not know, driving the
riposte binary: with the list's `ca_file` (a self-signed certificate for 127.0.0.1, made here
with openssl) it is read and indexed; the same server without `ca_file` is refused by TLS
verification and the list stays unloaded, its failure shown in GET /v1/policy. Only loopback.
"""
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))

LIST = "# served over TLS\n203.0.113.7\n198.51.100.0/24\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = LIST.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def lists_of(policy):
    """The threat lists' status objects anywhere in GET /v1/policy, by name."""
    found = {}

    def walk(v):
        if isinstance(v, dict):
            if "name" in v and "sourceKind" in v:
                found[v["name"]] = v
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(policy)
    return found


class ThreatListOverTls(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="riposte-threat-tls-")
        self.cfg = os.path.join(self.work, "config")
        shutil.copytree(os.path.join(ROOT, "config/default"), self.cfg)
        os.makedirs(os.path.join(self.cfg, "certs"))
        self.cert = os.path.join(self.cfg, "certs", "feeds-ca.pem")
        key = os.path.join(self.work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", key, "-out", self.cert, "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        port = self.httpd.server_address[1]
        with open(os.path.join(self.cfg, "policies", "intel.yaml"), "w") as f:
            f.write(f"""threat_intel:
  lists:
    - name: feed-with-ca
      verdict: malicious
      source: https://127.0.0.1:{port}/bad.txt
      ca_file: certs/feeds-ca.pem
    - name: feed-system-store
      verdict: malicious
      source: https://127.0.0.1:{port}/bad.txt
""")
        self.riposte = None

    def tearDown(self):
        if self.riposte:
            self.riposte.stop()
        self.httpd.shutdown()
        shutil.rmtree(self.work, ignore_errors=True)

    def test_ca_file_verifies_the_server_and_the_system_store_refuses_it(self):
        r = subprocess.run([BINARY, "validate", self.cfg], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.riposte = localaws.Riposte(BINARY, self.cfg, None, env={"RIPOSTE_LOG_LEVEL": "warn"},
                                        workdir=self.work)
        deadline = time.time() + 20
        while True:
            lists = lists_of(self.riposte.get("/v1/policy").json())
            done = lists.get("feed-system-store", {}).get("failures", 0) >= 1 and \
                lists.get("feed-with-ca", {}).get("loaded")
            if done or time.time() > deadline:
                break
            time.sleep(0.2)
        with_ca, system = lists["feed-with-ca"], lists["feed-system-store"]
        self.assertTrue(with_ca["loaded"], with_ca)
        self.assertEqual(with_ca["entries"], 2, with_ca)
        self.assertFalse(system["loaded"], system)
        self.assertGreaterEqual(system["failures"], 1, system)
        self.assertTrue(system["lastError"], system)

    def test_ca_file_is_refused_for_a_file_source(self):
        with open(os.path.join(self.cfg, "policies", "intel.yaml"), "w") as f:
            f.write("threat_intel:\n  lists:\n"
                    "    - {name: local, verdict: malicious, source: bad.txt, ca_file: certs/feeds-ca.pem}\n")
        r = subprocess.run([BINARY, "validate", self.cfg], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("intel.yaml:3:", r.stdout + r.stderr)
        self.assertIn("threat_intel.lists[0].ca_file: is only for an https:// source", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
