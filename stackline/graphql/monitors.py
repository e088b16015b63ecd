"""Cron monitors in GraphQL: `CronMonitor` (schedule and state) and the check-ins SDKs send.
Never writes read models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import strawberry
from sqlalchemy import Row


@strawberry.type
class CheckIn:
    check_in_id: str
    monitor_slug: str
    status: str
    duration: float | None
    environment: str | None
    first_received: datetime
    last_received: datetime


@strawberry.enum
class MonitorStatus(enum.Enum):
    NEW = "new"
    OK = "ok"
    ERROR = "error"
    MISSED = "missed"
    TIMEOUT = "timeout"


def instant(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


@strawberry.type(description="A cron monitor: its schedule (from the SDK's monitor_config) and state.")
class CronMonitor:
    slug: str
    status: MonitorStatus = strawberry.field(
        description="NEW before any finished check-in; MISSED when none came by the expected time plus "
        "the margin; TIMEOUT when one stayed in progress longer than the maximum runtime."
    )
    schedule_type: str | None = strawberry.field(
        description="crontab or interval; null without monitor_config."
    )
    schedule: str | None = strawberry.field(description="The crontab, or the interval as '2 hour'.")
    checkin_margin: int | None = strawberry.field(description="Minutes.")
    max_runtime: int | None = strawberry.field(description="Minutes.")
    timezone: str | None
    last_check_in: datetime | None
    last_check_in_status: str | None
    next_expected: datetime | None = strawberry.field(description="When the next check-in is due.")
    in_progress_since: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> CronMonitor:
        schedule = row.schedule or {}
        text: str | None
        if schedule.get("type") == "interval":
            text = f"{schedule['interval']} {schedule['unit']}"
        else:
            text = schedule.get("crontab")
        return cls(
            slug=row.monitor_slug,
            status=MonitorStatus(row.status),
            schedule_type=schedule.get("type"),
            schedule=text,
            checkin_margin=schedule.get("checkin_margin"),
            max_runtime=schedule.get("max_runtime"),
            timezone=schedule.get("timezone"),
            last_check_in=instant(row.last_check_in_at),
            last_check_in_status=row.last_check_in_status,
            next_expected=instant(row.next_expected_at),
            in_progress_since=instant(row.in_progress_since),
        )
