"""Cron monitors: a schedule per (project, monitor slug), upserted from the `monitor_config`
Sentry's SDKs send with their check-ins, and what the clock decides about it: a check-in missed
(none by its expected time plus the margin) or timed out (in progress longer than the maximum
runtime).

`Monitor.apply` is the one home of what each event does to a monitor; the read model stores
what it says, and the timer (`Services.mark_overdue_monitors`) asks `Monitor.overdue(now)`, with
the clock passed in, which events to append. Pure: no I/O, no clock of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from stackline.domain.events import CheckInReceived, DomainEvent, register

# Sentry's defaults, in minutes.
DEFAULT_CHECKIN_MARGIN = 1
DEFAULT_MAX_RUNTIME = 30
MAX_MINUTES = 28 * 24 * 60  # Sentry bounds both margins at 28 days
INTERVAL_UNITS = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}
CALENDAR_UNITS = ("month", "year")
# Sentry's crontab nicknames.
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class MonitorConfigError(ValueError):
    """A `monitor_config` a monitor cannot run on; the message is one line for the client."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When check-ins are expected: a crontab in a timezone, or every `interval` `unit`s."""

    type: str  # "crontab" or "interval"
    crontab: str | None
    interval: int | None
    unit: str | None
    checkin_margin: int  # minutes a check-in may be late before it counts as missed
    max_runtime: int  # minutes a check-in may stay in progress before it counts as timed out
    timezone: str

    def next_after(self, at: float) -> float:
        """The first expected check-in time strictly after `at` (seconds since the epoch)."""
        zone = ZoneInfo(self.timezone)
        start = datetime.fromtimestamp(at, zone)
        if self.type == "crontab":
            assert self.crontab is not None
            return next(iter(CronSim(self.crontab, start.replace(microsecond=0)))).timestamp()
        assert self.interval is not None and self.unit is not None
        # As Sentry does: from the check-in's minute, every interval.
        minute = start.replace(second=0, microsecond=0)
        if self.unit in CALENDAR_UNITS:
            months = self.interval * (12 if self.unit == "year" else 1)
            total = minute.month - 1 + months
            year, month = minute.year + total // 12, total % 12 + 1
            day = min(minute.day, _days_in(year, month))
            return minute.replace(year=year, month=month, day=day).timestamp()
        return (minute + timedelta(minutes=self.interval * INTERVAL_UNITS[self.unit])).timestamp()


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return (following - timedelta(days=1)).day


def parse_monitor_config(raw: Any) -> Schedule:
    """A check-in's `monitor_config` as sentry-python sends it: `schedule` {type: crontab, value:
    "0 * * * *"} or {type: interval, value: 2, unit: hour}, `checkin_margin` and `max_runtime` in
    minutes, `timezone` (IANA name, UTC when absent)."""
    if not isinstance(raw, dict):
        raise MonitorConfigError("monitor_config must be an object")
    schedule = raw.get("schedule")
    if not isinstance(schedule, dict):
        raise MonitorConfigError("monitor_config.schedule must be an object with a type and a value")
    timezone = raw.get("timezone") or "UTC"
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise MonitorConfigError(f"monitor_config.timezone {timezone!r} is not an IANA time zone") from None
    margin = _minutes(raw, "checkin_margin", DEFAULT_CHECKIN_MARGIN)
    runtime = _minutes(raw, "max_runtime", DEFAULT_MAX_RUNTIME)
    kind = schedule.get("type") or ("interval" if "unit" in schedule else "crontab")
    value = schedule.get("value")
    if kind == "crontab":
        if not isinstance(value, str) or not value.strip():
            raise MonitorConfigError("monitor_config.schedule.value must be a crontab such as '0 * * * *'")
        crontab = NICKNAMES.get(value.strip().lower(), " ".join(value.split()))
        try:
            CronSim(crontab, datetime(2000, 1, 1, tzinfo=UTC))
        except CronSimError as error:
            raise MonitorConfigError(
                f"monitor_config.schedule.value {value!r} is not a crontab: {error}"
            ) from None
        if len(crontab.split()) != 5:
            raise MonitorConfigError(f"monitor_config.schedule.value {value!r} must have five fields")
        return Schedule("crontab", crontab, None, None, margin, runtime, str(timezone))
    if kind == "interval":
        unit = schedule.get("unit")
        if unit not in INTERVAL_UNITS and unit not in CALENDAR_UNITS:
            raise MonitorConfigError(
                f"monitor_config.schedule.unit {unit!r} is not one of minute, hour, day, week, month, year"
            )
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
            raise MonitorConfigError(
                "monitor_config.schedule.value must be a whole number of units, at least 1"
            )
        return Schedule("interval", None, value, unit, margin, runtime, str(timezone))
    raise MonitorConfigError(f"monitor_config.schedule.type {kind!r} is not crontab or interval")


def _minutes(raw: dict[str, Any], name: str, default: int) -> int:
    value = raw.get(name)
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= MAX_MINUTES:
        raise MonitorConfigError(f"monitor_config.{name} must be a number of minutes from 0 to {MAX_MINUTES}")
    return int(value)


