"""Goal: the console's alert rules beyond consumer lag reach a webhook, and rules and history
are kept across a restart (issue 6, "Alerts: ... kept across restarts, and sent to a webhook
URL"). Method: real fjord processes, rules created through the JSON API, an http.server
webhook receiver; "broker down" is shown with a standalone `fjord console` watching a broker
that is then killed; "disk usage" uses DescribeLogDirs v4 totals (KIP-827) with a 0.1%
threshold, which any real filesystem crosses."""
import subprocess
import time

from conftest import FJORD_BIN, FjordBroker, free_port
from console_helpers import CONSOLE_CONFIG, ConsoleSession, WebhookReceiver, wait_http


def test_disk_usage_alert_fires_and_alerts_survive_a_restart(tmp_path):
    broker = FjordBroker(tmp_path, extra_config=CONSOLE_CONFIG)
    hook = WebhookReceiver()
    try:
        broker.start()
        wait_http(broker.console_url + "/")
        api = ConsoleSession(broker.console_url)
        status, body, _ = api.call("POST", "/api/alerts/rules", {
            "name": "disk", "condition": {"kind": "disk_usage", "percent": 0.1},
            "for_seconds": 0, "webhook_url": hook.url})
        assert status == 201, body
        fired = hook.wait_for(lambda e: e["rule"] == "disk" and e["state"] == "firing", timeout=30)
        assert "disk" in fired["message"] and "% used" in fired["message"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            _, alerts, _ = api.call("GET", "/api/alerts")
            if alerts["history"] and alerts["history"][0]["webhook"].startswith("delivered"):
                break
            time.sleep(0.3)
        assert alerts["history"][0]["webhook"] == "delivered: HTTP 200", alerts

        assert broker.stop() == 0
        broker.start()
        wait_http(broker.console_url + "/")
        api = ConsoleSession(broker.console_url)
        _, alerts, _ = api.call("GET", "/api/alerts")
        assert [r["rule"]["name"] for r in alerts["rules"]] == ["disk"]
        assert alerts["history"][-1]["state"] == "firing", "history kept across the restart"
        assert (tmp_path / "data" / "fjord-console.json").is_file()
    finally:
        hook.close()
        broker.kill()


def test_broker_down_alert_from_a_standalone_console(tmp_path):
    (tmp_path / "broker").mkdir()
    broker = FjordBroker(tmp_path / "broker")
    hook = WebhookReceiver()
    port = free_port()
    console = None
    try:
        broker.start()
        console = subprocess.Popen(
            [FJORD_BIN, "console", "--bootstrap-server", broker.bootstrap, "--listen",
             f"http://127.0.0.1:{port}", "--data-dir", str(tmp_path / "console"), "--sample-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "FJORD_CONSOLE_ADMIN_PASSWORD": "standalone-pw"})
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/")
        api = ConsoleSession(url, "admin", "standalone-pw")
        status, body, _ = api.call("POST", "/api/alerts/rules", {
            "name": "broker gone", "condition": {"kind": "broker_down"}, "for_seconds": 0,
            "webhook_url": hook.url})
        assert status == 201, body
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            _, overview, _ = api.call("GET", "/api/overview")
            _, charts, _ = api.call("GET", "/api/charts")
            if charts["last_tick_ms"]:
                break
            time.sleep(0.3)
        assert [b["id"] for b in overview["brokers"]] == [1]

        broker.kill()
        fired = hook.wait_for(lambda e: e["state"] == "firing", timeout=45)
        assert fired["rule"] == "broker gone" and "[1]" in fired["message"], fired
    finally:
        hook.close()
        if console is not None:
            console.terminate()
            console.wait(15)
        broker.kill()
