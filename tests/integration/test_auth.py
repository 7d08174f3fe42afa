#!/usr/bin/env python3
"""riposte's own security, probed as an attacker on the same machine would (issue 13).

`riposte serve` on config/default with a credentials file (`serve --credentials`) made by
`riposte token create`: every endpoint but health needs a token with the right scope; the
AWS-compatible endpoint needs SigV4 from a configured access key, checked with the real AWS CLI
and with botocore signing at a stale date; Host, Origin and Content-Type defend against a web
page in a browser on this machine; failed attempts are rate limited and counted; `auth: none`
is refused on an address other machines can reach.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone
from unittest import mock

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import localaws  # noqa: E402

if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
CONFIG = os.path.join(ROOT, "config/default")
MOTO = None


def setUpModule():
    global MOTO
    MOTO = localaws.MotoServer()


def tearDownModule():
    if MOTO:
        MOTO.stop()


def token_create(*args):
    r = subprocess.run([BINARY, "token", "create", *args], capture_output=True, text=True,
                       timeout=60)
    return r


class Tokens(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="riposte-auth-")
        cls.creds = os.path.join(cls.work, "creds.yaml")
        cls.tokens = {}
        for subject, scopes in (("reader", ["read"]), ("responder", ["read", "respond"]),
                                ("ingester", ["ingest"]), ("root", ["ingest", "read", "respond",
                                                                    "admin"])):
            r = token_create("--subject", subject, *sum((["--scope", s] for s in scopes), []),
                             "--file", cls.creds)
            assert r.returncode == 0, r.stderr
            cls.tokens[subject] = r.stdout.split()[1]
        MOTO.reset()
        cls.env = localaws.Environment(MOTO)
        cls.riposte = localaws.Riposte(BINARY, CONFIG, MOTO, credentials=False,
                                       env={"RIPOSTE_SNS_TOPIC_ARN": cls.env.topic_arn},
                                       workdir=cls.work, credentials_file=cls.creds)

    @classmethod
    def tearDownClass(cls):
        cls.riposte.stop()

    def call(self, method, path, who=None, body=None, headers=None):
        h = {"Content-Type": "application/json"}
        if who:
            h["Authorization"] = "Bearer " + self.tokens[who]
        h.update(headers or {})
        return requests.request(method, self.riposte.url + path, headers=h, timeout=30,
                                data=None if body is None else json.dumps(body))

    def test_the_file_holds_digests_only_and_is_private(self):
        with open(self.creds) as f:
            text = f.read()
        for t in self.tokens.values():
            self.assertTrue(t.startswith("rpt_") and len(t) >= 4 + 43, t)  # 256 bits
            self.assertNotIn(t, text)
        self.assertEqual(os.stat(self.creds).st_mode & 0o777, 0o600)
        r = token_create("--subject", "x", "--scope", "everything")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unknown scope", r.stderr)

    def test_health_is_open_and_everything_else_needs_a_token(self):
        self.assertEqual(self.call("GET", "/healthz").status_code, 200)
        self.assertEqual(self.call("GET", "/readyz").status_code, 200)
        for method, path in (("GET", "/v1/incidents"), ("GET", "/metrics"), ("GET", "/v1/policy"),
                             ("POST", "/v1/events"), ("POST", "/v1/reload"),
                             ("POST", "/v1/incidents/inc-x/release"),
                             ("POST", "/v1/breaker/close"), ("GET", "/v1/approvals")):
            r = self.call(method, path, body={} if method == "POST" else None)
            self.assertEqual(r.status_code, 401, (method, path, r.text))
            self.assertIn("Bearer", r.headers.get("WWW-Authenticate", ""))
        r = self.call("GET", "/v1/incidents", headers={"Authorization": "Bearer rpt_forged"})
        self.assertEqual(r.status_code, 401)
        self.assertEqual(self.call("GET", "/v1/incidents", "reader").status_code, 200)

    def test_each_scope_allows_what_it_names(self):
        finding = localaws.guardduty_finding(self.env.instance_id, severity=2.0)
        self.assertEqual(self.call("POST", "/v1/events", "reader", finding).status_code, 403)
        r = self.call("POST", "/v1/events", "ingester", finding)
        self.assertEqual(r.status_code, 202, r.text)
        self.assertEqual(self.call("GET", "/v1/incidents", "ingester").status_code, 403)
        r = self.call("POST", "/v1/incidents/inc-none/release", "reader", {"reason": "x"})
        self.assertEqual(r.status_code, 403)
        self.assertIn("'respond' scope", r.json()["message"])
        r = self.call("POST", "/v1/incidents/inc-none/release", "responder", {"reason": "test"})
        self.assertEqual(r.status_code, 404, r.text)  # allowed; there is no such incident
        self.assertEqual(self.call("POST", "/v1/reload", "responder", {}).status_code, 403)
        self.assertEqual(self.call("POST", "/v1/reload", "root", {}).status_code, 200)
        r = self.call("POST", "/v1/breaker/close", "root", {"by": "mallory", "reason": "x"})
        self.assertEqual(r.status_code, 403)  # a credential speaks for its subject only
        self.assertIn("authenticated as root", r.text)
        m = self.call("GET", "/metrics", "reader").text
        self.assertIn('riposte_api_auth_failures_total{reason="scope"}', m)

    def test_browser_defenses(self):
        # DNS rebinding: a page on evil.example resolving to 127.0.0.1.
        r = self.call("GET", "/v1/incidents", "root", headers={"Host": "evil.example"})
        self.assertEqual(r.status_code, 421)
        r = self.call("GET", "/v1/incidents", "root",
                      headers={"Host": f"localhost:{self.riposte.port}"})
        self.assertEqual(r.status_code, 200)
        # A cross-site form post: text/plain, a foreign Origin.
        finding = localaws.guardduty_finding(self.env.instance_id, severity=8.0)
        r = requests.post(self.riposte.url + "/v1/events", data=json.dumps(finding),
                          headers={"Content-Type": "text/plain",
                                   "Authorization": "Bearer " + self.tokens["root"]}, timeout=30)
        self.assertEqual(r.status_code, 415)
        r = self.call("POST", "/v1/events", "root", finding,
                      headers={"Origin": "https://evil.example"})
        self.assertEqual(r.status_code, 403)
        r = self.call("POST", "/v1/events", "root", {"source": "x", "detail-type": "y",
                                                     "detail": {}},
                      headers={"Origin": self.riposte.url})
        self.assertEqual(r.status_code, 202)
        self.assertNotIn("Access-Control-Allow-Origin", r.headers)
        m = self.call("GET", "/metrics", "reader").text
        for reason in ("host", "origin", "content_type"):
            self.assertIn('riposte_api_requests_refused_total{reason="%s"}' % reason, m)

    def test_guesses_are_rate_limited(self):
        # From another loopback address (127.0.0.2), so the other tests' client is not limited.
        import http.client

        def get(token):
            c = http.client.HTTPConnection("127.0.0.1", self.riposte.port, timeout=30,
                                           source_address=("127.0.0.2", 0))
            c.request("GET", "/v1/incidents", headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            r.read()
            c.close()
            return r

        codes = [get(f"rpt_guess{i}").status for i in range(12)]
        self.assertEqual(codes[:10], [401] * 10)
        self.assertEqual(codes[10:], [429, 429])
        r = get(self.tokens["reader"])  # even a right token waits out the minute from there
        self.assertEqual(r.status, 429)
        self.assertEqual(r.getheader("Retry-After"), "60")
        self.assertEqual(self.call("GET", "/v1/incidents", "reader").status_code, 200)
        m = self.call("GET", "/metrics", "reader").text
        self.assertIn('riposte_api_requests_refused_total{reason="rate_limited"}', m)
        self.assertIn('riposte_api_auth_failures_total{reason="invalid"}', m)


class SigV4(unittest.TestCase):
    """The AWS-compatible endpoint authenticates the AWS CLI with SigV4, as AWS does."""

    @classmethod
    def setUpClass(cls):
        MOTO.reset()
        cls.env = localaws.Environment(MOTO)
        cls.riposte = localaws.Riposte(BINARY, CONFIG, MOTO,
                                       env={"RIPOSTE_SNS_TOPIC_ARN": cls.env.topic_arn})

    @classmethod
    def tearDownClass(cls):
        cls.riposte.stop()

    def put_events(self, **env):
        entries = [{"Source": "aws.guardduty", "DetailType": "GuardDuty Finding",
                    "Detail": json.dumps(localaws.guardduty_finding(self.env.instance_id,
                                                                    severity=2.0))}]
        return subprocess.run(["aws", "events", "put-events", "--endpoint-url", self.riposte.url,
                               "--entries", json.dumps(entries), "--output", "json"],
                              env=self.riposte.aws_env(**env), capture_output=True, text=True,
                              timeout=60)

    def test_right_key_wrong_secret_unknown_key(self):
        r = self.put_events()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["FailedEntryCount"], 0)
        r = self.put_events(AWS_SECRET_ACCESS_KEY="not-the-secret")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidSignatureException", r.stderr)
        r = self.put_events(AWS_ACCESS_KEY_ID="AKIAUNKNOWN000000000")
        self.assertIn("UnrecognizedClientException", r.stderr)
        # A bearer token is not a SigV4 signature.
        r = requests.post(self.riposte.url + "/", data="{}", timeout=30,
                          headers={"X-Amz-Target": "AWSEvents.PutEvents",
                                   "Content-Type": "application/x-amz-json-1.1",
                                   **self.riposte.auth()})
        self.assertEqual(r.status_code, 400)
        r = requests.post(self.riposte.url + "/", data="{}", timeout=30,
                          headers={"X-Amz-Target": "AWSEvents.PutEvents",
                                   "Content-Type": "application/x-amz-json-1.1"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["__type"], "MissingAuthenticationTokenException")

    def test_a_stale_signature_is_refused(self):
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        creds = botocore.credentials.Credentials(localaws.SIGV4_KEY_ID, self.riposte.sigv4_secret)
        body = json.dumps({"Entries": []})
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=self.riposte.url + "/", data=body,
            headers={"X-Amz-Target": "AWSEvents.PutEvents",
                     "Content-Type": "application/x-amz-json-1.1"})
        stale = datetime.now(timezone.utc) - timedelta(minutes=10)
        with mock.patch("botocore.auth.get_current_datetime",
                        return_value=stale.replace(tzinfo=None)):
            botocore.auth.SigV4Auth(creds, "events", "us-east-1").add_auth(req)
        r = requests.post(self.riposte.url + "/", data=body, headers=dict(req.headers), timeout=30)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertEqual(r.json()["__type"], "InvalidSignatureException")
        self.assertTrue(r.json()["message"].startswith("Signature expired"), r.text)


class AuthNone(unittest.TestCase):
    def test_none_is_refused_off_loopback_and_lets_loopback_through(self):
        tmp = tempfile.mkdtemp(prefix="riposte-auth-none-")
        cfg = os.path.join(tmp, "config")
        shutil.copytree(CONFIG, cfg)
        path = os.path.join(cfg, "riposte.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("  auth: tokens\n", "  auth: none\n"))
        env = dict(os.environ, RIPOSTE_SNS_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:t",
                   AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
        r = subprocess.run([BINARY, "serve", "--config", cfg, "--listen",
                            f"0.0.0.0:{localaws.free_port()}", "--store",
                            f"sqlite://{tmp}/r.db"], env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InsecureListen", r.stdout + r.stderr)
        riposte = localaws.Riposte(BINARY, cfg, MOTO, credentials=False,
                                   env={"RIPOSTE_SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t"})
        try:
            self.assertEqual(riposte.get("/v1/incidents").status_code, 200)
            self.assertIn("anyone on this machine can drive riposte", riposte.logs())
            # The browser defenses hold without credentials too.
            r = requests.get(riposte.url + "/v1/incidents", headers={"Host": "evil.example"},
                             timeout=30)
            self.assertEqual(r.status_code, 421)
        finally:
            riposte.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
