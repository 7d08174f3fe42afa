"""A local HTTP receiver for the webhook tests: records every request (method, path, query,
headers, body) and answers from a queue of scripted replies (default 200 {"ok": true})."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Receiver:
    def __init__(self):
        self.requests = []
        self.replies = []  # (status, headers dict, body str), used in order
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode("utf-8", errors="replace") if n else ""
                parts = urlsplit(self.path)
                req = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                       "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with receiver.cond:
                    receiver.requests.append(req)
                    reply = receiver.replies.pop(0) if receiver.replies else (
                        200, {"Content-Type": "application/json"}, json.dumps({"ok": True}))
                    receiver.cond.notify_all()
                status, headers, text = reply
                data = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count=1, timeout=30.0):
        """The first `count` requests, once that many arrived (AssertionError otherwise)."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} request(s) arrived, {count} expected")
            return list(self.requests[:count])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
