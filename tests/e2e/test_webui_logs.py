"""The logs page and the overview's cron monitors in a real browser (Debian's Chromium through
Playwright) against a real `stackline serve` fed by the real sentry-sdk: logs newest first,
searched, a record's attributes on a click; monitors with their schedule and status."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sentry_sdk import logger as sentry_logger
from sentry_sdk.crons import monitor

from tests.e2e.browser import chromium, open_page
from tests.e2e.server import Server, sentry_client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("webui-logs") / "data").start()
    try:
        yield running
    finally:
        running.stop()


def test_logs_page_and_monitors_on_the_overview(server: Server) -> None:
    boot = server.bootstrap("uilogs", "shop")

    @monitor(
        monitor_slug="nightly-export", monitor_config={"schedule": {"type": "crontab", "value": "15 2 * * *"}}
    )
    def nightly_export() -> None:
        pass

    with sentry_client(boot["dsn"], enable_logs=True):
        sentry_logger.info("cart {cart} opened", cart="c-9")
        time.sleep(0.01)
        sentry_logger.error("payment provider timed out", attributes={"provider": "acme-pay"})
        nightly_export()

    with chromium() as browser:
        page: Any = open_page(browser, server.url, boot["token"], "/orgs/uilogs/projects/shop/logs")
        table = page.get_by_test_id("logs")
        table.get_by_text("payment provider timed out").wait_for()
        rows = table.locator("tr.log-row")
        assert rows.count() == 2
        assert "payment provider timed out" in rows.nth(0).inner_text()
        assert "cart c-9 opened" in rows.nth(1).inner_text()

        rows.nth(0).click()
        attributes = table.locator("tr.log-attributes")
        attributes.get_by_text('"acme-pay"').wait_for()
        assert "provider" in attributes.inner_text()

        page.get_by_label("Search logs").fill("level:info")
        page.get_by_role("button", name="Search").click()
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=logs] tr.log-row').length === 1"
            " && document.querySelector('[data-testid=logs]').innerText.includes('cart c-9 opened')"
        )
        page.get_by_label("Search logs").fill("level:loud")
        page.get_by_role("button", name="Search").click()
        page.get_by_text("unknown level 'loud'").wait_for()

        page.get_by_role("link", name="Overview").click()
        monitors = page.get_by_test_id("monitors")
        monitors.get_by_text("nightly-export").wait_for()
        row = monitors.locator("tr", has_text="nightly-export")
        assert "15 2 * * *" in row.inner_text() and "ok" in row.inner_text()
