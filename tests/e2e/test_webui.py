"""The web UI in a real browser (Debian's headless Chromium through Playwright) against a real
`stackline serve` fed by the real sentry-sdk: an exception appears in the issue list without a
reload, its page shows the frame and a local variable, triage changes its status, and a newer
release's event regresses it live.

Outside CI the tests skip when /usr/bin/chromium is missing; in CI (CI=true) that is a failure:
`.ci/run` installs it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from tests.e2e.browser import WAIT_MS, chromium, open_page
from tests.e2e.server import Server, sentry_client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("webui") / "data").start()
    try:
        yield running
    finally:
        running.stop()


def report_checkout(dsn: str, release: str, total: int) -> None:
    """One error through the real SDK, from a frame with local variables (in-app: under the
    working directory)."""
    with sentry_client(dsn, release=release, environment="production"):

        def apply_discount(cart_total: int) -> float:
            discount_code = "WINTER"  # noqa: F841 - a local the event carries
            return cart_total / 0

        try:
            apply_discount(total)
        except ZeroDivisionError:
            sentry_sdk.capture_exception()


def report_errors(dsn: str, *messages: str) -> None:
    """One issue per message (each its own fingerprint: the same frame would group them)."""
    with sentry_client(dsn, release="web@1.0"):
        for message in messages:
            with sentry_sdk.new_scope() as scope:
                scope.fingerprint = [message]
                try:
                    raise ValueError(message)
                except ValueError:
                    sentry_sdk.capture_exception()


def test_routes_leave_the_api_alone(server: Server) -> None:
    page = httpx.get(f"{server.url}/orgs/acme/projects/web/issues")
    assert page.status_code == 200 and '<div id="root">' in page.text
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    graphiql = httpx.get(f"{server.url}/graphql", headers={"accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    assert httpx.post(f"{server.url}/api/999/envelope/", content=b"{}").status_code in (400, 401, 403, 404)


def test_live_issue_detail_resolve_and_regression(browser, server: Server) -> None:  # noqa: ANN001
    boot = server.bootstrap("live", "shop")
    page = open_page(browser, server.url, token=None)

    # Log in by pasting the token.
    page.fill("#token", boot["token"])
    page.click("button[type=submit]")
    page.get_by_role("link", name="shop").click()
    page.wait_for_selector(".live.on")
    page.wait_for_selector("text=No issues match")
    # The socket is acknowledged; the subscription registers with the bus a moment later (the
    # same pause tests/e2e/server.py's Subscriber makes).
    page.wait_for_timeout(500)
    page.evaluate("window.__notReloaded = true")

    # An exception appears in the list without a reload.
    report_checkout(boot["dsn"], "shop@1.0", 1234)
    row = page.locator(".issue-row", has_text="ZeroDivisionError")
    row.wait_for()
    assert page.evaluate("window.__notReloaded") is True
    assert "division by zero" in row.inner_text()

    # Its page shows the frame and a local variable.
    row.locator(".issue-title").click()
    frame = page.locator(".frame.open").filter(
        has=page.locator(".frame-function", has_text=re.compile("^apply_discount$"))
    )
    frame.wait_for()
    assert "return cart_total / 0" in frame.locator(".context .current").inner_text()
    variables = frame.locator(".vars").inner_text()
    assert "cart_total" in variables and "1234" in variables
    assert "discount_code" in variables and "WINTER" in variables

    # Resolving it changes its status.
    status = page.locator(".issue-header .status")
    page.get_by_role("button", name="✓ Resolve").click()
    page.wait_for_function("document.querySelector('.issue-header .status').textContent === 'resolved'")
    assert page.get_by_role("button", name="Unresolve").is_visible()

    # A new event of a newer release regresses it, live.
    page.evaluate("window.__notReloaded = true")
    report_checkout(boot["dsn"], "shop@2.0", 99)
    page.wait_for_function("document.querySelector('.issue-header .status').textContent === 'regressed'")
    assert status.inner_text() == "regressed"
    page.wait_for_function("document.querySelector('[data-testid=times-seen]').textContent === '2'")
    assert page.evaluate("window.__notReloaded") is True
    page.locator(".activity", has_text="Regressed").wait_for()

    # Back on the list the row carries the regression.
    page.get_by_role("link", name="← Issues").click()
    page.locator(".issue-row", has_text="ZeroDivisionError").locator(
        ".status", has_text="regressed"
    ).wait_for()
    page.context.close()


def test_search_errors_bulk_triage_merge_and_unmerge(browser, server: Server) -> None:  # noqa: ANN001
    boot = server.bootstrap("bulk", "api")
    report_errors(boot["dsn"], *(f"bulk failure {n}" for n in range(3)))
    page = open_page(browser, server.url, boot["token"], "/orgs/bulk/projects/api/issues")
    page.locator(".issue-row").nth(2).wait_for()
    assert page.locator(".issue-row").count() == 3

    # Bad syntax: the server's error, inline, with the token marked.
    search = page.get_by_label("Search issues")
    search.fill("is:unresolved is:sleeping")
    search.press("Enter")
    error = page.locator(".search-error")
    error.wait_for()
    assert "unknown status 'sleeping'" in error.inner_text()
    assert "".join(page.locator(".q-fault").all_inner_texts()) == "is:sleeping"
    search.fill("bulk failure")
    search.press("Enter")
    page.locator(".issue-row").nth(2).wait_for()
    assert page.locator(".search-error").count() == 0

    # Merge two selected issues: the merged issue's page lists both fingerprints.
    rows = page.locator(".issue-row")
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Merge").click()
    unmerge = page.get_by_role("button", name="Unmerge")
    unmerge.first.wait_for()
    assert unmerge.count() == 2
    unmerge.first.click()
    page.wait_for_function("document.querySelectorAll('.hashes li').length === 1")

    # Bulk: ignore every listed issue; the unresolved view empties.
    page.get_by_role("link", name="← Issues").click()
    search = page.get_by_label("Search issues")
    search.fill("is:unresolved")
    search.press("Enter")
    page.locator(".issue-row").nth(2).wait_for()
    page.get_by_label("Select all").check()
    assert "3 selected" in page.locator(".bulk").inner_text()
    page.get_by_role("button", name="Ignore ▾").click()
    page.get_by_role("button", name="Forever").click()
    deadline = time.monotonic() + WAIT_MS / 1000
    while page.locator(".issue-row").count() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert page.locator(".issue-row").count() == 0
    search.fill("is:ignored")
    search.press("Enter")
    page.locator(".issue-row").nth(2).wait_for()
    assert page.locator(".issue-row .status", has_text="ignored").count() == 3
    page.context.close()


def test_user_errors_are_shown(browser, server: Server) -> None:  # noqa: ANN001
    boot = server.bootstrap("errs", "app")
    report_errors(boot["dsn"], "conflicting change")
    page = open_page(browser, server.url, boot["token"], "/orgs/errs/projects/app/issues", live=False)
    page.locator(".issue-row .issue-title").first.click()
    page.locator(".frame").first.wait_for()
    # Someone else resolves the issue after this page read it (and, offline, the page does not
    # hear of it): the version it holds is stale.
    issue_id = page.url.rsplit("/issues/", 1)[1].split("/")[0]
    read = server.graphql(
        "query($id: ID!) { issue(id: $id) { version } }", {"id": issue_id}, token=boot["token"]
    )
    done = server.graphql(
        "mutation($id: ID!, $v: Int!) { updateIssue(input: {id: $id, expectedVersion: $v, status: RESOLVED}) "
        "{ userErrors { message } } }",
        {"id": issue_id, "v": read["data"]["issue"]["version"]},
        token=boot["token"],
    )
    assert done["data"]["updateIssue"]["userErrors"] == []
    page.get_by_role("button", name="Ignore ▾").click()
    page.get_by_role("button", name="Forever").click()
    alert = page.locator(".triage .error-box")
    alert.wait_for()
    assert "CONFLICT" in alert.inner_text()
    page.context.close()
