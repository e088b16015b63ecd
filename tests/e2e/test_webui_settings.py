"""The web UI's project pages in a real browser (Debian's Chromium through Playwright) against a
real `stackline serve` fed by the real sentry-sdk: the settings page's DSN, key rate limits and
scrubbing (persisted, confirmed through GraphQL), members and a token shown once then revoked,
userErrors shown as the server words them, an alert rule's whole life through the UI with a
failing notification on view, the overview's counts of what the SDK sent, and a member's
read-only view that cannot reach another tenant.

Screenshots of each page go to /tmp/ui2-*.png.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.crons import capture_checkin

from tests.e2e.browser import WAIT_MS, chromium, open_page
from tests.e2e.server import Server, free_port, sentry_client, stackline
from tests.e2e.test_auth_matrix import personal_token, until_accepted

KEYS = "query ($o: String!, $p: String!) { project(organizationSlug: $o, slug: $p) { id keys { publicKey rateLimitPerSecond rateLimitPerMinute } settings { scrubData scrubIpAddresses monthlyEventQuota } webhooks { url } } }"  # noqa: E501
RULES = """query ($o: String!, $p: String!) { project(organizationSlug: $o, slug: $p) { alertRules {
  name enabled actionIntervalMinutes conditions { kind threshold windowMinutes }
  filters { levels environment release tags query } channels { kind emails url webhookId }
  notifications(first: 5) { edges { node { status attempts lastError channel trigger } } } } } }"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # One attempt per notification: a failure is final at once instead of after minutes of backoff.
    env = {"STACKLINE_WEBHOOK_MAX_ATTEMPTS": "1", "STACKLINE_WEBHOOK_TIMEOUT": "2"}
    running = Server(tmp_path_factory.mktemp("webui-settings") / "data", env=env).start()
    try:
        yield running
    finally:
        running.stop()


def project_state(server: Server, token: str, org: str, project: str, query: str = KEYS) -> dict:
    answer = server.graphql(query, {"o": org, "p": project}, token=token)
    assert "errors" not in answer, answer
    return answer["data"]["project"]


