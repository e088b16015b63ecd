"""PostgreSQL adapter of the event store (`STACKLINE_EVENTSTORE_URL=postgresql://…`).

The hard part of a SQL event log is the global order readers see. A `bigserial` is handed out
when a row is inserted, not when its transaction commits, so two concurrent writers can commit
positions 8 and 7 in that order, and a reader at 8 would skip 7 forever. Here every writing
transaction, in any process, first takes one transaction-scoped advisory lock: positions are
handed out and committed strictly one transaction after the other, so whatever a reader sees is
a gap-free-in-order prefix of the log (a rolled-back transaction leaves a hole in the numbers
that nothing will ever fill, which readers step over harmlessly). The lock costs little because
each process writes in groups (`batching.GroupCommit`): one transaction per batch, with the
version checks, idempotency checks and inserts of the whole batch done in four statements.

An event's body is a nullable `bytea` column of its row, which PostgreSQL compresses and, when
large, keeps out of line (TOAST); `read_all` does not select it, so following the log never
fetches it.

Live subscribers are woken by LISTEN/NOTIFY (the notification is sent at commit), with a slow
poll as the fallback should a notification be lost with its connection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Callable, Collection, Sequence
from datetime import UTC, datetime

import asyncpg
import orjson

from stackline.eventstore.batching import (
    GroupCommit,
    PendingAppend,
    StoredId,
    catch_up,
    decide_batch,
    place,
)
from stackline.eventstore.port import (
    NO_UPCASTERS,
    AppendResult,
    Compaction,
    EncodedEvent,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    Upcasters,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data JSON NOT NULL,
    metadata JSON NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    body BYTEA,
    UNIQUE (stream, version)
);
-- Tables created before events had bodies. (Checked first: ALTER TABLE locks the table even
-- when it has nothing to do, and every process that opens the store runs this.)
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = 'events'::regclass AND attname = 'body' AND NOT attisdropped) THEN
        ALTER TABLE events ADD COLUMN body BYTEA;
    END IF;
END $$;
"""
CHANNEL = "stackline_events"
WRITER_LOCK = 0x5354_4B4C_0001  # any constant; every stackline writer takes the same one
POLL_SECONDS = 1.0
COLUMNS = "position, event_id, stream, version, type, schema_version, data, metadata, recorded_at"
INSERT = """
INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata, body)
SELECT e.event_id, e.stream, e.version, e.type, e.schema_version, e.data, e.metadata, e.body
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::json[], $7::json[], $8::bytea[])
     WITH ORDINALITY AS e(event_id, stream, version, type, schema_version, data, metadata, body, n)
ORDER BY e.n
RETURNING position
"""


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(
        id=row["event_id"],
        stream=row["stream"],
        version=row["version"],
        position=row["position"],
        type=row["type"],
        schema_version=row["schema_version"],
        data=orjson.loads(row["data"]),
        metadata=orjson.loads(row["metadata"]),
        recorded_at=row["recorded_at"].astimezone(UTC),
    )


def _recorded_with_body(row: asyncpg.Record) -> RecordedEvent:
    """A row selected with `COLUMNS` and `body`. Apart from `_recorded`, which a replay calls
    per event, so that it stays lean."""
    event = _recorded(row)
    return event if row["body"] is None else dataclasses.replace(event, body=row["body"])


