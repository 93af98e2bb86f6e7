"""Goal: the web console works in a real browser against a real fjord process, as issue 6's
"How it must be shown" asks: log in, create a topic, produce from the message browser and see
the message, see a consumer group's lag rise while a producer runs and fall when a consumer
catches up, and trigger a lag alert that reaches a webhook receiver.

Method: `fjord server start` with the console on (conftest's broker fixture), Debian's
headless chromium driven by Python playwright, confluent-kafka as the producer and consumer,
and an http.server thread as the webhook receiver. Every page is screenshotted to
tests/interop/artifacts/ (gitignored); a few are copied to docs/img/ for the README.
Skipped, with the reason, only when /usr/bin/chromium or playwright is missing."""
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from conftest import FjordBroker
from console_helpers import ADMIN_PASSWORD, CONSOLE_CONFIG, WebhookReceiver, wait_http

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - reported as a skip
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="python playwright missing (pip install playwright)"),
]


@pytest.fixture(scope="module")
def console_broker(tmp_path_factory):
    b = FjordBroker(tmp_path_factory.mktemp("fjord-console-ui"), extra_config=CONSOLE_CONFIG)
    b.start()
    wait_http(b.console_url + "/")
    yield b
    b.kill()


@pytest.fixture
def browser_page():
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1366, "height": 860})
        page.set_default_timeout(20_000)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name):
    page.wait_for_timeout(300)  # let canvases finish drawing
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def lag_in_table(page, group):
    text = page.locator(f'tr[data-group="{group}"] [data-test="group-lag"]').inner_text(timeout=5_000)
    digits = re.sub(r"[^0-9]", "", text)
    return int(digits) if digits else None


def wait_lag(page, group, predicate, timeout):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        try:
            seen = lag_in_table(page, group)
        except Exception:  # the row appears after the first refresh
            seen = None
        if seen is not None and predicate(seen):
            return seen
        page.wait_for_timeout(500)
    raise AssertionError(f"lag of {group} never satisfied the condition; last seen {seen}")


