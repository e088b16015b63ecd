"""Where each SQL engine keeps event bodies: stores created before bodies existed take them
once opened, and following the log never touches them (the contract can only see `None`)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from stackline.eventstore import NewEvent, StreamState
from stackline.eventstore.postgres import PostgresEventStore
from stackline.eventstore.sqlite import SQLiteEventStore
from tests import postgres
from tests.eventstore.test_contract import BODY

SQLITE_SCHEMA_BEFORE_BODIES = """
CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data BLOB NOT NULL,
    metadata BLOB NOT NULL,
    recorded_at REAL NOT NULL,
    UNIQUE (stream, version)
);
"""

POSTGRES_SCHEMA_BEFORE_BODIES = """
CREATE TABLE events (
    position BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data JSON NOT NULL,
    metadata JSON NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream, version)
);
"""


@pytest.fixture
async def pg_url(pg_database: str) -> str:
    return postgres.url_for(pg_database, await postgres.create_schema(pg_database))


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteEventStore]:
    store = SQLiteEventStore(tmp_path / "events.sqlite3")
    yield store
    await store.close()


@pytest.fixture
async def postgres_store(pg_url: str) -> AsyncIterator[PostgresEventStore]:
    store = await PostgresEventStore.open(pg_url)
    yield store
    await store.close()


async def assert_takes_a_body_after_its_old_event(store: SQLiteEventStore | PostgresEventStore) -> None:
    assert (await store.append("s", [NewEvent("New", {"x": 2}, body=BODY)], 0)).version == 1
    assert [(e.type, e.body) for e in await store.read_stream("s")] == [("Old", None), ("New", BODY)]
    assert [(e.type, e.body) for e in await store.read_all(0)] == [("Old", None), ("New", None)]


async def test_a_sqlite_file_from_before_bodies_opens_and_takes_bodies(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_SCHEMA_BEFORE_BODIES)
        conn.execute(
            "INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata, "
            "recorded_at)"
            " VALUES (?, 's', 0, 'Old', 1, ?, ?, 0)",
            (str(uuid.uuid4()), b'{"x": 1}', b"{}"),
        )
    conn.close()
    store = SQLiteEventStore(path)
    try:
        await assert_takes_a_body_after_its_old_event(store)
    finally:
        await store.close()


async def test_a_postgres_table_from_before_bodies_gains_the_column(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(POSTGRES_SCHEMA_BEFORE_BODIES)
        await conn.execute(
            "INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata)"
            " VALUES ($1, 's', 0, 'Old', 1, '{\"x\": 1}', '{}')",
            uuid.uuid4(),
        )
    finally:
        await conn.close()
    store = await PostgresEventStore.open(pg_url)
    try:
        await assert_takes_a_body_after_its_old_event(store)
    finally:
        await store.close()


async def test_following_a_sqlite_log_never_reads_the_bodies_table(sqlite_store: SQLiteEventStore) -> None:
    await sqlite_store.append("s", [NewEvent("A", {}, body=BODY)], StreamState.NO_STREAM)
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("ALTER TABLE event_bodies RENAME TO event_bodies_elsewhere")
    conn.close()
    assert [e.type for e in await sqlite_store.read_all(0)] == ["A"]
    async for batch in sqlite_store.subscribe(0):
        assert [e.type for e in batch] == ["A"]
        break
    with pytest.raises(sqlite3.OperationalError, match="event_bodies"):
        await sqlite_store.read_stream("s")


async def test_following_a_postgres_log_never_selects_the_body_column(
    postgres_store: PostgresEventStore,
) -> None:
    await postgres_store.append("s", [NewEvent("A", {}, body=BODY)], StreamState.NO_STREAM)
    conn = await asyncpg.connect(postgres_store.url)
    try:
        await conn.execute("ALTER TABLE events RENAME COLUMN body TO body_elsewhere")
    finally:
        await conn.close()
    assert [e.type for e in await postgres_store.read_all(0)] == ["A"]
    async for batch in postgres_store.subscribe(0):
        assert [e.type for e in batch] == ["A"]
        break
    with pytest.raises(asyncpg.UndefinedColumnError):
        await postgres_store.read_stream("s")
