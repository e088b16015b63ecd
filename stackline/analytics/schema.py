"""The analytics tables, in ClickHouse SQL shared by chDB and ClickHouse servers.

Every table is a ReplacingMergeTree whose sorting key identifies what a row stands for (an
event; an item of a sessions or outcomes event, by log position), so a row written again by a
replay or by a batch re-applied after a crash collapses into one; reads use FINAL. Inserts
also carry a dedup token per batch (the tables keep a deduplication window), which drops a
re-applied batch before it is even stored.

Errors are keyed by their grouping hash, not by issue id: merges move hashes between issues
in the SQL read model (`issue_hashes`), and a query for an issue asks for its hashes, so no row
here ever changes after it is written.
"""

from __future__ import annotations

from stackline.analytics.port import AnalyticsExecutor

TABLES = ("events", "sessions", "outcomes")
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

CREATE = (EVENTS, SESSIONS, OUTCOMES)
DROP = tuple(f"DROP TABLE IF EXISTS {table}" for table in TABLES)


async def create_tables(executor: AnalyticsExecutor) -> None:
    for statement in CREATE:
        await executor.execute(statement)


async def drop_tables(executor: AnalyticsExecutor) -> None:
    for statement in DROP:
        await executor.execute(statement)