class PostgresEventStore:
    def __init__(self, url: str, upcasters: Upcasters = NO_UPCASTERS) -> None:
        self.url = url
        self.upcasters = upcasters
        self._pool: asyncpg.Pool | None = None
        self._writer: asyncpg.Connection | None = None
        self._listener: asyncpg.Connection | None = None
        self._group = GroupCommit(self._write)

    @classmethod
    async def open(cls, url: str, upcasters: Upcasters = NO_UPCASTERS) -> PostgresEventStore:
        store = cls(url, upcasters)
        await store.start()
        return store

    async def start(self) -> None:
        # Plans are made for each batch's values: a generic plan cached while the log was tiny
        # would keep scanning it whole long after it has grown.
        self._writer = await asyncpg.connect(
            self.url, server_settings={"plan_cache_mode": "force_custom_plan"}
        )
        await self._writer.execute("SELECT pg_advisory_lock($1)", WRITER_LOCK)
        try:  # concurrent first start-ups must not race to create the table
            await self._writer.execute(SCHEMA)
        finally:
            await self._writer.execute("SELECT pg_advisory_unlock($1)", WRITER_LOCK)
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=4)
        self._listener = await asyncpg.connect(self.url)
        await self._listener.add_listener(CHANNEL, lambda *_: self._group.committed.fire())

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        return await self._group.append(stream, events, expected_version)

    async def _write(self, batch: list[PendingAppend]) -> list[AppendResult | Exception]:
        conn = self._writer
        assert conn is not None, "PostgresEventStore.start() was not awaited"
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
            versions = {
                r["stream"]: r["version"]
                # One index probe per stream: `stream = ANY(...) GROUP BY` would let the planner
                # pick a sequential scan of the whole log (it does on a fresh, unanalyzed table).
                for r in await conn.fetch(
                    "SELECT s.stream, (SELECT max(version) FROM events e WHERE e.stream = s.stream) AS "
                    "version"
                    " FROM unnest($1::text[]) AS s(stream)",
                    sorted({p.stream for p in batch}),
                )
                if r["version"] is not None
            }
            stored = {
                r["event_id"]: StoredId(r["stream"], r["version"], r["position"])
                for r in await conn.fetch(
                    "SELECT event_id, stream, version, position FROM events WHERE event_id = ANY($1::uuid[])",
                    [e.id for p in batch for e in p.events],
                )
            }
            outcomes, rows = decide_batch(batch, versions, stored)
            positions: list[int] = []
            if rows:
                columns = (
                    [r.event.id for r in rows],
                    [r.stream for r in rows],
                    [r.version for r in rows],
                    [r.event.type for r in rows],
                    [r.event.schema_version for r in rows],
                    [orjson.dumps(r.event.data).decode() for r in rows],
                    [orjson.dumps(r.event.metadata).decode() for r in rows],
                    [r.event.body for r in rows],
                )
                positions = [r["position"] for r in await conn.fetch(INSERT, *columns)]
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(positions[-1]))
        return place(outcomes, positions)

    # -- retention ---------------------------------------------------------------------------

    async def compact(self, compactions: Sequence[Compaction]) -> None:
        """One transaction, under the writers' lock (appends read a stream's highest version,
        which a compaction may move to another row)."""
        assert self._pool is not None, "PostgresEventStore.start() was not awaited"
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
            await conn.execute(
                "DELETE FROM events WHERE position = ANY($1::bigint[])",
                [p for c in compactions for p in c.deleted],
            )
            await conn.executemany(
                "UPDATE events SET type = $1, schema_version = $2, data = $3::json, version = $4, body = NULL"
                " WHERE position = $5",
                [
                    (c.type, c.schema_version, orjson.dumps(c.data).decode(), c.version, c.position)
                    for c in compactions
                ],
            )

    async def reclaim_space(self) -> None:
        """Nothing to do: autovacuum makes the deleted rows' space reusable."""

    # -- reading ---------------------------------------------------------------------------

    async def _fetch(
        self, sql: str, *args: object, convert: Callable[[asyncpg.Record], RecordedEvent] = _recorded
    ) -> list[RecordedEvent]:
        assert self._pool is not None, "PostgresEventStore.start() was not awaited"
        upcast = self.upcasters.upcast
        return [upcast(convert(row)) for row in await self._pool.fetch(sql, *args)]

    async def read_stream(
        self, stream: str, from_version: int = 0, *, backwards: bool = False, limit: int | None = None
    ) -> list[RecordedEvent]:
        op, order = ("<=", "DESC") if backwards else (">=", "ASC")
        if backwards and from_version < 0:
            from_version = 2**62
        return await self._fetch(
            f"SELECT {COLUMNS}, body FROM events WHERE stream = $1 AND version {op} $2 ORDER BY version "
            f"{order} LIMIT $3",
            stream,
            from_version,
            limit,
            convert=_recorded_with_body,
        )

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return await self._fetch(
            f"SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
            after_position,
            limit,
        )

    async def read_all_encoded(self, after_position: int = 0, limit: int = 1000) -> list[EncodedEvent]:
        assert self._pool is not None, "PostgresEventStore.start() was not awaited"
        rows = await self._pool.fetch(
            "SELECT position, type, schema_version, data FROM events WHERE position > $1 "
            "ORDER BY position LIMIT $2",
            after_position,
            limit,
        )
        return [(row[0], row[1], row[2], row[3].encode()) for row in rows]

    async def read_positions(self, positions: Collection[int]) -> list[RecordedEvent]:
        return await self._fetch(
            f"SELECT {COLUMNS}, body FROM events WHERE position = ANY($1::bigint[]) ORDER BY position",
            sorted(set(positions)),
            convert=_recorded_with_body,
        )

    async def read_recorded_before(
        self,
        before: datetime,
        *,
        through_position: int,
        stream_prefix: str,
        event_types: Collection[str],
        after_position: int = 0,
        limit: int = 1000,
    ) -> list[RecordedEvent]:
        return await self._fetch(
            f"SELECT {COLUMNS} FROM events WHERE position > $1 AND position <= $2 AND recorded_at < $3"
            " AND left(stream, $4) = $5 AND type = ANY($6::text[]) ORDER BY position LIMIT $7",
            after_position,
            through_position,
            before,
            len(stream_prefix),
            stream_prefix,
            sorted(set(event_types)),
            limit,
        )

    async def head_position(self) -> int:
        assert self._pool is not None
        head: int = await self._pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return head

    def subscribe(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        stream_prefix: str | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncGenerator[Sequence[RecordedEvent], None]:
        return catch_up(
            self.read_all,
            self._group.committed,
            after_position,
            batch_size,
            POLL_SECONDS,
            stream_prefix,
            event_types,
        )

    async def close(self) -> None:
        for conn in (self._listener, self._writer):
            if conn is not None:
                await conn.close()
        if self._pool is not None:
            await self._pool.close()
