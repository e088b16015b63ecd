"""The monitor clock (`Services.mark_overdue_monitors`) on real stores, with the time passed in:
a check-in not there by its expected time plus the margin becomes `MonitorCheckInMissed`, one in
progress past the maximum runtime `MonitorCheckInTimedOut`, each appended once however often the
clock asks, and `Project.monitors` shows them as MISSED and TIMEOUT."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from stackline.app.settings import Settings
from stackline.app.wiring import Services, open_services
from stackline.domain.envelope import parse_envelope
from stackline.domain.intake import Intake, IntakeSettings, plan_envelope
from stackline.graphql.context import Context
from stackline.graphql.schema import schema

MONITORS = """{ project(organizationSlug: "acme", slug: "cron") {
  monitors { slug status lastCheckInStatus nextExpected inProgressSince } } }"""


@pytest.fixture
async def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Services]:
    for name in ("STACKLINE_EVENTSTORE_URL", "STACKLINE_DATABASE_URL", "STACKLINE_NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STACKLINE_CLICKHOUSE_URL", "none")
    opened = await open_services(Settings.load(tmp_path / "data", "http://localhost:9000"))
    opened.start_projectors()
    try:
        yield opened
    finally:
        await opened.close()


async def monitors(services: Services, token: str) -> dict[str, dict]:
    viewer = await services.lookups.viewer(token)
    if viewer is None:  # the token is not projected yet
        return {}
    context = Context(
        services=services,
        request=None,
        response=None,  # type: ignore[arg-type]
        viewer=viewer,
        token=token,
    )
    result = await schema.execute(MONITORS, context_value=context)
    assert not result.errors, result.errors
    return {m["slug"]: m for m in result.data["project"]["monitors"]}  # type: ignore[index]


async def until(services: Services, token: str, predicate) -> dict[str, dict]:  # noqa: ANN001
    deadline = time.monotonic() + 20
    while not predicate(found := await monitors(services, token)):
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)
    return found


async def check_in(services: Services, org_id: str, project_id: int, at: float, **item: object) -> None:
    """A check-in item as sentry-python sends it, through the intake ingest uses."""
    body = b'{}\n{"type":"check_in"}\n' + json.dumps(item).encode()
    plan = plan_envelope(parse_envelope(body), Intake(org_id, project_id, at, IntakeSettings(), None))
    await services.commands.receive_intake(project_id, plan.events)


async def report_and_backup(
    services: Services, token: str, org_id: str, project_id: int, now: float
) -> dict[str, dict]:
    """Two monitors checked in at `now`: `report` (every ten minutes, 2 min margin) ok, and
    `backup` (hourly, 5 min maximum runtime) in progress; their GraphQL rows once listed."""
    every_ten = {"schedule": {"type": "crontab", "value": "*/10 * * * *"}, "checkin_margin": 2}
    await check_in(
        services,
        org_id,
        project_id,
        now,
        check_in_id="a" * 32,
        monitor_slug="report",
        status="ok",
        monitor_config=every_ten,
    )
    hourly = {"schedule": {"type": "interval", "value": 1, "unit": "hour"}, "max_runtime": 5}
    await check_in(
        services,
        org_id,
        project_id,
        now,
        check_in_id="b" * 32,
        monitor_slug="backup",
        status="in_progress",
        monitor_config=hourly,
    )
    return await until(services, token, lambda m: {"report", "backup"} <= set(m))


async def stored(services: Services, type_name: str) -> int:
    return sum(1 for e in await services.store.read_all(0, 10_000) if e.type == type_name)


async def test_missed_and_timed_out_check_ins_are_marked_once_by_the_clock(services: Services) -> None:
    commands = services.commands
    await commands.ensure_organization("acme")
    project = await commands.ensure_project("acme", "cron")
    token = (await commands.issue_token("acme", "test")).token
    org_id = (await commands.load_organization("acme"))[0].id
    now = time.time()
    found = await report_and_backup(services, token, org_id, project.project_id, now)
    next_at = datetime.fromisoformat(found["report"]["nextExpected"]).timestamp()
    assert found["backup"]["inProgressSince"] is not None

    # Before the margins run out the clock says nothing.
    assert await services.mark_overdue_monitors(min(next_at + 119, now + 299)) == 0
    # Past both: the report's check-in is missed, the backup's run timed out; asked again before
    # the projector caught up, the clock appends nothing twice.
    later = max(next_at + 120, now + 300)
    assert await services.mark_overdue_monitors(later) == 2
    await services.mark_overdue_monitors(later)
    found = await until(
        services,
        token,
        lambda m: m and m["report"]["status"] == "MISSED" and m["backup"]["status"] == "TIMEOUT",
    )
    assert datetime.fromisoformat(found["report"]["nextExpected"]).timestamp() == next_at + 600
    assert found["backup"]["inProgressSince"] is None
    assert await stored(services, "MonitorCheckInMissed") == 1
    assert await stored(services, "MonitorCheckInTimedOut") == 1
    assert await services.mark_overdue_monitors(later) == 0

    # The next check-in brings the monitor back to OK.
    await check_in(
        services, org_id, project.project_id, later, check_in_id="c" * 32, monitor_slug="report", status="ok"
    )
    await until(services, token, lambda m: m and m["report"]["status"] == "OK")