@register
@dataclass(frozen=True, slots=True)
class MonitorConfigured(DomainEvent):
    """A check-in carried a `monitor_config`: the monitor's schedule from now on."""

    organization_id: str
    project_id: int
    monitor_slug: str
    schedule_type: str
    crontab: str | None
    interval: int | None
    unit: str | None
    checkin_margin: int
    max_runtime: int
    timezone: str
    received_at: float

    @property
    def schedule(self) -> Schedule:
        return Schedule(
            self.schedule_type,
            self.crontab,
            self.interval,
            self.unit,
            self.checkin_margin,
            self.max_runtime,
            self.timezone,
        )


@register
@dataclass(frozen=True, slots=True)
class MonitorCheckInMissed(DomainEvent):
    """No check-in came by `expected_at` plus the margin."""

    organization_id: str
    project_id: int
    monitor_slug: str
    expected_at: float
    detected_at: float


@register
@dataclass(frozen=True, slots=True)
class MonitorCheckInTimedOut(DomainEvent):
    """A check-in stayed in progress longer than the monitor's maximum runtime."""

    organization_id: str
    project_id: int
    monitor_slug: str
    check_in_id: str
    started_at: float
    detected_at: float


MonitorEvent = MonitorConfigured | CheckInReceived | MonitorCheckInMissed | MonitorCheckInTimedOut
# What a monitor's status is after a finished check-in of each status.
FINISHED = {"ok": "ok", "error": "error", "timeout": "timeout"}


@dataclass(slots=True)
class Monitor:
    """One monitor's state. `status`: new (no finished check-in yet), ok, error, missed or
    timeout; `next_expected_at`: when the next check-in is due (None without a schedule)."""

    organization_id: str
    project_id: int
    slug: str
    schedule: Schedule | None = None
    status: str = "new"
    last_check_in_at: float | None = None
    last_check_in_status: str | None = None
    next_expected_at: float | None = None
    in_progress_id: str | None = None
    in_progress_since: float | None = None

    def apply(self, event: MonitorEvent) -> None:
        match event:
            case MonitorConfigured():
                changed = event.schedule != self.schedule
                self.schedule = event.schedule
                if changed or self.next_expected_at is None:
                    self.next_expected_at = self.schedule.next_after(
                        self.last_check_in_at or event.received_at
                    )
            case CheckInReceived():
                at = event.received_at
                self.last_check_in_at = at
                self.last_check_in_status = event.status
                ends_a_started_run = (
                    event.status != "in_progress" and event.check_in_id == self.in_progress_id
                )
                if event.status == "in_progress":
                    self.in_progress_id, self.in_progress_since = event.check_in_id, at
                else:
                    self.status = FINISHED[event.status]
                    if ends_a_started_run:
                        self.in_progress_id = self.in_progress_since = None
                if self.schedule is not None and not ends_a_started_run:
                    # A job's start is its check-in for the schedule; its end does not move the
                    # next expected time again (a job that never said it started is checked in
                    # by its end).
                    self.next_expected_at = self.schedule.next_after(at)
            case MonitorCheckInMissed():
                self.status = "missed"
                if self.schedule is not None:
                    # After a long silence (a server that was down) one missed check-in stands
                    # for every run since: the next one expected is the first still to come.
                    margin = self.schedule.checkin_margin * 60
                    self.next_expected_at = self.schedule.next_after(
                        max(event.expected_at, event.detected_at - margin)
                    )
            case MonitorCheckInTimedOut():
                self.status = "timeout"
                if event.check_in_id == self.in_progress_id:
                    self.in_progress_id = self.in_progress_since = None

    def deadline(self) -> float | None:
        """The earliest instant at which `overdue` has something to say, for the timer's index."""
        if self.schedule is None:
            return None
        times = []
        if self.next_expected_at is not None:
            times.append(self.next_expected_at + self.schedule.checkin_margin * 60)
        if self.in_progress_since is not None:
            times.append(self.in_progress_since + self.schedule.max_runtime * 60)
        return min(times) if times else None

    def overdue(self, now: float) -> list[MonitorCheckInMissed | MonitorCheckInTimedOut]:
        """What the clock at `now` says: the check-in that went missing, the one that timed out."""
        found: list[MonitorCheckInMissed | MonitorCheckInTimedOut] = []
        if self.schedule is None:
            return found
        if (
            self.in_progress_id is not None
            and self.in_progress_since is not None
            and now >= self.in_progress_since + self.schedule.max_runtime * 60
        ):
            found.append(
                MonitorCheckInTimedOut(
                    self.organization_id,
                    self.project_id,
                    self.slug,
                    self.in_progress_id,
                    self.in_progress_since,
                    now,
                )
            )
        if (
            self.next_expected_at is not None
            and now >= self.next_expected_at + self.schedule.checkin_margin * 60
        ):
            found.append(
                MonitorCheckInMissed(
                    self.organization_id, self.project_id, self.slug, self.next_expected_at, now
                )
            )
        return found


def schedule_event(
    organization_id: str, project_id: int, slug: str, schedule: Schedule, received_at: float
) -> MonitorConfigured:
    return MonitorConfigured(
        organization_id,
        project_id,
        slug,
        schedule.type,
        schedule.crontab,
        schedule.interval,
        schedule.unit,
        schedule.checkin_margin,
        schedule.max_runtime,
        schedule.timezone,
        received_at,
    )
