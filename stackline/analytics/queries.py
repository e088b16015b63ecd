"""Every analytics read, in ClickHouse SQL run unchanged by chDB and by a ClickHouse server.

Each query filters by organization and project; values reach the engine only as bound
`{name:Type}` parameters (the SQL text is assembled from the fixed fragments below, never from
input). Times go in and out as Unix seconds or milliseconds, so both adapters return the same
plain numbers.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from stackline.analytics.port import AnalyticsExecutor

TENANT = "organization_id = {org:String} AND project_id = {project:UInt64}"
ISSUE_SCOPE = " AND primary_hash IN {hashes:Array(String)}"


@dataclass(frozen=True, slots=True)
class Period:
    """A stats window: `count` buckets of `step` seconds, the last holding now."""

    step: int
    count: int

    def bucket_starts(self, now: float) -> list[int]:
        last = int(now // self.step) * self.step
        return [last - self.step * (self.count - 1 - i) for i in range(self.count)]


PERIODS = {"HOUR_24": Period(3600, 24), "DAY_14": Period(86400, 14), "DAY_30": Period(86400, 30)}


@dataclass(frozen=True, slots=True)
class StatsRow:
    start: int  # Unix seconds
    events: int
    users: int


async def event_stats(
    executor: AnalyticsExecutor,
    org: str,
    project_id: int,
    period: Period,
    now: float,
    hashes: Sequence[str] | None = None,
) -> list[StatsRow]:
    """Errors per bucket (all of them: zero-filled) for a project, or an issue's hashes."""
    starts = period.bucket_starts(now)
    sql = (
        "SELECT toUInt32(toUnixTimestamp(toStartOfInterval(timestamp, toIntervalSecond({step:UInt32}))))"
        " AS bucket, count(), uniqExactIf(user, user != '')"
        f" FROM events FINAL WHERE {TENANT} AND type = 'error'"
        + (ISSUE_SCOPE if hashes is not None else "")
        + " AND timestamp >= toDateTime64({start:UInt32}, 3, 'UTC')"
        " AND timestamp < toDateTime64({end:UInt32}, 3, 'UTC')"
        " GROUP BY bucket ORDER BY bucket"
    )
    parameters = {
        "org": org,
        "project": project_id,
        "step": period.step,
        "start": starts[0],
        "end": starts[-1] + period.step,
        "hashes": list(hashes or ()),
    }
    found = {bucket: (events, users) for bucket, events, users in await executor.query(sql, parameters)}
    return [StatsRow(start, *found.get(start, (0, 0))) for start in starts]


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    count: int
    first_seen_ms: int
    last_seen_ms: int


@dataclass(frozen=True, slots=True)
class Facet:
    key: str
    total: int  # events carrying the key
    distinct_values: int
    top: list[FacetValue]


async def tag_facets(
    executor: AnalyticsExecutor,
    org: str,
    project_id: int,
    keys: Sequence[str] | None = None,
    top: int = 5,
    hashes: Sequence[str] | None = None,
) -> list[Facet]:
    """Tag keys of a project's (or an issue's) errors with counts and their top values, from
    the per-day tag counts (schema.py), summed."""
    sql = (
        "SELECT key, value, sum(times) AS n, toUnixTimestamp64Milli(min(first_seen)),"
        " toUnixTimestamp64Milli(max(last_seen)),"
        " sum(n) OVER (PARTITION BY key), count() OVER (PARTITION BY key)"
        + (" FROM issue_tag_counts" if hashes is not None else " FROM error_tag_counts")
        + f" WHERE {TENANT}"
        + (ISSUE_SCOPE if hashes is not None else "")
        + (" AND key IN {keys:Array(String)}" if keys is not None else "")
        + " GROUP BY key, value ORDER BY key, n DESC, value LIMIT {top:UInt32} BY key"
    )
    parameters = {
        "org": org,
        "project": project_id,
        "top": top,
        "hashes": list(hashes or ()),
        "keys": list(keys or ()),
    }
    facets: dict[str, Facet] = {}
    for key, value, times, first, last, total, distinct in await executor.query(sql, parameters):
        facet = facets.setdefault(key, Facet(key, total, distinct, []))
        facet.top.append(FacetValue(value, times, first, last))
    return list(facets.values())


