"""Alert rules on cron monitors with the monitor clock passed in (as tests/app/test_monitor_clock.py
does): a missed check-in and a timed-out run, decided by `Services.mark_overdue_monitors`, reach a
real SMTP server (aiosmtpd) once each, saying when the check-in was expected and linking to the
project's overview; the clock asking again sends nothing again, a second miss within the action
interval is not told, and another organization's rule stays silent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stackline.app.settings import Settings
from stackline.app.wiring import Services, open_services
from stackline.domain.alert import AlertNotificationSent
from stackline.domain.registry import decode
from stackline.graphql.context import Context
from stackline.graphql.schema import schema
from tests.app.test_monitor_clock import report_and_backup, stored, until
from tests.e2e.receivers import Mailbox

PROJECT = 'query ($org: String!) { project(organizationSlug: $org, slug: "cron") { id } }'
CREATE = """mutation ($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) { alertRule { id } userErrors { message field } } }"""
RULE = """query ($id: ID!) { node(id: $id) { ... on AlertRule {
  notifications(first: 20) { edges { node { trigger monitorSlug issueId status } } } } } }"""


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    running = Mailbox().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox
) -> AsyncIterator[Services]:
    for name in ("STACKLINE_EVENTSTORE_URL", "STACKLINE_DATABASE_URL", "STACKLINE_NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STACKLINE_CLICKHOUSE_URL", "none")
    monkeypatch.setenv("STACKLINE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STACKLINE_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("STACKLINE_SMTP_FROM", "alerts@stackline.test")
    monkeypatch.setenv("STACKLINE_WEBHOOK_POLL_INTERVAL", "0.1")
    opened = await open_services(Settings.load(tmp_path / "data", "http://stackline.test"))
    opened.start_projectors()
    try:
        yield opened
    finally:
        await opened.close()


async def graphql(services: Services, token: str, query: str, variables: dict) -> dict:
    deadline = time.monotonic() + 20
    while (viewer := await services.lookups.viewer(token)) is None:  # the token is not projected yet
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    context = Context(services=services, request=None, response=None, viewer=viewer, token=token)  # type: ignore[arg-type]
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    return result.data  # type: ignore[return-value]


async def create_rule(services: Services, token: str, org: str, email: str) -> str:
    deadline = time.monotonic() + 20
    while not (project := (await graphql(services, token, PROJECT, {"org": org}))["project"]):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    answer = await graphql(
        services,
        token,
        CREATE,
        {
            "input": {
                "projectId": project["id"],
                "name": "Cron jobs",
                "conditions": [{"kind": "MONITOR_MISSED"}, {"kind": "MONITOR_TIMED_OUT"}],
                "channels": [{"kind": "EMAIL", "emails": [email]}],
                "actionIntervalMinutes": 60,
            }
        },
    )
    payload = answer["createAlertRule"]
    assert payload["userErrors"] == [], payload
    return payload["alertRule"]["id"]


async def wait_for(predicate, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def plain(message) -> str:  # noqa: ANN001
    return next(
        p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/plain"
    )


async def test_a_missed_check_in_and_a_timed_out_run_are_told_once(
    services: Services, mailbox: Mailbox
) -> None:
    commands = services.commands
    await commands.ensure_organization("acme")
    project = await commands.ensure_project("acme", "cron")
    token = (await commands.issue_token("acme", "test")).token
    org_id = (await commands.load_organization("acme"))[0].id
    await commands.ensure_organization("rival")
    await commands.ensure_project("rival", "cron")
    rival_token = (await commands.issue_token("rival", "test")).token
    rule_id = await create_rule(services, token, "acme", "ops@acme.test")
    await create_rule(services, rival_token, "rival", "ops@rival.test")

    now = time.time()
    found = await report_and_backup(services, token, org_id, project.project_id, now)
    next_at = datetime.fromisoformat(found["report"]["nextExpected"]).timestamp()

    later = max(next_at + 120, now + 300)
    assert await services.mark_overdue_monitors(later) == 2
    await services.mark_overdue_monitors(later)  # asked again: nothing appended, nothing sent twice
    await wait_for(lambda: len(mailbox.messages) >= 2, "two e-mails")
    # A second miss ten minutes on is within the rule's action interval for that monitor.
    await until(services, token, lambda m: m and m["report"]["status"] == "MISSED")
    assert await services.mark_overdue_monitors(later + 600) == 1
    await asyncio.sleep(1.5)  # anything sent twice, or to the rival, would have come by now
    assert await stored(services, "MonitorCheckInMissed") == 2

    subjects = sorted(m["Subject"] for m in mailbox.messages)
    assert subjects == ["[cron] Missed check-in: monitor report", "[cron] Run timed out: monitor backup"]
    assert all(r == ["ops@acme.test"] for r in mailbox.recipients)
    missed = next(m for m in mailbox.messages if "report" in m["Subject"])
    expected = datetime.fromtimestamp(next_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = plain(missed)
    assert f"one was expected at {expected}" in text and f"Expected at: {expected}" in text
    assert "Schedule: crontab */10 * * * * (UTC)" in text
    assert "Open the project: http://stackline.test/orgs/acme/projects/cron" in text
    timed_out = plain(next(m for m in mailbox.messages if "backup" in m["Subject"]))
    started = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M")
    assert "past its maximum runtime" in timed_out and f"started at {started}" in timed_out

    told = (await graphql(services, token, RULE, {"id": rule_id}))["node"]["notifications"]["edges"]
    assert sorted((e["node"]["trigger"], e["node"]["monitorSlug"]) for e in told) == [
        ("MONITOR_MISSED", "report"),
        ("MONITOR_TIMED_OUT", "backup"),
    ]
    assert all(e["node"]["issueId"] is None for e in told)
    # The audit in the rule's stream names each monitor.
    deadline = time.monotonic() + 20
    while (
        len(
            audit := [
                e for e in await services.store.read_all(0, 10_000) if e.type == "AlertNotificationSent"
            ]
        )
        < 2
    ):
        assert time.monotonic() < deadline, audit
        await asyncio.sleep(0.05)
    decoded = [decode(e.type, e.data) for e in audit]
    assert sorted((e.trigger, e.monitor_slug) for e in decoded if isinstance(e, AlertNotificationSent)) == [
        ("MONITOR_MISSED", "report"),
        ("MONITOR_TIMED_OUT", "backup"),
    ]
