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

Live subscribers are woken by LISTEN/NOTIFY (the notification is sent at commit), with a slow
poll as the fallback should a notification be lost with its connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC

import asyncpg
import orjson

from stackline.eventstore.batching import GroupCommit, PendingAppend, RetryInNextBatch, catch_up
from stackline.eventstore.port import (
    AppendResult,
    DuplicateEventId,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    NO_UPCASTERS,
    Upcasters,
    WrongExpectedVersion,
    check_expected_version,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data JSONB NOT NULL,
    metadata JSONB NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream, version)
);
"""
CHANNEL = "stackline_events"
WRITER_LOCK = 0x5354_4B4C_0001  # any constant; every stackline writer takes the same one
POLL_SECONDS = 1.0
COLUMNS = "position, event_id, stream, version, type, schema_version, data, metadata, recorded_at"
INSERT = """
INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata)
SELECT e.event_id, e.stream, e.version, e.type, e.schema_version, e.data, e.metadata
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[])
     WITH ORDINALITY AS e(event_id, stream, version, type, schema_version, data, metadata, n)
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
        self._writer = await asyncpg.connect(self.url)
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
            outcomes, rows = await self._decide(conn, batch)
            if rows:
                columns = list(zip(*rows, strict=True))
                positions = [r["position"] for r in await conn.fetch(INSERT, *columns)]
                placed = iter(positions)
                for index, outcome in enumerate(outcomes):
                    if isinstance(outcome, _Planned):
                        last = [next(placed) for _ in range(outcome.count)][-1]
                        outcomes[index] = AppendResult(version=outcome.version, position=last)
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(positions[-1]))
        return outcomes

    async def _decide(
        self, conn: asyncpg.Connection, batch: list[PendingAppend]
    ) -> tuple[list, list[tuple]]:
        """Check every append of the batch against the stored versions and ids, in bulk."""
        streams = sorted({p.stream for p in batch})
        versions = {
            r["stream"]: r["version"]
            for r in await conn.fetch(
                "SELECT stream, max(version) AS version FROM events WHERE stream = ANY($1::text[]) GROUP BY stream",
                streams,
            )
        }
        all_ids = [e.id for p in batch for e in p.events]
        stored = {
            r["event_id"]: r
            for r in await conn.fetch(
                "SELECT event_id, stream, version, position FROM events WHERE event_id = ANY($1::uuid[])", all_ids
            )
        }
        outcomes: list = []
        rows: list[tuple] = []
        ids_in_batch: set[uuid.UUID] = set()
        for pending in batch:
            ids = [e.id for e in pending.events]
            if ids_in_batch.intersection(ids):  # a concurrent retry of an append in this batch
                outcomes.append(RetryInNextBatch())
                continue
            if any(i in stored for i in ids):
                outcomes.append(_idempotent(pending, [stored.get(i) for i in ids]))
                continue
            actual = versions.get(pending.stream, -1)
            try:
                check_expected_version(pending.stream, pending.expected, actual)
            except WrongExpectedVersion as error:
                outcomes.append(error)
                continue
            for offset, event in enumerate(pending.events):
                rows.append(
                    (
                        event.id,
                        pending.stream,
                        actual + 1 + offset,
                        event.type,
                        event.schema_version,
                        orjson.dumps(event.data).decode(),
                        orjson.dumps(event.metadata).decode(),
                    )
                )
            versions[pending.stream] = actual + len(pending.events)
            ids_in_batch.update(ids)
            outcomes.append(_Planned(version=versions[pending.stream], count=len(pending.events)))
        return outcomes, rows

    # -- reading ---------------------------------------------------------------------------

    async def _fetch(self, sql: str, *args: object) -> list[RecordedEvent]:
        assert self._pool is not None, "PostgresEventStore.start() was not awaited"
        upcast = self.upcasters.upcast
        return [upcast(_recorded(row)) for row in await self._pool.fetch(sql, *args)]

    async def read_stream(
        self, stream: str, from_version: int = 0, *, backwards: bool = False, limit: int | None = None
    ) -> list[RecordedEvent]:
        op, order = ("<=", "DESC") if backwards else (">=", "ASC")
        if backwards and from_version < 0:
            from_version = 2**62
        return await self._fetch(
            f"SELECT {COLUMNS} FROM events WHERE stream = $1 AND version {op} $2 ORDER BY version {order} LIMIT $3",
            stream, from_version, limit,
        )

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return await self._fetch(
            f"SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2", after_position, limit
        )

    async def head_position(self) -> int:
        assert self._pool is not None
        return await self._pool.fetchval("SELECT coalesce(max(position), 0) FROM events")

    def subscribe(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        stream_prefix: str | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncIterator[Sequence[RecordedEvent]]:
        return catch_up(self.read_all, self._group.committed, after_position, batch_size, POLL_SECONDS,
                        stream_prefix, event_types)

    async def close(self) -> None:
        for conn in (self._listener, self._writer):
            if conn is not None:
                await conn.close()
        if self._pool is not None:
            await self._pool.close()


class _Planned:
    """An append that passed its checks; its positions are known once the insert returns."""

    __slots__ = ("version", "count")

    def __init__(self, version: int, count: int) -> None:
        self.version = version
        self.count = count


def _idempotent(pending: PendingAppend, rows: list[asyncpg.Record | None]) -> AppendResult | Exception:
    if all(row is not None and row["stream"] == pending.stream for row in rows):
        last = max(rows, key=lambda row: row["position"])
        return AppendResult(version=last["version"], position=last["position"])
    return DuplicateEventId(pending.stream, [row["stream"] for row in rows if row is not None])
