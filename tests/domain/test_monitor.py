"""Cron monitors, pure: `monitor_config` parsing, when the next check-in is expected, and what
the clock (passed in) decides: missed and timed-out check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stackline.domain.events import CheckInReceived
from stackline.domain.monitor import (
    Monitor,
    MonitorCheckInMissed,
    MonitorCheckInTimedOut,
    MonitorConfigError,
    parse_monitor_config,
    schedule_event,
)


def at(text: str) -> float:
    """A UTC instant, as seconds since the epoch."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def check_in(monitor: Monitor, status: str, when: float, check_in_id: str = "a" * 32) -> None:
    monitor.apply(CheckInReceived("org", 1, check_in_id, monitor.slug, status, None, None, when))


def configured(config: dict, when: float) -> Monitor:
    monitor = Monitor("org", 1, "nightly")
    monitor.apply(schedule_event("org", 1, "nightly", parse_monitor_config(config), when))
    return monitor


def test_monitor_config_as_sentry_python_sends_it() -> None:
    schedule = parse_monitor_config(
        {
            "schedule": {"type": "crontab", "value": "0  3 * * *"},
            "checkin_margin": 5,
            "max_runtime": 10,
            "timezone": "Europe/Vienna",
        }
    )
    assert (schedule.type, schedule.crontab, schedule.checkin_margin, schedule.max_runtime) == (
        "crontab",
        "0 3 * * *",
        5,
        10,
    )
    assert schedule.timezone == "Europe/Vienna"
    interval = parse_monitor_config({"schedule": {"type": "interval", "value": 2, "unit": "hour"}})
    assert (interval.interval, interval.unit, interval.checkin_margin, interval.max_runtime) == (
        2,
        "hour",
        1,
        30,
    )
    assert parse_monitor_config({"schedule": {"type": "crontab", "value": "@hourly"}}).crontab == "0 * * * *"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"schedule": {"type": "crontab", "value": "every day"}}, "is not a crontab"),
        ({"schedule": {"type": "crontab", "value": "61 * * * *"}}, "is not a crontab"),
        ({"schedule": {"type": "interval", "value": 0, "unit": "hour"}}, "whole number of units"),
        ({"schedule": {"type": "interval", "value": 2, "unit": "fortnight"}}, "is not one of minute"),
        ({"schedule": {"type": "weekly"}}, "is not crontab or interval"),
        ({"schedule": {"type": "crontab", "value": "* * * * *"}, "timezone": "Mars/Olympus"}, "IANA"),
        ({"schedule": {"type": "crontab", "value": "* * * * *"}, "checkin_margin": -1}, "checkin_margin"),
        ({"schedule": "0 * * * *"}, "schedule must be an object"),
        ("0 * * * *", "must be an object"),
    ],
)
def test_bad_monitor_configs_say_what_is_wrong(config: object, message: str) -> None:
    with pytest.raises(MonitorConfigError, match=message):
        parse_monitor_config(config)


def test_next_expected_follows_the_crontab_in_its_timezone_across_dst() -> None:
    schedule = parse_monitor_config(
        {"schedule": {"type": "crontab", "value": "0 3 * * *"}, "timezone": "Europe/Vienna"}
    )
    # 03:00 Vienna is 02:00 UTC in winter, 01:00 UTC in summer (DST began 2026-03-29).
    assert schedule.next_after(at("2026-03-27T12:00:00")) == at("2026-03-28T02:00:00")
    assert schedule.next_after(at("2026-03-28T12:00:00")) == at("2026-03-29T01:00:00")
    hourly = parse_monitor_config({"schedule": {"type": "interval", "value": 90, "unit": "minute"}})
    assert hourly.next_after(at("2026-01-01T10:00:42")) == at("2026-01-01T11:30:00")
    monthly = parse_monitor_config({"schedule": {"type": "interval", "value": 1, "unit": "month"}})
    assert monthly.next_after(at("2026-01-31T08:00:00")) == at("2026-02-28T08:00:00")


