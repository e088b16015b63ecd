"""Cron monitors as a user of the real sentry-sdk sees them: `@monitor` and `capture_checkin`
with a `monitor_config` keep a monitor per slug with its schedule, its status after each run and
when the next check-in is due, through GraphQL `Project.monitors`; a bad `monitor_config` is a
400 that stores nothing; another tenant sees nothing. (Missed and timed-out check-ins, which
take minutes of clock, are decided with the clock passed in: tests/app/test_monitor_clock.py
and tests/domain/test_monitor.py.)"""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim
from sentry_sdk.crons import capture_checkin, monitor

from tests.e2e.server import Server, sentry_client
from tests.e2e.test_ingest_protocol import Target

MONITORS = """query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) {
  monitors { slug status scheduleType schedule checkinMargin maxRuntime timezone lastCheckIn
             lastCheckInStatus nextExpected inProgressSince }
  checkIns { monitorSlug status } } }"""

NIGHTLY = {
    "schedule": {"type": "crontab", "value": "30 3 * * *"},
    "checkin_margin": 10,
    "max_runtime": 45,
    "timezone": "Europe/Vienna",
}


def project(target: Target) -> dict:
    result = target.server.graphql(MONITORS, {"org": target.org, "p": target.slug}, target.token)
    assert "errors" not in result, result
    return result["data"]["project"]


def wait_monitors(target: Target, predicate) -> dict[str, dict]:  # noqa: ANN001
    deadline = time.monotonic() + 30
    while True:
        monitors = {m["slug"]: m for m in project(target)["monitors"]}
        if predicate(monitors):
            return monitors
        assert time.monotonic() < deadline, f"{monitors}\n{target.server.log()[-3000:]}"
        time.sleep(0.1)


def instant(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_monitors_keep_their_schedule_status_and_next_expected_check_in(server: Server) -> None:
    target = Target(server, "cronco", "jobs")

    @monitor(monitor_slug="nightly-report", monitor_config=NIGHTLY)
    def nightly_report() -> None:
        pass

    @monitor(
        monitor_slug="sync", monitor_config={"schedule": {"type": "interval", "value": 2, "unit": "hour"}}
    )
    def sync() -> None:
        raise RuntimeError("upstream down")

    with sentry_client(target.dsn):
        nightly_report()
        with pytest.raises(RuntimeError):
            sync()
        capture_checkin(monitor_slug="no-schedule", status="ok")

    monitors = wait_monitors(
        target,
        lambda m: (
            m.get("nightly-report", {}).get("status") == "OK"
            and m.get("sync", {}).get("status") == "ERROR"
            and "no-schedule" in m
        ),
    )
    nightly = monitors["nightly-report"]
    assert {
        k: nightly[k] for k in ("scheduleType", "schedule", "checkinMargin", "maxRuntime", "timezone")
    } == {
        "scheduleType": "crontab",
        "schedule": "30 3 * * *",
        "checkinMargin": 10,
        "maxRuntime": 45,
        "timezone": "Europe/Vienna",
    }
    assert nightly["lastCheckInStatus"] == "ok" and nightly["inProgressSince"] is None
    last = datetime.fromisoformat(nightly["lastCheckIn"])
    expected = next(
        iter(CronSim("30 3 * * *", last.astimezone(ZoneInfo("Europe/Vienna")).replace(microsecond=0)))
    )
    assert instant(nightly["nextExpected"]) == expected.timestamp()
    assert 0 < instant(nightly["nextExpected"]) - time.time() <= 86400

    sync_monitor = monitors["sync"]
    assert (sync_monitor["scheduleType"], sync_monitor["schedule"]) == ("interval", "2 hour")
    assert (sync_monitor["checkinMargin"], sync_monitor["maxRuntime"]) == (1, 30)  # Sentry's defaults
    # Two hours after the run's start (its in_progress check-in), from the start of its minute.
    assert instant(sync_monitor["nextExpected"]) - time.time() == pytest.approx(7200, abs=120)

    adhoc = monitors["no-schedule"]
    assert (adhoc["status"], adhoc["scheduleType"], adhoc["nextExpected"]) == ("OK", None, None)

    # A later run without monitor_config keeps the schedule; a failing one shows as an error.
    with sentry_client(target.dsn):
        capture_checkin(monitor_slug="nightly-report", status="error")
    monitors = wait_monitors(target, lambda m: m["nightly-report"]["status"] == "ERROR")
    assert monitors["nightly-report"]["schedule"] == "30 3 * * *"

    # Another organization's token sees no such project.
    other = Target(server, "othercronco", "jobs")
    assert server.graphql(MONITORS, {"org": "cronco", "p": "jobs"}, other.token)["data"]["project"] is None


def test_a_bad_monitor_config_is_refused_and_stores_nothing(server: Server) -> None:
    target = Target(server, "badcron", "jobs")
    stored = server.stored_events()
    for config, detail in (
        ({"schedule": {"type": "crontab", "value": "every night"}}, "is not a crontab"),
        ({"schedule": {"type": "interval", "value": 1, "unit": "fortnight"}}, "is not one of minute"),
        ({"schedule": {"type": "crontab", "value": "0 3 * * *"}, "timezone": "Moon/Base"}, "IANA time zone"),
    ):
        item = {"check_in_id": "a" * 32, "monitor_slug": "nightly", "status": "ok", "monitor_config": config}
        response = target.post(b'{}\n{"type":"check_in"}\n' + json.dumps(item).encode())
        assert response.status_code == 400, response.text
        assert detail in response.json()["detail"]
    assert server.stored_events() == stored
    assert project(target)["monitors"] == []
