"""Rate limits and quotas at the door, and the tally of what was refused.

Per key: events per second and per minute (fixed windows, counted in this process). Per
project: events per calendar month (UTC), counted from the usage read model plus what this
process accepted since it last looked. Over a limit, ingest answers 429 with `Retry-After`
and `X-Sentry-Rate-Limits` in Sentry's grammar (`retry_after:categories:scope:reason_code`),
which real SDKs obey. Refusals are tallied per project and flushed as `OutcomesRecorded`
events every few seconds, never one event per refused request (a flood must not fill the store).
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.readmodels import queries
from stackline.readmodels.reads import read

log = logging.getLogger(__name__)
QUOTA_CATEGORIES = ("error", "default", "security")
QUOTA_REFRESH_SECONDS = 2.0
OUTCOME_FLUSH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Limited:
    retry_after: int
    categories: tuple[str, ...]  # empty: every category
    scope: str  # key | project
    reason: str

    def header(self) -> str:
        return f"{self.retry_after}:{';'.join(self.categories)}:{self.scope}:{self.reason}"


class RateLimiter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._windows: dict[tuple[str, str, int], int] = defaultdict(int)
        self._month_counts: dict[int, tuple[float, str, int]] = {}  # project -> (read at, month, count)
        self._accepted_since_read: dict[int, int] = defaultdict(int)

    def check_key(
        self, public_key: str, per_second: int | None, per_minute: int | None, now: float
    ) -> Limited | None:
        for unit, seconds, limit in (("s", 1, per_second), ("m", 60, per_minute)):
            if limit is None:
                continue
            window = int(now // seconds)
            if self._windows[(public_key, unit, window)] >= limit:
                return Limited(max(1, int((window + 1) * seconds - now + 0.999)), (), "key", "key_quota")
        return None

    def count_key(self, public_key: str, now: float, items: int) -> None:
        for unit, seconds in (("s", 1), ("m", 60)):
            self._windows[(public_key, unit, int(now // seconds))] += items
        if len(self._windows) > 100_000:  # forget closed windows
            minute = int(now // 60)
            for key in [
                k
                for k in self._windows
                if (k[1] == "m" and k[2] < minute) or (k[1] == "s" and k[2] < int(now))
            ]:
                del self._windows[key]

    async def check_quota(self, project_id: int, quota: int | None, now: float) -> Limited | None:
        if quota is None:
            return None
        month = datetime.fromtimestamp(now, UTC).strftime("%Y-%m")
        read_at, read_month, counted = self._month_counts.get(project_id, (0.0, "", 0))
        if read_month != month or now - read_at > QUOTA_REFRESH_SECONDS:
            counted = await read(self.engine, queries.accepted_in_month, project_id, QUOTA_CATEGORIES, month)
            self._month_counts[project_id] = (now, month, counted)
            self._accepted_since_read[project_id] = 0
        if counted + self._accepted_since_read[project_id] >= quota:
            today = datetime.fromtimestamp(now, UTC)
            days = calendar.monthrange(today.year, today.month)[1]
            month_end = datetime(today.year, today.month, days, tzinfo=UTC).timestamp() + 86400
            return Limited(max(1, int(month_end - now)), QUOTA_CATEGORIES, "project", "project_quota")
        return None

    def count_quota(self, project_id: int, items: int) -> None:
        self._accepted_since_read[project_id] += items


Flush = Callable[[str, int, float, list[dict]], Awaitable[None]]


class OutcomeTally:
    """Refused items per project, category, outcome and reason, flushed as events periodically."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], dict[tuple[str, str, str], int]] = defaultdict(
            lambda: defaultdict(int)
        )

    def add(
        self, organization_id: str, project_id: int, category: str, outcome: str, reason: str, n: int = 1
    ) -> None:
        self._counts[(organization_id, project_id)][(category, outcome, reason)] += n

    async def flush(self, record: Flush) -> None:
        pending, self._counts = self._counts, defaultdict(lambda: defaultdict(int))
        for (organization_id, project_id), counts in pending.items():
            outcomes = [
                {"category": c, "outcome": o, "reason": r, "quantity": n} for (c, o, r), n in counts.items()
            ]
            try:
                await record(organization_id, project_id, time.time(), outcomes)
            except Exception:  # noqa: BLE001 - a tally is best effort; keep the counts for next time
                log.exception("could not record outcomes")
                for (c, o, r), n in counts.items():
                    self.add(organization_id, project_id, c, o, r, n)

    async def run(self, record: Flush) -> None:
        while True:
            await asyncio.sleep(OUTCOME_FLUSH_SECONDS)
            await self.flush(record)
