#!/usr/bin/env python3
"""Runs one AWS CLI command against a local HTTP capture and writes the request it received.

    sigv4_capture.py --out FILE --access-key AKID --secret SECRET [--token TOKEN]
                     [--response JSON] -- events put-events --entries ...

A python http.server on 127.0.0.1 (a free port) answers every request with 200 and the given
JSON, and records the first request byte for byte (request line, header lines as sent, body)
into FILE. The CLI runs with only the given credentials (no config or credential files, no
instance metadata, no proxy, one attempt) and `--endpoint-url` pointing at the capture, so
nothing leaves the loopback interface. Exit status: the CLI's, or 3 when nothing was captured.
"""

import argparse
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading


class Tee:
    """Wraps the request stream and keeps every byte the handler reads from it."""

    def __init__(self, f):
        self.f = f
        self.data = bytearray()

    def readline(self, *args):
        b = self.f.readline(*args)
        self.data += b
        return b

    def read(self, *args):
        b = self.f.read(*args)
        self.data += b
        return b

    def __getattr__(self, name):
        return getattr(self.f, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--token")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--response", default='{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}')
    ap.add_argument("cli", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    captured = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            self.rfile = Tee(self.rfile)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            if not captured:
                captured.append(bytes(self.rfile.data))
            body = args.response.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and "proxy" not in k.lower()}
    home = tempfile.mkdtemp(prefix="riposte-sigv4-cli-")
    env.update({
        "HOME": home,
        "AWS_ACCESS_KEY_ID": args.access_key,
        "AWS_SECRET_ACCESS_KEY": args.secret,
        "AWS_DEFAULT_REGION": args.region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
        "NO_PROXY": "*",
    })
    if args.token:
        env["AWS_SESSION_TOKEN"] = args.token
    try:
        rc = subprocess.call(["aws", "--endpoint-url", endpoint, "--region", args.region]
                             + cli, env=env, stdout=subprocess.DEVNULL, timeout=60)
    except FileNotFoundError:
        print("sigv4_capture: the AWS CLI (aws) is not on PATH", file=sys.stderr)
        return 127
    finally:
        server.shutdown()
        shutil.rmtree(home, ignore_errors=True)
    if not captured:
        print("sigv4_capture: the CLI sent no request", file=sys.stderr)
        return 3
    with open(args.out, "wb") as f:
        f.write(captured[0])
    return rc


if __name__ == "__main__":
    sys.exit(main())
