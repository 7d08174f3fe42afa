"""A small fault-injecting HTTP proxy for tests: between riposte and moto_server.

    proxy = FaultProxy("http://127.0.0.1:5000")          # forwards to moto, on a free port
    proxy.add(Fault("throttle", action="UpdateAccessKey", times=2))
    env["AWS_ENDPOINT_URL"] = proxy.endpoint
    ...
    proxy.seen("UpdateAccessKey")   # how many requests for that API action arrived
    proxy.stop()

A fault matches a request by API action (Query `Action=` in the form body, or the JSON
protocols' `X-Amz-Target` suffix, or a REST path substring with `path=`) and fires on the next
`times` matching requests, then lets them through. Kinds:
  throttle  HTTP 400 with the service's throttling error (EC2 `RequestLimitExceeded`, other
            Query services `Throttling`, JSON `ThrottlingException`), in the protocol's shape
  error     HTTP `status` with error `code` (a non-retryable AWS error, e.g. AccessDenied 403)
  5xx       HTTP `status` (default 503) ServiceUnavailable
  delay     waits `seconds`, then forwards (slow AWS; longer than the client timeout = timeout)
  drop      closes the connection without answering (a reset / timeout as the client sees it)
Thread-safe; only loopback.
"""
from __future__ import annotations

import http.client
import http.server
import socket
import socketserver
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field


@dataclass
class Fault:
    kind: str                   # throttle | error | 5xx | delay | drop
    action: str | None = None   # API action ("UpdateAccessKey", "AWSWAF_20190729.GetIPSet")
    path: str | None = None     # or a substring of the request path (REST-JSON services)
    times: int = 1              # how many matching requests it fires on
    status: int = 0             # error / 5xx
    code: str = ""              # error
    message: str = "injected by fault_proxy"
    seconds: float = 0.0        # delay
    fired: int = field(default=0)

    def matches(self, action: str, path: str) -> bool:
        if self.fired >= self.times:
            return False
        if self.action is not None and self.action != action and not action.endswith("." + self.action):
            return False
        if self.path is not None and self.path not in path:
            return False
        return True


def _action_of(headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target
    if body:
        form = urllib.parse.parse_qs(body.decode(errors="replace"))
        if "Action" in form:
            return form["Action"][0]
    return ""


def _error_body(headers, body: bytes, code: str, message: str) -> tuple[bytes, str]:
    """The error in the shape of the request's protocol."""
    rid = str(uuid.uuid4())
    if headers.get("X-Amz-Target") or "json" in (headers.get("Content-Type") or ""):
        import json
        return json.dumps({"__type": code, "message": message}).encode(), "application/x-amz-json-1.1"
    form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
    if form.get("Version", [""])[0] == "2016-11-15":  # EC2's own error shape
        xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
               f"<Message>{message}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
    else:
        xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
               f"</Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return xml.encode(), "text/xml"


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        u = urllib.parse.urlparse(upstream)
        self.upstream_host, self.upstream_port = u.hostname, u.port or 80
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []  # (action, what happened: "forwarded" | fault kind)
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                action = _action_of(self.headers, body)
                with proxy.lock:
                    fault = next((f for f in proxy.faults if f.matches(action, self.path)), None)
                    if fault:
                        fault.fired += 1
                    proxy.log.append((action, fault.kind if fault else "forwarded"))
                if fault and fault.kind == "drop":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if fault and fault.kind in ("throttle", "error", "5xx"):
                    if fault.kind == "throttle":
                        status = 400
                        if self.headers.get("X-Amz-Target"):
                            code = "ThrottlingException"
                        elif b"Version=2016-11-15" in body:
                            code = "RequestLimitExceeded"
                        else:
                            code = "Throttling"
                    elif fault.kind == "5xx":
                        status, code = fault.status or 503, fault.code or "ServiceUnavailable"
                    else:
                        status, code = fault.status or 400, fault.code or "AccessDenied"
                    payload, ctype = _error_body(self.headers, body, code, fault.message)
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("x-amzn-ErrorType", code)
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault and fault.kind == "delay":
                    time.sleep(fault.seconds)
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.log.clear()

    def seen(self, action: str) -> list[str]:
        """What happened to each request for `action`, in order ("throttle", …, "forwarded")."""
        with self.lock:
            return [what for a, what in self.log if a == action or a.endswith("." + action)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