def reload_until(page: Any, ready: Callable[[], bool], what: str, timeout: float = WAIT_MS / 1000) -> None:
    """Pages without a live feed show what the server has projected when they load: reload until
    the projectors have caught up."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.5)
        page.reload()
        page.locator(".page-header").wait_for()


def test_dsn_key_rate_limits_and_scrubbing_persist(browser: Any, server: Server) -> None:
    boot = server.bootstrap("keys", "web")
    page = open_page(browser, server.url, boot["token"], "/orgs/keys/projects/web/settings")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)

    # The DSN, its copy button (onto the real clipboard) and the SDK snippet carrying it.
    dsn = page.locator("#dsn")
    dsn.wait_for()
    assert dsn.input_value() == boot["dsn"]
    page.get_by_role("button", name="Copy DSN").click()
    page.get_by_role("button", name="Copied ✓").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == boot["dsn"]
    assert f'dsn="{boot["dsn"]}"' in page.locator(".snippet").inner_text()

    # A key's rate limits and the IP scrubbing setting, saved.
    (key,) = project_state(server, boot["token"], "keys", "web")["keys"]
    public_key = key["publicKey"]
    assert key["rateLimitPerSecond"] is None
    page.get_by_label(f"Events per second for key {public_key}").fill("7")
    page.get_by_label(f"Events per minute for key {public_key}").fill("300")
    page.get_by_role("button", name="Save limits").click()
    page.locator("#keys .saved").wait_for()
    scrub_ip = page.get_by_label("Scrub IP addresses")
    assert not scrub_ip.is_checked()
    scrub_ip.check()
    page.get_by_label("Additional sensitive fields").fill("ssn\ntax_id")
    page.get_by_role("button", name="Save scrubbing settings").click()
    page.locator("#scrubbing .saved").wait_for()
    page.get_by_label("Events per month").fill("50000")
    page.get_by_role("button", name="Save quota").click()
    page.locator("#quota .saved").wait_for()

    # A reload shows what was stored, and GraphQL agrees.
    page.reload()
    page.locator("#dsn").wait_for()
    assert page.get_by_label(f"Events per second for key {public_key}").input_value() == "7"
    assert page.get_by_label(f"Events per minute for key {public_key}").input_value() == "300"
    assert page.get_by_label("Scrub IP addresses").is_checked()
    assert page.get_by_label("Scrub sensitive data").is_checked()
    assert page.get_by_label("Additional sensitive fields").input_value() == "ssn\ntax_id"
    assert page.get_by_label("Events per month").input_value() == "50000"
    state = project_state(server, boot["token"], "keys", "web")
    assert state["keys"] == [{"publicKey": public_key, "rateLimitPerSecond": 7, "rateLimitPerMinute": 300}]
    assert state["settings"] == {"scrubData": True, "scrubIpAddresses": True, "monthlyEventQuota": 50000}

    # Emptying the per-second field clears that limit and keeps the other.
    page.get_by_label(f"Events per second for key {public_key}").fill("")
    page.get_by_role("button", name="Save limits").click()
    page.locator("#keys .saved").wait_for()
    assert project_state(server, boot["token"], "keys", "web")["keys"][0]["rateLimitPerSecond"] is None
    assert project_state(server, boot["token"], "keys", "web")["keys"][0]["rateLimitPerMinute"] == 300
    page.screenshot(path="/tmp/ui2-settings.png", full_page=True)
    page.context.close()


def test_user_errors_are_shown_and_a_webhook_secret_once(browser: Any, server: Server) -> None:
    boot = server.bootstrap("errs", "web")
    page = open_page(browser, server.url, boot["token"], "/orgs/errs/projects/web/settings")
    webhooks = page.locator("#webhooks")
    webhooks.get_by_label("URL").fill("ftp://example.com/hook")
    webhooks.get_by_role("button", name="Add webhook").click()
    error = webhooks.get_by_role("alert")
    error.wait_for()
    assert "must be an http:// or https:// URL" in error.inner_text()
    assert project_state(server, boot["token"], "errs", "web")["webhooks"] == []

    # A good URL: created, its signing secret shown this once.
    webhooks.get_by_label("URL").fill("http://127.0.0.1:9/hooks")
    webhooks.get_by_role("button", name="Add webhook").click()
    secret = page.get_by_label("Webhook signing secret")
    secret.wait_for()
    assert len(secret.input_value()) >= 32
    assert webhooks.get_by_role("alert").count() == 0
    webhooks.locator(".row-item", has_text="http://127.0.0.1:9/hooks").wait_for()
    assert project_state(server, boot["token"], "errs", "web")["webhooks"] == [
        {"url": "http://127.0.0.1:9/hooks"}
    ]
    page.reload()
    webhooks.locator(".row-item", has_text="http://127.0.0.1:9/hooks").wait_for()
    assert page.get_by_label("Webhook signing secret").count() == 0

    # An alert rule the server refuses: its words, on the form.
    page.goto(f"{server.url}/orgs/errs/projects/web/alerts")
    page.get_by_role("button", name="New alert rule").click()
    form = page.get_by_role("form", name="New alert rule")
    form.get_by_label("Name").fill("Bad address")
    form.get_by_label("Channel 1 e-mail addresses").fill("not-an-address")
    form.get_by_role("button", name="Create rule").click()
    error = form.get_by_role("alert")
    error.wait_for()
    assert "'not-an-address' is not an e-mail address" in error.inner_text()
    page.screenshot(path="/tmp/ui2-alert-error.png", full_page=True)
    assert project_state(server, boot["token"], "errs", "web", RULES)["alertRules"] == []
    page.context.close()


def test_an_alert_rule_made_in_the_ui_lives_and_its_failures_show(browser: Any, server: Server) -> None:
    boot = server.bootstrap("alerts", "shop")
    closed = f"http://127.0.0.1:{free_port()}/slack"  # nothing listens: every send fails
    page = open_page(browser, server.url, boot["token"], "/orgs/alerts/projects/shop/alerts")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_text("No alert rules yet").wait_for()

    page.get_by_role("button", name="New alert rule").click()
    form = page.get_by_role("form", name="New alert rule")
    form.get_by_label("Name").fill("Checkout errors")
    form.get_by_label("An issue is seen more than").check()
    form.get_by_label("EVENT_FREQUENCY threshold").fill("100")
    form.get_by_label("EVENT_FREQUENCY window in minutes").fill("60")
    form.get_by_label("error", exact=True).check()
    form.get_by_label("Environment").fill("production")
    form.get_by_label("At most one notification per issue every (minutes)").fill("30")
    form.get_by_label("Channel 1 kind").select_option("SLACK")
    form.get_by_label("Channel 1 Slack webhook URL").fill(closed)
    form.get_by_role("button", name="Create rule").click()

    card = page.locator('.rule[data-rule="Checkout errors"]')
    card.wait_for()
    summary = card.locator(".rule-summary").inner_text()
    assert "a new issue, or more than 100 events in 60 min" in summary
    assert "level error, and environment production" in summary
    assert f"Slack {closed}" in summary and "every 30 min" in summary
    (rule,) = project_state(server, boot["token"], "alerts", "shop", RULES)["alertRules"]
    assert rule["name"] == "Checkout errors" and rule["enabled"] is True
    assert rule["conditions"] == [
        {"kind": "NEW_ISSUE", "threshold": None, "windowMinutes": None},
        {"kind": "EVENT_FREQUENCY", "threshold": 100, "windowMinutes": 60},
    ]
    assert rule["filters"] == {
        "levels": ["error"],
        "environment": "production",
        "release": None,
        "tags": [],
        "query": "",
    }
    assert rule["channels"] == [{"kind": "SLACK", "emails": [], "url": closed, "webhookId": None}]
    assert rule["actionIntervalMinutes"] == 30

    # Disabled and enabled again from its switch.
    switch = card.get_by_label("Checkout errors enabled")
    switch.uncheck()
    card.locator(".status", has_text="disabled").wait_for()
    assert project_state(server, boot["token"], "alerts", "shop", RULES)["alertRules"][0]["enabled"] is False
    switch.check()
    page.wait_for_function("!document.querySelector('.rule.disabled')")
    assert project_state(server, boot["token"], "alerts", "shop", RULES)["alertRules"][0]["enabled"] is True

    # A new issue fires it; the Slack URL refuses, and the page says so.
    with sentry_client(boot["dsn"], environment="production"):
        try:
            raise RuntimeError("checkout failed")
        except RuntimeError:
            sentry_sdk.capture_exception()
    failed = page.locator(".notification-failed")
    reload_until(page, lambda: failed.count() > 0, "the failed notification")
    shown = failed.locator(".form-error").inner_text()
    (notification,) = [
        e["node"]
        for e in project_state(server, boot["token"], "alerts", "shop", RULES)["alertRules"][0][
            "notifications"
        ]["edges"]
    ]
    assert notification["status"] == "FAILED" and notification["trigger"] == "NEW_ISSUE"
    assert notification["lastError"] and shown == notification["lastError"]
    assert failed.locator("td.num").inner_text() == str(notification["attempts"]) == "1"
    assert page.locator('.rule[data-rule="Checkout errors"] .status', has_text="1 failed").is_visible()
    page.screenshot(path="/tmp/ui2-alerts.png", full_page=True)

    # Edited, then deleted.
    page.locator('.rule[data-rule="Checkout errors"]').get_by_role("button", name="Edit").click()
    form = page.get_by_role("form", name=re.compile("^Edit"))
    assert form.get_by_label("EVENT_FREQUENCY threshold").input_value() == "100"
    form.get_by_label("Name").fill("Checkout errors (prod)")
    form.get_by_label("An issue is seen more than").uncheck()
    form.get_by_role("button", name="Save rule").click()
    page.locator('.rule[data-rule="Checkout errors (prod)"]').wait_for()
    (rule,) = project_state(server, boot["token"], "alerts", "shop", RULES)["alertRules"]
    assert rule["name"] == "Checkout errors (prod)"
    assert [c["kind"] for c in rule["conditions"]] == ["NEW_ISSUE"]
    page.locator('.rule[data-rule="Checkout errors (prod)"]').get_by_role("button", name="Delete").click()
    page.get_by_text("No alert rules yet").wait_for()
    assert project_state(server, boot["token"], "alerts", "shop", RULES)["alertRules"] == []
    page.context.close()


def test_the_overview_counts_what_the_sdk_sent(browser: Any, server: Server) -> None:
    boot = server.bootstrap("stats", "web")
    with sentry_client(boot["dsn"], release="web@1.0", environment="production", traces_sample_rate=1.0):
        with sentry_sdk.start_transaction(name="GET /checkout", op="http.server") as transaction:
            transaction.set_status("ok")
        check_in = capture_checkin(monitor_slug="nightly-import", status="in_progress")
        capture_checkin(monitor_slug="nightly-import", check_in_id=check_in, status="ok", duration=12.5)
        for n in range(3):
            with sentry_sdk.new_scope() as scope:
                scope.fingerprint = [f"overview {n}"]
                try:
                    raise ValueError(f"overview failure {n}")
                except ValueError:
                    sentry_sdk.capture_exception()
        # Release health: three sessions end well, one crashes (75 % crash-free).
        scope = sentry_sdk.get_isolation_scope()
        for status in ("exited", "exited", "exited", "crashed"):
            scope.start_session(session_mode="application")
            if status == "crashed":
                scope._session.update(status="crashed")  # what the SDK's excepthook does on a crash
            scope.end_session()
    page = open_page(browser, server.url, boot["token"], "/orgs/stats/projects/web")
    count = page.get_by_test_id("event-count")
    count.wait_for()
    reload_until(page, lambda: count.inner_text() == "3", "3 errors in the volume tile")
    tiles = page.locator(".tiles").inner_text()
    assert re.search(r"Errors accepted, 30 d\s+3", tiles, re.IGNORECASE), tiles
    assert re.search(r"Unresolved issues\s+3", tiles, re.IGNORECASE), tiles
    crash_free = page.get_by_test_id("crash-free")
    reload_until(page, lambda: crash_free.inner_text() == "75.00 %", "the crash-free rate")
    assert "web@1.0" in page.locator(".card", has_text="Release health").inner_text()
    assert page.locator(".card", has_text="Unresolved issues").locator(".row-item").count() == 3
    transactions = page.locator(".card", has_text="Transactions")
    reload_until(page, lambda: "GET /checkout" in transactions.inner_text(), "the transaction")
    assert "http.server" in transactions.inner_text()
    # The check-ins table, not the monitors table above it in the same card.
    check_ins = page.get_by_test_id("check-ins").locator("tr", has_text="nightly-import")
    reload_until(page, lambda: check_ins.count() > 0 and "12.5 s" in check_ins.inner_text(), "the check-in")
    assert check_ins.locator(".checkin").inner_text() == "ok"

    # Over a key's rate limit the SDK's errors are answered 429: the overview counts them apart.
    (key,) = project_state(server, boot["token"], "stats", "web")["keys"]
    limited = server.graphql(
        "mutation ($i: UpdateProjectKeyInput!) { updateProjectKey(input: $i) { userErrors { message } } }",
        {
            "i": {
                "organizationSlug": "stats",
                "projectSlug": "web",
                "publicKey": key["publicKey"],
                "rateLimitPerMinute": 1,
            }
        },
        token=boot["token"],
    )
    assert limited["data"]["updateProjectKey"]["userErrors"] == []
    time.sleep(2.5)  # ingest re-reads a key's limits at most 2 s after a change
    with sentry_client(boot["dsn"], release="web@1.0"):
        for n in range(3):
            try:
                raise KeyError(f"limited {n}")
            except KeyError:
                sentry_sdk.capture_exception()
    refused = page.get_by_test_id("rate-limited")
    reload_until(page, lambda: refused.inner_text() not in ("0", "…"), "rate-limited errors", timeout=60)
    row = page.locator(".card", has_text="Outcomes, 30 days").locator("tr", has_text="error")
    assert row.locator("td.warn").inner_text() == refused.inner_text()
    assert "rate_limited" in row.inner_text()
    page.screenshot(path="/tmp/ui2-overview-limited.png", full_page=True)
    assert page.locator(".tab.active").inner_text() == "Overview"
    page.screenshot(path="/tmp/ui2-overview.png", full_page=True)
    page.context.close()


def owner_and_member(
    server: Server, org: str, owner_email: str, member_email: str, role: str
) -> tuple[dict, str, str]:
    """Organization `org` with project `web` bootstrapped for `owner_email`, `member_email` added
    with `role`; the bootstrap's answer and the two people's personal tokens."""
    boot = json.loads(
        stackline(
            "bootstrap",
            "--org",
            org,
            "--project",
            "web",
            "--owner",
            owner_email,
            "--data-dir",
            str(server.data_dir),
            "--json",
            env=server.env,
        ).stdout.splitlines()[-1]
    )
    owner = until_accepted(server, personal_token(server, owner_email))
    member = until_accepted(server, personal_token(server, member_email))
    added = server.graphql(
        "mutation ($o: String!, $e: String!, $r: String!) { addMember(input: "
        "{organizationSlug: $o, email: $e, role: $r}) { userErrors { message } } }",
        {"o": org, "e": member_email, "r": role},
        token=owner,
    )
    assert added["data"]["addMember"]["userErrors"] == [], added
    return boot, owner, member


def test_a_member_sees_settings_read_only_and_no_other_tenant(browser: Any, server: Server) -> None:
    boot, owner, member = owner_and_member(server, "ro", "olga@ro.test", "max@ro.test", "member")
    server.bootstrap("elsewhere", "secret")

    page = open_page(browser, server.url, member, "/orgs/ro/projects/web/settings")
    page.get_by_role("note").wait_for()
    assert "Your role (member) lacks project:write" in page.get_by_role("note").inner_text()
    assert page.locator("#dsn").input_value() == boot["dsn"]
    assert page.get_by_role("button", name="Save limits").is_disabled()
    assert page.get_by_label("Scrub IP addresses").is_disabled()
    assert page.get_by_role("button", name="Add webhook").is_disabled()
    assert page.get_by_role("button", name="Add member").is_disabled()
    assert page.get_by_label("Role of olga@ro.test").is_disabled()
    page.locator("#members").get_by_text("max@ro.test (you)").wait_for()
    # Organization tokens are the owners' business; the member's own tokens are listed.
    assert "managed by the organization's owners" in page.locator("#tokens").inner_text()
    page.locator("#tokens .subsection", has_text="Your personal tokens").locator(
        "tr", has_text="this session"
    ).wait_for()
    page.screenshot(path="/tmp/ui2-settings-member.png", full_page=True)

    page.goto(f"{server.url}/orgs/ro/projects/web/alerts")
    page.get_by_role("note").wait_for()
    assert page.get_by_role("button", name="New alert rule").is_disabled()

    # Another organization's project is as missing as one that does not exist.
    for path in (
        "/orgs/elsewhere/projects/secret/settings",
        "/orgs/elsewhere/projects/secret",
        "/orgs/elsewhere/projects/secret/alerts",
    ):
        page.goto(server.url + path)
        page.get_by_role("alert").wait_for()
        assert "project not found" in page.get_by_role("alert").inner_text()
        assert page.locator("#dsn").count() == 0
    page.context.close()


def test_members_tokens_and_origins_from_the_settings_page(browser: Any, server: Server) -> None:
    boot = server.bootstrap("team", "web")
    page = open_page(browser, server.url, boot["token"], "/orgs/team/projects/web/settings")
    page.on("dialog", lambda dialog: dialog.accept())

    # A bad allowed origin: refused, in the server's words, and nothing stored.
    scrubbing = page.locator("#scrubbing")
    scrubbing.get_by_label("Allowed browser origins").fill("not an origin")
    scrubbing.get_by_role("button", name="Save scrubbing settings").click()
    assert "must look like https://example.com" in scrubbing.get_by_role("alert").inner_text()

    # Members: a bad address refused; an admin added, then made a member.
    members = page.locator("#members")
    members.get_by_label("Add a member").fill("nope")
    members.get_by_role("button", name="Add member").click()
    assert "'nope' is not an email address" in members.get_by_role("alert").inner_text()
    members.get_by_label("Add a member").fill("dev@team.test")
    members.get_by_label("Role of the new member").select_option("admin")
    members.get_by_role("button", name="Add member").click()
    role = members.get_by_label("Role of dev@team.test")
    role.wait_for()
    assert role.input_value() == "admin"
    role.select_option("member")
    page.wait_for_function(
        "document.querySelector('[aria-label=\"Role of dev@team.test\"]').value === 'member'"
    )
    listed = server.graphql('{ organization(slug: "team") { members { email role } } }', token=boot["token"])
    deadline = time.monotonic() + 10
    while listed["data"]["organization"]["members"] != [{"email": "dev@team.test", "role": "member"}]:
        assert time.monotonic() < deadline, listed
        time.sleep(0.2)
        listed = server.graphql(
            '{ organization(slug: "team") { members { email role } } }', token=boot["token"]
        )

    # An organization token with one scope: its secret shown once, and it works with that scope.
    tokens = page.locator("#tokens")
    tokens.get_by_label("Label").fill("read-only ci")
    for scope in ("org:read", "org:write", "project:write", "event:read", "event:write"):
        tokens.get_by_label(scope, exact=True).uncheck()
    tokens.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("New API token")
    secret.wait_for()
    token = secret.input_value()
    viewer = until_accepted(server, token)
    assert server.graphql("{ viewer { scopes } }", token=viewer)["data"]["viewer"]["scopes"] == [
        "project:read"
    ]
    row = tokens.locator("tr", has_text="read-only ci")
    row.wait_for()
    page.reload()
    row.wait_for()
    assert page.get_by_label("New API token").count() == 0
    assert token not in page.content()

    # Revoked from its row: the token is refused from then on.
    row.get_by_role("button", name="Revoke").click()
    row.get_by_text("revoked").wait_for()
    deadline = time.monotonic() + 10  # other API processes may cache a token for 2 s
    while "errors" not in server.graphql("{ viewer { tokenId } }", token=token):
        assert time.monotonic() < deadline, "the revoked token still works"
        time.sleep(0.2)
    page.context.close()


ORG_SETTINGS = (
    "query ($o: String!) { organization(slug: $o) { settings { retentionDays retentionMaxEvents } } }"
)
EVENT_USER = """query ($o: String!, $p: String!, $e: String!) { project(organizationSlug: $o, slug: $p) {
  event(eventId: $e) { payload } } }"""


def test_retention_and_erasing_a_person_from_the_settings_page(browser: Any, server: Server) -> None:
    boot, owner, admin = owner_and_member(server, "keep", "olga@keep.test", "ada@keep.test", "admin")
    with sentry_client(boot["dsn"], send_default_pii=True):
        sentry_sdk.set_user({"email": "erase.me@example.org", "ip_address": "203.0.113.9"})
        event_id = sentry_sdk.capture_message("checkout failed")

    def user_of_event() -> dict | None:
        answer = server.graphql(EVENT_USER, {"o": "keep", "p": "web", "e": event_id}, token=owner)
        found = answer["data"]["project"]["event"]
        return found["payload"]["user"] if found else None

    deadline = time.monotonic() + WAIT_MS / 1000
    while user_of_event() is None:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert user_of_event() == {"email": "erase.me@example.org", "ip_address": "203.0.113.9"}

    # An admin sets the organization's retention, but may not erase anyone.
    page = open_page(browser, server.url, admin, "/orgs/keep/projects/web/settings")
    days = page.get_by_label("Keep events for (days)")
    days.wait_for()
    page.wait_for_function("!document.querySelector('#retention input').disabled")
    days.fill("30")
    page.get_by_label("Error events kept per project").fill("5000")
    page.get_by_role("button", name="Save retention").click()
    page.locator("#retention .saved").wait_for()
    settings = server.graphql(ORG_SETTINGS, {"o": "keep"}, token=owner)["data"]["organization"]["settings"]
    assert settings == {"retentionDays": 30.0, "retentionMaxEvents": 5000}
    assert "Only owners erase people's data (your role: admin)" in page.locator("#erasure").inner_text()
    assert page.get_by_role("button", name="Erase…").is_disabled()
    assert page.get_by_label("Identifier value").is_disabled()
    # What the server refuses is shown as it answered.
    days.fill("0")
    page.get_by_role("button", name="Save retention").click()
    page.locator("#retention").get_by_role("alert").wait_for()
    refused = page.locator("#retention").get_by_role("alert").inner_text()
    page.screenshot(path="/tmp/ui2-settings-retention-admin.png", full_page=True)
    page.context.close()
    assert "retentionDays must be positive" in refused

    # The owner erases the person (after confirming), and GraphQL reads them [erased].
    page = open_page(browser, server.url, owner, "/orgs/keep/projects/web/settings")
    page.get_by_label("Keep events for (days)").wait_for()
    page.wait_for_function("document.querySelector('#retention input').value === '30'")
    assert page.get_by_label("Error events kept per project").input_value() == "5000"
    page.get_by_label("Error events kept per project").fill("")  # back to the server's: no cap
    page.get_by_role("button", name="Save retention").click()
    page.locator("#retention .saved").wait_for()
    settings = server.graphql(ORG_SETTINGS, {"o": "keep"}, token=owner)["data"]["organization"]["settings"]
    assert settings == {"retentionDays": 30.0, "retentionMaxEvents": None}

    page.get_by_label("Identifier value").fill("erase.me@example.org")
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Erase…").click()
    page.wait_for_function("document.querySelector('#erasure input').value !== ''")
    assert dialogs and "erase.me@example.org" in dialogs[0] and "cannot be undone" in dialogs[0]
    assert user_of_event() == {"email": "erase.me@example.org", "ip_address": "203.0.113.9"}  # dismissed
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase…").click()
    status = page.locator("#erasure").get_by_role("status")
    status.wait_for()
    assert "Erased erase.me@example.org: 1 subject" in status.inner_text()
    page.screenshot(path="/tmp/ui2-settings-erasure.png", full_page=True)
    page.context.close()
    assert user_of_event() == {"email": "[erased]", "ip_address": "[erased]"}
