#!/usr/bin/env python3
"""SIEM sinks end to end: a real rsyslog (UDP, TCP and TLS with a self-signed certificate; RFC
5424 parsed by rsyslog itself), a
local Splunk HEC receiver that checks the documented request format, token and ack protocol,
and a JSON-lines file, all fed from the store's audit log with a durable cursor per sink.

Driven by riposte_sink_driver (built next to the riposte binary), which writes incidents to a
SQLite store and runs the SinkManager that `riposte serve` runs."""
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
DRIVER = os.path.join(os.path.dirname(BINARY), "riposte_sink_driver")
TOKEN = "11111111-2222-3333-4444-555555555555"


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Rsyslog:
    """rsyslogd in the foreground with a generated config: UDP and TCP inputs on loopback,
    every message written to out.log as '<input>|<version>|<msgid>|<structured data>|<app>|<msg>'."""

    def __init__(self, workdir, udp_port, tcp_port, tls_port):
        self.dir = workdir
        self.out = os.path.join(workdir, "out.log")
        self.conf = os.path.join(workdir, "rsyslog.conf")
        self.udp_port, self.tcp_port, self.tls_port = udp_port, tcp_port, tls_port
        # A self-signed certificate for 127.0.0.1 (the sink verifies it with ca_file).
        self.cert = os.path.join(workdir, "cert.pem")
        self.key = os.path.join(workdir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", self.key, "-out", self.cert, "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        with open(self.conf, "w") as f:
            f.write(f'''
global(workDirectory="{workdir}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string"
         string="%inputname%|%protocol-version%|%msgid%|%structured-data%|%app-name%|%msg%\\n")
ruleset(name="sinks") {{
  action(type="omfile" file="{self.out}" template="fields" flushOnTXEnd="on" asyncWriting="off")
}}
input(type="imudp" address="127.0.0.1" port="{udp_port}" ruleset="sinks" name="udp")
input(type="imtcp" address="127.0.0.1" port="{tcp_port}" ruleset="sinks" name="tcp")
input(type="imtcp" address="127.0.0.1" port="{tls_port}" ruleset="sinks" name="tls"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.caFile="{self.cert}" streamDriver.certFile="{self.cert}"
      streamDriver.keyFile="{self.key}")
''')
        self.proc = None

    def start(self):
        pid = os.path.join(self.dir, "rsyslog.pid")
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf, "-i", pid],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.tcp_port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for(listening, what="rsyslog to listen")
        if self.proc.poll() is not None:
            raise AssertionError("rsyslogd exited: " + self.proc.stderr.read().decode())

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.communicate(timeout=10)
            self.proc = None

    def lines(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return [l.rstrip("\n") for l in f if l.strip()]


class Hec(http.server.BaseHTTPRequestHandler):
    """Splunk HEC as documented: POST /services/collector/event with 'Authorization: Splunk
    <token>', a body of JSON event objects back to back; with ack, X-Splunk-Request-Channel is
    required, the answer carries ackId, and POST /services/collector/ack answers {acks:{id:bool}}."""
    state = None

    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        st = Hec.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        with st["lock"]:
            st["requests"] += 1
            if st["down"] > 0:
                st["down"] -= 1
                return self.reply(503, {"text": "Server is busy", "code": 9})
            if self.headers.get("Authorization") != "Splunk " + TOKEN:
                st["errors"].append("bad token header: %r" % self.headers.get("Authorization"))
                return self.reply(401, {"text": "Invalid authorization", "code": 3})
            channel = self.headers.get("X-Splunk-Request-Channel")
            if not channel:
                st["errors"].append("no X-Splunk-Request-Channel")
                return self.reply(400, {"text": "Data channel is missing", "code": 10})
            if self.path == "/services/collector/event":
                dec = json.JSONDecoder()
                events, i = [], 0
                while i < len(body):
                    while i < len(body) and body[i].isspace():
                        i += 1
                    if i >= len(body):
                        break
                    ev, i = dec.raw_decode(body, i)
                    events.append(ev)
                for ev in events:
                    missing = [k for k in ("time", "host", "source", "sourcetype", "event") if k not in ev]
                    if missing or not isinstance(ev["time"], (int, float)) or not isinstance(ev["event"], dict):
                        st["errors"].append("malformed event %r" % ev)
                        return self.reply(400, {"text": "Invalid data format", "code": 6})
                ack = st["next_ack"]
                st["next_ack"] += 1
                st["pending"][ack] = events
                st["batches"].append(len(events))
                return self.reply(200, {"text": "Success", "code": 0, "ackId": ack})
            if self.path == "/services/collector/ack":
                acks = {}
                for a in json.loads(body)["acks"]:
                    if a in st["pending"]:
                        st["events"].extend(st["pending"].pop(a))
                        st["acked"].add(a)
                    acks[str(a)] = a in st["acked"]
                return self.reply(200, {"acks": acks})
            return self.reply(404, {"text": "not found"})


class Sinks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(DRIVER):
            raise AssertionError("riposte_sink_driver not built (target riposte_sink_driver): " + DRIVER)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="riposte-sinks-it-")
        self.rsyslog = Rsyslog(self.dir, free_port(socket.SOCK_DGRAM), free_port(), free_port())
        Hec.state = {"lock": threading.Lock(), "requests": 0, "down": 0, "errors": [],
                     "next_ack": 0, "pending": {}, "acked": set(), "events": [], "batches": []}
        self.hec = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hec)
        threading.Thread(target=self.hec.serve_forever, daemon=True).start()
        self.config = os.path.join(self.dir, "config")
        shutil.copytree(os.path.join(ROOT, "config", "default"), self.config)
        self.jsonl = os.path.join(self.dir, "audit.jsonl")
        with open(os.path.join(self.config, "riposte.yaml"), "a") as f:
            f.write(f"""
sinks:
  - type: splunk_hec
    name: splunk
    url: http://127.0.0.1:{self.hec.server_address[1]}
    token: ${{RIPOSTE_TEST_HEC_TOKEN}}
    ack: true
    ack_poll_ms: 20
  - type: syslog
    name: syslog-udp
    transport: udp
    port: {self.rsyslog.udp_port}
  - type: syslog
    name: syslog-tcp
    transport: tcp
    port: {self.rsyslog.tcp_port}
  - type: syslog
    name: syslog-tls
    transport: tls
    port: {self.rsyslog.tls_port}
    ca_file: {self.rsyslog.cert}
  - type: file
    name: archive
    path: {self.jsonl}
""")
        self.store = "sqlite://" + os.path.join(self.dir, "riposte.db")

    def tearDown(self):
        self.rsyslog.stop()
        self.hec.shutdown()
        self.hec.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def drive(self, incidents, prefix, wait_ms=15000):
        env = dict(os.environ, RIPOSTE_TEST_HEC_TOKEN=TOKEN)
        p = subprocess.run([DRIVER, "--config", self.config, "--store", self.store,
                            "--incidents", str(incidents), "--prefix", prefix,
                            "--wait-ms", str(wait_ms)],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertIn(p.returncode, (0, 3), p.stderr)
        status = {s["name"]: s for s in json.loads(p.stdout)}
        return p.returncode, status

    def check_syslog(self, expected_records):
        # UDP, TCP and TLS each deliver every record once: 3 × expected lines, each parsed by
        # rsyslog as RFC 5424 (version 1, MSGID = kind, our structured data) with CEF as MSG.
        wait_for(lambda: len(self.rsyslog.lines()) >= 3 * expected_records, what="syslog lines")
        lines = self.rsyslog.lines()
        self.assertEqual(len(lines), 3 * expected_records, "\n".join(lines))
        seqs = []
        for line in lines:
            _, version, msgid, sd, app, msg = line.split("|", 5)
            self.assertEqual(version, "1")
            self.assertIn(msgid, ("incident.opened", "incident.status"))
            self.assertTrue(sd.startswith('[riposte@32473 seq="'), sd)
            seqs.append(int(sd.split('"')[1]))
            self.assertEqual(app, "riposte")
            self.assertTrue(msg.lstrip().startswith("CEF:0|riposte|riposte|"), msg)
            self.assertIn("|" + msgid + "|", msg)
            self.assertIn("cs1Label=incidentId", msg)
        self.assertEqual(sorted(seqs), sorted(list(range(1, expected_records + 1)) * 3))
        for inp in ("udp", "tcp", "tls"):
            self.assertEqual(len([l for l in lines if l.startswith(inp + "|")]), expected_records, inp)
        # CEF escaping survived the trip: the title "… a=b|c" is "a\=b|c" in msg=, "a=b\|c" in the name.
        self.assertTrue(any("msg=SSH brute force 0 a\\=b|c" in l for l in lines), lines[0])
        self.assertTrue(any("SSH brute force 0 a=b\\|c|8|" in l for l in lines), lines[0])

    def test_every_sink_receives_every_record(self):
        self.rsyslog.start()
        rc, status = self.drive(3, "all")
        self.assertEqual(rc, 0, status)
        for name in ("splunk", "syslog-udp", "syslog-tcp", "syslog-tls", "archive"):
            self.assertEqual(status[name]["backlog"], 0, status[name])
            self.assertEqual(status[name]["cursor"], 6)
        st = Hec.state
        self.assertEqual(st["errors"], [])
        self.assertEqual(len(st["events"]), 6)
        self.assertGreaterEqual(max(st["batches"]), 2, "HEC events are batched per request")
        self.assertEqual(sorted(e["event"]["seq"] for e in st["events"]), [1, 2, 3, 4, 5, 6])
        self.assertEqual({e["sourcetype"] for e in st["events"]}, {"riposte:incident"})
        self.assertEqual({e["source"] for e in st["events"]}, {"riposte"})
        opened = [e for e in st["events"] if e["event"]["kind"] == "incident.opened"]
        self.assertEqual(len(opened), 3)
        self.assertEqual(opened[0]["event"]["incident"]["finding_type"], "UnauthorizedAccess:EC2/SSHBruteForce")
        self.check_syslog(6)
        with open(self.jsonl) as f:
            recs = [json.loads(l) for l in f]
        self.assertEqual([r["seq"] for r in recs], [1, 2, 3, 4, 5, 6])
        self.assertEqual(recs[1]["kind"], "incident.status")
        self.assertEqual(recs[1]["data"]["incident"]["status"], "contained")

    def test_sinks_that_are_down_catch_up_when_they_return(self):
        # rsyslog is not running and HEC answers 503: nothing can be delivered over TCP/HEC.
        Hec.state["down"] = 10 ** 6
        rc, status = self.drive(2, "down", wait_ms=1500)
        self.assertEqual(rc, 3)
        self.assertEqual(status["splunk"]["backlog"], 4)
        self.assertEqual(status["splunk"]["cursor"], 0)
        self.assertGreater(status["splunk"]["failures"], 1)
        self.assertIn("503", status["splunk"]["last_error"])
        self.assertEqual(status["syslog-tcp"]["backlog"], 4)
        self.assertIn("connect", status["syslog-tcp"]["last_error"])
        self.assertEqual(status["syslog-tls"]["backlog"], 4)
        self.assertEqual(status["archive"]["backlog"], 0)
        # Both come back (HEC after a few more refusals): a new process resumes from the
        # durable cursors and delivers everything, once per sink that had not acknowledged it.
        Hec.state["down"] = 3
        self.rsyslog.start()
        rc, status = self.drive(0, "down")
        self.assertEqual(rc, 0, status)
        self.assertEqual(status["splunk"]["cursor"], 4)
        self.assertEqual(status["syslog-tcp"]["cursor"], 4)
        self.assertEqual(status["syslog-tls"]["cursor"], 4)
        self.assertEqual(sorted(e["event"]["seq"] for e in Hec.state["events"]), [1, 2, 3, 4])
        self.assertEqual(Hec.state["errors"], [])
        # TCP catches up exactly; UDP usually too (the kernel reports the refused datagrams
        # on the connected socket, so the sink retried), but UDP cannot promise it.
        def seqs(inp):
            return sorted(int(l.split('seq="')[1].split('"')[0])
                          for l in self.rsyslog.lines() if l.startswith(inp + "|"))
        wait_for(lambda: len(seqs("tcp")) >= 4 and len(seqs("tls")) >= 4, what="tcp/tls catch-up")
        time.sleep(0.2)
        self.assertEqual(seqs("tcp"), [1, 2, 3, 4])
        self.assertEqual(seqs("tls"), [1, 2, 3, 4])
        self.assertTrue(set(seqs("udp")) <= {1, 2, 3, 4})
        # New records while everything is up flow to all sinks.
        rc, status = self.drive(1, "more")
        self.assertEqual(rc, 0, status)
        self.assertEqual(status["syslog-udp"]["cursor"], 6)
        wait_for(lambda: seqs("tcp") == [1, 2, 3, 4, 5, 6], what="new records over tcp")
        wait_for(lambda: seqs("tls") == [1, 2, 3, 4, 5, 6], what="new records over tls")
        wait_for(lambda: {5, 6} <= set(seqs("udp")), what="new records over udp")

    def test_tls_refuses_a_server_it_cannot_verify(self):
        # The certificate is for localhost/127.0.0.1: expecting another name must fail the
        # handshake, keep the records (backlog) and say why.
        self.rsyslog.start()
        with open(os.path.join(self.config, "riposte.yaml")) as f:
            text = f.read()
        head = text[:text.index("sinks:")]
        with open(os.path.join(self.config, "riposte.yaml"), "w") as f:
            f.write(head + f"""sinks:
  - type: syslog
    name: syslog-tls
    transport: tls
    port: {self.rsyslog.tls_port}
    ca_file: {self.rsyslog.cert}
    server_name: syslog.example
""")
        rc, status = self.drive(1, "tls", wait_ms=800)
        self.assertEqual(rc, 3)
        self.assertEqual(status["syslog-tls"]["backlog"], 2)
        self.assertIn("TLS handshake", status["syslog-tls"]["last_error"])
        self.assertIn("certificate verify failed", status["syslog-tls"]["last_error"])
        self.assertEqual(self.rsyslog.lines(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