async def distinct_users(
    executor: AnalyticsExecutor,
    org: str,
    project_id: int,
    hashes: Sequence[str] | None = None,
) -> int:
    sql = f"SELECT uniqExactIf(user, user != '') FROM events FINAL WHERE {TENANT} AND type = 'error'" + (
        ISSUE_SCOPE if hashes is not None else ""
    )
    rows = await executor.query(sql, {"org": org, "project": project_id, "hashes": list(hashes or ())})
    return rows[0][0]


class InvalidEventQuery(ValueError):
    """The events search string does not parse; the message says why."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What `Project.events(query:)` understands: `release:1.2 environment:prod level:error
    browser:Firefox` (any other `key:value` is a tag; quote values with spaces)."""

    release: str | None = None
    environment: str | None = None
    level: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, query: str | None) -> EventFilter:
        if not query or not query.strip():
            return cls()
        try:
            tokens = shlex.split(query)
        except ValueError as error:
            raise InvalidEventQuery(f"cannot read the query: {error}") from None
        found: dict[str, str] = {}
        tags: list[tuple[str, str]] = []
        for token in tokens:
            key, sep, value = token.partition(":")
            if not sep or not key or not value:
                raise InvalidEventQuery(f"expected key:value, got {token!r}")
            if key in ("release", "environment", "level"):
                found[key] = value
            else:
                tags.append((key, value))
        return cls(tags=tuple(tags), **found)

    def sql(self) -> str:
        clauses = [
            f" AND {column} = {{{column}:String}}"
            for column in ("release", "environment", "level")
            if getattr(self, column) is not None
        ]
        if self.tags:
            clauses.append(
                " AND arrayAll((k, v) -> tags[k] = v, {tag_keys:Array(String)}, {tag_values:Array(String)})"
            )
        return "".join(clauses)

    def parameters(self) -> dict[str, object]:
        return {
            "release": self.release or "",
            "environment": self.environment or "",
            "level": self.level or "",
            "tag_keys": [k for k, _ in self.tags],
            "tag_values": [v for _, v in self.tags],
        }


@dataclass(frozen=True, slots=True)
class EventRef:
    event_id: str
    timestamp_ms: int


async def events_page(
    executor: AnalyticsExecutor,
    org: str,
    project_id: int,
    where: EventFilter,
    first: int,
    after: tuple[int, str] | None = None,
) -> list[EventRef]:
    """A project's errors matching the filter, newest first, after a (timestamp ms, event id) cursor."""
    sql = (
        "SELECT event_id, toUnixTimestamp64Milli(timestamp) AS ms FROM events FINAL"
        f" WHERE {TENANT} AND type = 'error'{where.sql()}"
        + (" AND (ms, event_id) < ({after_ms:Int64}, {after_id:String})" if after is not None else "")
        + " ORDER BY timestamp DESC, event_id DESC LIMIT {first:UInt32}"
    )
    parameters = {"org": org, "project": project_id, "first": first, **where.parameters()}
    if after is not None:
        parameters.update(after_ms=after[0], after_id=after[1])
    return [EventRef(event_id, ms) for event_id, ms in await executor.query(sql, parameters)]


async def event_count(executor: AnalyticsExecutor, org: str, project_id: int, where: EventFilter) -> int:
    sql = f"SELECT count() FROM events FINAL WHERE {TENANT} AND type = 'error'{where.sql()}"
    return (await executor.query(sql, {"org": org, "project": project_id, **where.parameters()}))[0][0]


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    day: str
    category: str
    outcome: str
    reason: str
    quantity: int


async def outcomes(executor: AnalyticsExecutor, org: str, project_id: int, since: float) -> list[OutcomeRow]:
    """Items per UTC day, data category, outcome (accepted, rate_limited, client_discard, ...) and reason."""
    sql = (
        "SELECT toString(toDate(timestamp)) AS day, category, outcome, reason, sum(quantity)"
        " FROM outcomes FINAL"
        f" WHERE {TENANT} AND timestamp >= toDateTime({{since:UInt32}}, 'UTC')"
        " GROUP BY day, category, outcome, reason ORDER BY day, category, outcome, reason"
    )
    rows = await executor.query(sql, {"org": org, "project": project_id, "since": int(since)})
    return [OutcomeRow(*row) for row in rows]
