"""Every analytics read, in ClickHouse SQL run unchanged by chDB and by a ClickHouse server.

Each query filters by organization and project; values reach the engine only as bound
`{name:Type}` parameters (the SQL text is assembled from the fixed fragments below, never from
input). Times go in and out as Unix seconds or milliseconds, so both adapters return the same
plain numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from stackline.analytics.port import AnalyticsExecutor
from stackline.domain import search

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


async def issues_event_stats(
    executor: AnalyticsExecutor,
    org: str,
    project_id: int,
    period: Period,
    now: float,
    issues: Mapping[str, Sequence[str]],
) -> dict[str, list[StatsRow]]:
    """`event_stats` for several issues of one project (each by its hashes) in one query, as an
    issue list's sparklines need: `transform` names each event's issue by its hash, so the
    distinct users are counted per issue across its hashes, as `event_stats` counts them."""
    starts = period.bucket_starts(now)
    hashes = [hash_ for hashes_ in issues.values() for hash_ in hashes_]
    owners = [issue for issue, hashes_ in issues.items() for _ in hashes_]
    sql = (
        "SELECT transform(primary_hash, {hashes:Array(String)}, {owners:Array(String)}, '') AS issue,"
        " toUInt32(toUnixTimestamp(toStartOfInterval(timestamp, toIntervalSecond({step:UInt32}))))"
        " AS bucket, count(), uniqExactIf(user, user != '')"
        f" FROM events FINAL WHERE {TENANT} AND type = 'error'{ISSUE_SCOPE}"
        " AND timestamp >= toDateTime64({start:UInt32}, 3, 'UTC')"
        " AND timestamp < toDateTime64({end:UInt32}, 3, 'UTC')"
        " GROUP BY issue, bucket"
    )
    parameters = {
        "org": org,
        "project": project_id,
        "step": period.step,
        "start": starts[0],
        "end": starts[-1] + period.step,
        "hashes": hashes,
        "owners": owners,
    }
    found: dict[tuple[str, int], tuple[int, int]] = {}
    if hashes:
        for issue, bucket, events, users in await executor.query(sql, parameters):
            found[(issue, bucket)] = (events, users)
    return {
        issue: [StatsRow(start, *found.get((issue, start), (0, 0))) for start in starts] for issue in issues
    }


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
    """The events search string does not parse or asks what events cannot answer; the message
    names the token at fault."""


# Terms of the issue search that are about an event (the others, `is:` and `assigned:`, are
# about an issue's triage and are refused by name).
_EVENT_COLUMNS = {"release": "release", "environment": "environment"}


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What `Project.events(query:)` understands, in the issue search syntax (docs/search.md):
    `level:`, `release:`, `environment:`, any other `key:value` as a tag (`*` wildcards),
    `has:key`, free text on the title, each negatable with `!`. `is:` and `assigned:` describe
    issues, not events, and are refused naming the token."""

    clauses: tuple[str, ...] = ()
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def parse(
        cls, query: str | None, rewrite: Callable[[search.Term], search.Term] | None = None
    ) -> EventFilter:
        """`rewrite` changes each term first (the user tags' values are stored hashed)."""
        try:
            terms = search.parse_terms(query)
        except search.SearchSyntaxError as error:
            raise InvalidEventQuery(str(error)) from None
        if rewrite is not None:
            terms = tuple((token, rewrite(term)) for token, term in terms)
        clauses: list[str] = []
        values: dict[str, object] = {}

        def bind(value: object, kind: str = "String") -> str:
            name = f"q{len(values)}"
            values[name] = value
            return f"{{{name}:{kind}}}"

        for token, term in terms:
            match term:
                case search.Level(level, negated):
                    clause = f"level = {bind(level)}"
                case search.TagValue(key, value, negated):
                    column = _EVENT_COLUMNS.get(key) or f"tags[{bind(key)}]"
                    if "*" in value:
                        clause = f"{column} LIKE {bind(_like(value))}"
                    else:
                        clause = f"{column} = {bind(value)}"
                case search.HasTag(key, negated):
                    known = _EVENT_COLUMNS.get(key)
                    clause = f"{known} != ''" if known else f"mapContains(tags, {bind(key)})"
                case search.Text(text, negated):
                    clause = f"positionCaseInsensitiveUTF8(title, {bind(text)}) > 0"
                case _:
                    raise InvalidEventQuery(
                        f"{token!r} filters issues, not events; use it in Project.issues(query:)"
                    )
            clauses.append(f"NOT ({clause})" if negated else clause)
        return cls(tuple(clauses), tuple(values.items()))

    def sql(self) -> str:
        return "".join(f" AND {clause}" for clause in self.clauses)

    def parameters(self) -> dict[str, object]:
        return dict(self.values)


def _like(pattern: str) -> str:
    """A search wildcard (`*`) as a LIKE pattern, LIKE's own metacharacters escaped."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


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