def test_a_check_in_not_there_by_expected_time_plus_margin_is_missed_once() -> None:
    monitor = configured({"schedule": {"type": "crontab", "value": "*/10 * * * *"}, "checkin_margin": 2}, 0)
    check_in(monitor, "ok", at("2026-01-01T10:00:05"))
    assert (monitor.status, monitor.next_expected_at) == ("ok", at("2026-01-01T10:10:00"))
    assert monitor.deadline() == at("2026-01-01T10:12:00")
    assert monitor.overdue(at("2026-01-01T10:11:59")) == []
    (missed,) = monitor.overdue(at("2026-01-01T10:12:00"))
    assert isinstance(missed, MonitorCheckInMissed) and missed.expected_at == at("2026-01-01T10:10:00")
    monitor.apply(missed)
    assert (monitor.status, monitor.next_expected_at) == ("missed", at("2026-01-01T10:20:00"))
    assert monitor.overdue(at("2026-01-01T10:12:01")) == []
    check_in(monitor, "ok", at("2026-01-01T10:20:30"))
    assert (monitor.status, monitor.next_expected_at) == ("ok", at("2026-01-01T10:30:00"))


def test_in_progress_longer_than_max_runtime_times_out_and_errors_show() -> None:
    monitor = configured({"schedule": {"type": "interval", "value": 1, "unit": "hour"}, "max_runtime": 15}, 0)
    start = at("2026-01-01T10:00:10")
    check_in(monitor, "in_progress", start, "b" * 32)
    assert monitor.status == "new" and monitor.next_expected_at == at("2026-01-01T11:00:00")
    assert monitor.deadline() == at("2026-01-01T10:15:10")
    assert monitor.overdue(at("2026-01-01T10:15:09")) == []
    (timed_out,) = monitor.overdue(at("2026-01-01T10:15:10"))
    assert isinstance(timed_out, MonitorCheckInTimedOut) and timed_out.check_in_id == "b" * 32
    monitor.apply(timed_out)
    assert (monitor.status, monitor.in_progress_id) == ("timeout", None)
    # The next run fails: an error, and its end does not move the schedule past its start.
    check_in(monitor, "in_progress", at("2026-01-01T11:00:05"), "c" * 32)
    check_in(monitor, "error", at("2026-01-01T11:02:00"), "c" * 32)
    assert (monitor.status, monitor.next_expected_at) == ("error", at("2026-01-01T12:00:00"))
    assert monitor.deadline() == at("2026-01-01T12:01:00")


def test_without_a_schedule_the_clock_says_nothing() -> None:
    monitor = Monitor("org", 1, "adhoc")
    check_in(monitor, "in_progress", 100.0)
    assert monitor.deadline() is None and monitor.overdue(10**10) == []
    check_in(monitor, "ok", 200.0)
    assert monitor.status == "ok" and monitor.next_expected_at is None


def test_a_changed_schedule_moves_the_next_expected_time() -> None:
    monitor = configured({"schedule": {"type": "crontab", "value": "0 * * * *"}}, at("2026-01-01T10:20:00"))
    assert monitor.next_expected_at == at("2026-01-01T11:00:00")
    check_in(monitor, "ok", at("2026-01-01T10:30:00"))
    monitor.apply(
        schedule_event(
            "org",
            1,
            "nightly",
            parse_monitor_config({"schedule": {"type": "crontab", "value": "45 * * * *"}}),
            0,
        )
    )
    assert monitor.next_expected_at == at("2026-01-01T10:45:00")


def test_after_a_long_silence_one_missed_check_in_stands_for_every_run_since() -> None:
    monitor = configured({"schedule": {"type": "crontab", "value": "* * * * *"}, "checkin_margin": 1}, 0)
    check_in(monitor, "ok", at("2026-01-01T10:00:10"))
    (missed,) = monitor.overdue(at("2026-01-01T15:30:30"))
    assert missed.expected_at == at("2026-01-01T10:01:00")
    monitor.apply(missed)
    assert monitor.next_expected_at == at("2026-01-01T15:30:00")
    assert monitor.overdue(at("2026-01-01T15:30:30")) == []
