"""Goal: the web console embedded in `fjord server start` refuses what it must, observed over
real HTTP against a real broker process. Method: log in through the JSON API as the page does,
then try changes without a session, with a wrong CSRF token and as a viewer; try path
traversal on /static with raw (un-normalised) request paths.

Issue 6 ("Security tests: changes without a session or with a viewer role are refused; a bad
CSRF token is refused; path traversal on static assets is refused")."""
import pytest

from conftest import FjordBroker
from console_helpers import CONSOLE_CONFIG, ConsoleSession, raw_get, wait_http


@pytest.fixture(scope="module")
def console_broker(tmp_path_factory):
    b = FjordBroker(tmp_path_factory.mktemp("fjord-console-sec"), extra_config=CONSOLE_CONFIG)
    b.start()
    wait_http(b.console_url + "/")
    yield b
    b.kill()


def test_changes_without_a_session_are_refused_with_401(console_broker):
    anon = ConsoleSession.__new__(ConsoleSession)
    anon.base, anon.cookie, anon.csrf = console_broker.console_url, None, None
    status, body, _ = anon.call("POST", "/api/topics", {"name": "sneaky"})
    assert status == 401, body
    status, _, _ = anon.call("GET", "/api/topics")
    assert status == 401
    admin = ConsoleSession(console_broker.console_url)
    status, body, _ = admin.call("GET", "/api/topics")
    assert status == 200
    assert "sneaky" not in [t["name"] for t in body["topics"]]


def test_bad_csrf_token_is_refused_with_403(console_broker):
    admin = ConsoleSession(console_broker.console_url)
    status, body, _ = admin.call("POST", "/api/topics", {"name": "csrf-victim"}, csrf="0" * 64)
    assert status == 403, body
    status, body, _ = admin.call("POST", "/api/topics", {"name": "csrf-victim"}, csrf=None)
    assert status == 403, body
    status, body, _ = admin.call("GET", "/api/topics")
    assert "csrf-victim" not in [t["name"] for t in body["topics"]]


def test_viewer_may_read_but_not_change(console_broker):
    admin = ConsoleSession(console_broker.console_url)
    status, body, _ = admin.call("POST", "/api/users", {"name": "vic", "password": "viewer-pw-1", "role": "viewer"})
    assert status == 201, body
    status, body, _ = admin.call("POST", "/api/topics", {"name": "viewer-target", "partitions": 1})
    assert status == 201, body
    viewer = ConsoleSession(console_broker.console_url, "vic", "viewer-pw-1")
    status, body, _ = viewer.call("GET", "/api/topics/viewer-target")
    assert status == 200 and len(body["partitions"]) == 1
    for method, path, payload in [
        ("DELETE", "/api/topics/viewer-target", None),
        ("POST", "/api/topics/viewer-target/partitions", {"count": 4}),
        ("POST", "/api/topics/viewer-target/messages", {"value": "x"}),
        ("POST", "/api/topics", {"name": "viewer-made"}),
    ]:
        status, body, _ = viewer.call(method, path, payload)
        assert status == 403, (method, path, body)
    status, body, _ = admin.call("GET", "/api/topics/viewer-target")
    assert status == 200 and len(body["partitions"]) == 1, "the viewer's changes did not happen"


@pytest.mark.parametrize("path", [
    "/static/../../etc/passwd",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%5c..%5cetc%5cpasswd",
    "/static/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/../../../etc/passwd",
])
def test_static_path_traversal_is_refused(console_broker, path):
    assert raw_get(console_broker.console_port, path) in (400, 404)


def test_static_assets_have_their_content_types(console_broker):
    import urllib.request
    with urllib.request.urlopen(console_broker.console_url + "/static/app.js") as resp:
        assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    with urllib.request.urlopen(console_broker.console_url + "/") as resp:
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
