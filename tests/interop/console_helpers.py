"""Helpers shared by the console interop tests: a broker with the console on, HTTP calls
with a session, and a local webhook receiver (http.server on a thread)."""
import http.client
import http.server
import json
import threading
import time
import urllib.error
import urllib.request

ADMIN_PASSWORD = "console-admin-pw"

CONSOLE_CONFIG = {
    "console.admin.password": ADMIN_PASSWORD,
    # Sample every second so lag charts and alerts move within the test's time box.
    "console.sample.interval.ms": "1000",
}


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"console did not answer at {url}")


class ConsoleSession:
    """A logged-in API client (cookie + CSRF token), like the page's own fetch calls."""

    def __init__(self, base: str, user: str = "admin", password: str = ADMIN_PASSWORD):
        self.base = base
        self.cookie = None
        self.csrf = None
        status, body, headers = self.call("POST", "/api/login", {"username": user, "password": password})
        assert status == 200, body
        self.cookie = headers["Set-Cookie"].split(";")[0]
        self.csrf = body["csrf"]

    def call(self, method: str, path: str, body=None, csrf: str | None = "session"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        token = self.csrf if csrf == "session" else csrf
        if token and method != "GET":
            req.add_header("X-CSRF-Token", token)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else {}), resp.headers
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {"raw": raw.decode(errors="replace")}
            return err.code, parsed, err.headers


def raw_get(port: int, path: str) -> int:
    """GET with the path sent exactly as given (no client-side normalisation of `..`)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert b"root:" not in body, f"{path} leaked /etc/passwd"
    return resp.status


class WebhookReceiver:
    """Records JSON POSTs on 127.0.0.1:<port>/hook."""

    def __init__(self):
        self.events = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.events.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for path, event in self.events:
                    if predicate(event):
                        return event
            time.sleep(0.2)
        raise AssertionError(f"no matching webhook event within {timeout}s; got {self.events}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
