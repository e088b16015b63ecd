"""The analytics tables, in ClickHouse SQL shared by chDB and ClickHouse servers.

Every table is a ReplacingMergeTree whose sorting key identifies what a row stands for (an
event; an item of a sessions or outcomes event, by log position), so a row written again by a
replay or by a batch re-applied after a crash collapses into one; reads use FINAL. Inserts
also carry a dedup token per batch (the tables keep a deduplication window), which drops a
re-applied batch before it is even stored.

Errors are keyed by their grouping hash, not by issue id: merges move hashes between issues
in the SQL read model (`issue_hashes`), and a query for an issue asks for its hashes, so no row
here ever changes after it is written.

Tag facets read two AggregatingMergeTree tables of error counts per tag value and UTC day, one
per project and one per grouping hash, instead of array-joining every event's tags (too slow
for a large project: docs/benchmarks.md), filled by materialized views from Null "inbox" tables.
They add up, so they cannot collapse a row written twice: the projector sends each event to the
inboxes once, leaving out what `counted_through` says a table holds already, month by month
(the log never holds an event twice: appends are idempotent on the event's id). Usually every
counts table is behind the batch, and its rows go to one inbox (`EVENTS_INBOX`) that fills
`events` and both counts tables from a single insert.
"""

from __future__ import annotations

from stackline.analytics.port import AnalyticsExecutor

TABLES = ("events", "sessions", "outcomes", "error_tag_counts", "issue_tag_counts")
DEDUP_WINDOW = "non_replicated_deduplication_window = 1000"

EVENTS = f"""
CREATE TABLE IF NOT EXISTS events (
    organization_id String,
    project_id UInt64,
    type LowCardinality(String),
    timestamp DateTime64(3, 'UTC'),
    event_id String,
    primary_hash String,
    position UInt64,
    level LowCardinality(String),
    platform LowCardinality(String),
    release String,
    environment String,
    user String,
    title String,
    transaction String,
    duration_ms Float64,
    tags Map(String, String)
) ENGINE = ReplacingMergeTree(position)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, type, toStartOfDay(timestamp), primary_hash, event_id)
SETTINGS {DEDUP_WINDOW}
"""

SESSIONS = f"""
CREATE TABLE IF NOT EXISTS sessions (
    organization_id String,
    project_id UInt64,
    started DateTime('UTC'),
    release String,
    environment String,
    status LowCardinality(String),
    quantity UInt64,
    errors UInt64,
    position UInt64,
    item UInt32
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started)
ORDER BY (project_id, toStartOfDay(started), position, item)
SETTINGS {DEDUP_WINDOW}
"""

OUTCOMES = f"""
CREATE TABLE IF NOT EXISTS outcomes (
    organization_id String,
    project_id UInt64,
    timestamp DateTime('UTC'),
    category LowCardinality(String),
    outcome LowCardinality(String),
    reason String,
    quantity UInt64,
    position UInt64,
    item UInt32
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, toStartOfDay(timestamp), position, item)
SETTINGS {DEDUP_WINDOW}
"""


def _tag_counts(table: str, by_hash: bool) -> str:
    hashed = " primary_hash," if by_hash else ""
    return f"""
CREATE TABLE IF NOT EXISTS {table} (
    organization_id String,
    project_id UInt64,
    {"primary_hash String," if by_hash else ""}
    key String,
    value String,
    day Date,
    times SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_position SimpleAggregateFunction(max, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (organization_id, project_id,{hashed} key, value, day)
SETTINGS {DEDUP_WINDOW}
"""


# table -> whether it counts per grouping hash (an issue's facets) or per project
TAG_COUNTS = {"error_tag_counts": False, "issue_tag_counts": True}


def inbox(table: str) -> str:
    """Where the projector sends the event rows a tag counts table is to count: a Null table
    (it keeps nothing) whose materialized view counts each inserted block into the table, in
    the engine, so counting costs the projector nothing but the insert."""
    return f"{table}_inbox"


def counting(table: str, source: str) -> str:
    hashed = " primary_hash," if TAG_COUNTS[table] else ""
    return (
        f"SELECT organization_id, project_id,{hashed} key, value, toDate(timestamp) AS day, count() AS times,"
        " min(timestamp) AS first_seen, max(timestamp) AS last_seen, max(position) AS last_position"
        f" FROM {source} ARRAY JOIN mapKeys(tags) AS key, mapValues(tags) AS value WHERE type = 'error'"
        f" GROUP BY organization_id, project_id,{hashed} key, value, day"
    )


# Where error rows go when every counts table is to count them all (the usual case): one insert,
# parsed once, whose materialized views store the rows in `events` and count them into each
# counts table: parsing the rows once costs less CPU than three inserts (docs/benchmarks.md).
EVENTS_INBOX = "events_inbox"
_SHARED_VIEWS = {
    f"{EVENTS_INBOX}_to_events": f"events AS SELECT * FROM {EVENTS_INBOX}",
    **{f"{EVENTS_INBOX}_to_{table}": f"{table} AS {counting(table, EVENTS_INBOX)}" for table in TAG_COUNTS},
}

CREATE = (
    EVENTS,
    SESSIONS,
    OUTCOMES,
    *(_tag_counts(table, by_hash) for table, by_hash in TAG_COUNTS.items()),
    *(f"CREATE TABLE IF NOT EXISTS {inbox(table)} AS events ENGINE = Null" for table in TAG_COUNTS),
    *(
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {table}_view TO {table} AS {counting(table, inbox(table))}"
        for table in TAG_COUNTS
    ),
    f"CREATE TABLE IF NOT EXISTS {EVENTS_INBOX} AS events ENGINE = Null",
    *(f"CREATE MATERIALIZED VIEW IF NOT EXISTS {view} TO {target}" for view, target in _SHARED_VIEWS.items()),
)
DROP = (
    *(f"DROP VIEW IF EXISTS {table}_view" for table in TAG_COUNTS),
    *(f"DROP VIEW IF EXISTS {view}" for view in _SHARED_VIEWS),
    *(f"DROP TABLE IF EXISTS {inbox(table)}" for table in (*TAG_COUNTS, "events")),
    *(f"DROP TABLE IF EXISTS {table}" for table in TABLES),
)


async def create_tables(executor: AnalyticsExecutor) -> None:
    """Create what is missing; tag counts new to an existing store are counted from its events."""
    missing = [table for table in TAG_COUNTS if not await _exists(executor, table)]
    for statement in CREATE:
        await executor.execute(statement)
    for table in missing:
        await executor.execute(f"INSERT INTO {table} {counting(table, 'events FINAL')}")


async def counted_through(executor: AnalyticsExecutor, table: str) -> dict[int, int]:
    """Per month (YYYYMM) a tag counts table holds errors of, the last log position whose errors
    it holds. Per month, not in all: an insert whose rows fall in two months writes a part to
    each month's partition, and a crash between the two leaves one counted and not the other."""
    rows = await executor.query(
        f"SELECT toYYYYMM(day), max(last_position) FROM {table} GROUP BY toYYYYMM(day)"
    )
    return {int(month): int(position) for month, position in rows}


async def _exists(executor: AnalyticsExecutor, table: str) -> bool:
    return bool((await executor.query(f"EXISTS TABLE {table}"))[0][0])


async def drop_tables(executor: AnalyticsExecutor) -> None:
    for statement in DROP:
        await executor.execute(statement)