def test_console_in_a_browser(console_broker, browser_page, topic_name):
    page, url = browser_page, console_broker.console_url
    hook = WebhookReceiver()
    group = f"{topic_name}-group"
    try:
        print("phase: log in")
        page.goto(url + "/")
        expect(page.locator("#login-form")).to_be_visible()
        shot(page, "login")
        page.fill("#login-user", "admin")
        page.fill("#login-password", "wrong password")
        page.click("#login-submit")
        expect(page.locator("#login-error")).to_contain_text("wrong user name or password")
        page.fill("#login-password", ADMIN_PASSWORD)
        page.click("#login-submit")
        expect(page.locator('[data-test="broker-count"]')).to_have_text("1")
        expect(page.locator('[data-test="cluster-id"]')).not_to_have_text("–")
        shot(page, "overview")

        print("phase: create a topic from the Topics page")
        page.click('a[data-nav="topics"]')
        page.fill("#new-topic-name", topic_name)
        page.fill("#new-topic-partitions", "2")
        page.click("#create-topic")
        row = page.locator(f'tr[data-topic="{topic_name}"]')
        expect(row).to_be_visible()
        expect(row.locator("td").nth(1)).to_have_text("2")
        shot(page, "topics")

        print("phase: produce from the message browser and see the message")
        page.goto(f"{url}/#/messages?topic={topic_name}")
        expect(page.locator("#msg-topic")).to_have_value(topic_name)
        page.fill("#produce-key", "order-1")
        page.fill("#produce-value", '{"item":"fjord console","qty":2}')
        page.fill("#produce-partition", "0")
        page.fill("#produce-headers", "source=browser-test")
        page.click("#produce-send")
        record = page.locator(".record").filter(has_text="fjord console")
        expect(record).to_be_visible()
        expect(record).to_contain_text("key: order-1")
        expect(record).to_contain_text("source=browser-test")
        page.select_option("#msg-format", "json")
        page.click("#msg-read")
        expect(page.locator(".record pre").first).to_contain_text('"qty": 2')
        shot(page, "messages")

        print("phase: a consumer group commits, then goes away (Empty, lag 0)")
        consumer = Consumer({"bootstrap.servers": console_broker.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic_name])
        deadline = time.monotonic() + 30
        got = None
        while got is None and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got = msg
        assert got is not None, "the group consumer did not read the browser's message"
        consumer.commit(asynchronous=False)
        consumer.close()

        print("phase: a lag alert rule with a webhook, created in the UI")
        page.click('a[data-nav="alerts"]')
        page.fill("#rule-name", "orders lag")
        page.select_option("#rule-kind", "group_lag")
        page.fill("#rule-group", group)
        page.fill("#rule-threshold", "100")
        page.fill("#rule-for", "2")
        page.fill("#rule-webhook", hook.url)
        page.click("#rule-create")
        expect(page.locator('tr[data-rule="orders lag"]')).to_be_visible()

        print("phase: lag rises while a producer runs")
        stop = threading.Event()
        produced = {"count": 0}

        def produce():
            producer = Producer({"bootstrap.servers": console_broker.bootstrap, "linger.ms": 5})
            while not stop.is_set() and produced["count"] < 20_000:
                for i in range(100):
                    producer.produce(topic_name, key=f"k{i}", value=b"x" * 100, partition=0)
                produced["count"] += 100
                producer.poll(0)
                time.sleep(0.1)
            producer.flush(10)

        producer_thread = threading.Thread(target=produce, daemon=True)
        producer_thread.start()
        page.click('a[data-nav="groups"]')
        first = wait_lag(page, group, lambda lag: lag > 0, timeout=30)
        later = wait_lag(page, group, lambda lag: lag > first + 100, timeout=30)
        assert producer_thread.is_alive(), "lag must be seen rising while the producer still runs"
        print(f"lag rose from {first} to {later} while producing")

        print("phase: the lag alert fires and reaches the webhook")
        fired = hook.wait_for(lambda e: e.get("state") == "firing", timeout=40)
        assert fired["rule"] == "orders lag"
        assert group in fired["message"] and "lag" in fired["message"]
        stop.set()
        producer_thread.join(30)
        shot(page, "groups")
        page.click('a[data-nav="alerts"]')
        expect(page.locator('tr[data-rule="orders lag"] [data-test="rule-state"]')).to_have_text("firing")
        expect(page.locator("#alert-history")).to_contain_text("delivered: HTTP 200")
        shot(page, "alerts")

        print("phase: a consumer catches up; lag falls to 0 and the alert resolves")
        total = produced["count"] + 1
        consumer = Consumer({"bootstrap.servers": console_broker.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic_name])
        consumed = 0
        deadline = time.monotonic() + 60
        while consumed < total - 1 and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.5):
                if msg.error() is None:
                    consumed += 1
        assert consumed >= total - 1, f"consumed {consumed} of {total - 1}"
        consumer.commit(asynchronous=False)
        page.goto(f"{url}/#/groups/{group}")
        expect(page.locator('[data-test="total-lag"]')).to_have_text("0", timeout=30_000)
        shot(page, "group")
        consumer.close()
        page.click('a[data-nav="groups"]')
        assert wait_lag(page, group, lambda lag: lag == 0, timeout=30) == 0
        resolved = hook.wait_for(lambda e: e.get("state") == "resolved", timeout=30)
        assert resolved["rule"] == "orders lag"

        print("phase: the topic page and a phone-width overview")
        page.goto(f"{url}/#/topics/{topic_name}")
        expect(page.locator('[data-test="topic-partitions"]')).to_have_text("2")
        shot(page, "topic")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url + "/#/overview")
        expect(page.locator('[data-test="broker-count"]')).to_have_text("1")
        shot(page, "overview-phone")
    finally:
        hook.close()
