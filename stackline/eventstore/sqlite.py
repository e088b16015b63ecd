"""SQLite adapter of the event store: the embedded default.

One file in WAL mode with `synchronous=FULL`, so a returned append survives a crash of the
process or the machine. SQLite allows one writer at a time, so all appends go through one
writer thread, grouped (`batching.GroupCommit`); a wrong expected version fails only its own
append (a savepoint per append). Readers use their own
connections and never wait for the writer.

Several processes may share the file (`stackline bootstrap` while `serve` runs): SQLite's
lock serializes their writers, and subscribers notice appends from other processes by
polling `PRAGMA data_version`, while appends from this process wake them at once.

Event bodies live in a table of their own, `event_bodies`, keyed by position and written in
the event's transaction: following the log reads `events` alone and never pages a body in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
import uuid
from collections.abc import AsyncGenerator, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
CREATE TABLE IF NOT EXISTS event_bodies (
    position INTEGER PRIMARY KEY,
    body BLOB NOT NULL
);
"""

COLUMNS = "position, event_id, stream, version, type, schema_version, data, metadata, recorded_at"
WITH_BODIES = f"SELECT {COLUMNS}, body FROM events LEFT JOIN event_bodies USING (position)"
CROSS_PROCESS_POLL_SECONDS = 0.1


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _recorded(row: tuple[Any, ...]) -> RecordedEvent:
    position, event_id, stream, version, type_, schema_version, data, metadata, recorded_at = row
    return RecordedEvent(
        id=uuid.UUID(event_id),
        stream=stream,
        version=version,
        position=position,
        type=type_,
        schema_version=schema_version,
        data=orjson.loads(data),
        metadata=orjson.loads(metadata),
        recorded_at=datetime.fromtimestamp(recorded_at, UTC),
    )


def _recorded_with_body(row: tuple[Any, ...]) -> RecordedEvent:
    """A row of `WITH_BODIES`: the columns `_recorded` takes, then the body (NULL if none).
    Apart from `_recorded` so that the converter a replay calls per event stays lean."""
    event = _recorded(row[:-1])
    return event if row[-1] is None else dataclasses.replace(event, body=row[-1])


class SQLiteEventStore:
    def __init__(self, path: Path, upcasters: Upcasters = NO_UPCASTERS) -> None:
        self.path = path
        self.upcasters = upcasters
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventstore-writer")
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="eventstore-reader")
        self._local = threading.local()
        self._write_conn = _connect(path)
        # Before any table exists (a new file): deleted events' pages can then be given back
        # (`reclaim_space`); an older file is converted by one VACUUM the first time.
        self._write_conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self._write_conn.executescript(SCHEMA)
        self._group = GroupCommit(self._write)

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        return await self._group.append(stream, events, expected_version)

    async def _write(self, batch: list[PendingAppend]) -> list[AppendResult | Exception]:
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._write_batch, batch)

    def _write_batch(self, batch: list[PendingAppend]) -> list[AppendResult | Exception]:
        """One transaction for the whole batch: look up the streams' versions and the ids
        already stored, decide every append in order, insert what passed in one statement."""
        conn = self._write_conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            versions: dict[str, int] = {}
            for stream in {p.stream for p in batch}:
                row = conn.execute("SELECT MAX(version) FROM events WHERE stream = ?", (stream,)).fetchone()
                if row[0] is not None:
                    versions[stream] = row[0]
            ids = [str(e.id) for p in batch for e in p.events]
            stored: dict[uuid.UUID, StoredId] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for event_id, stream, version, position in conn.execute(
                    "SELECT event_id, stream, version, position FROM events WHERE event_id IN "
                    f"({','.join('?' * len(chunk))})",
                    chunk,
                ):
                    stored[uuid.UUID(event_id)] = StoredId(stream, version, position)
            outcomes, rows = decide_batch(batch, versions, stored)
            positions: list[int] = []
            if rows:
                now = datetime.now(UTC).timestamp()
                first = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM events").fetchone()[0]
                conn.executemany(
                    "INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata, "
                    "recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            str(r.event.id),
                            r.stream,
                            r.version,
                            r.event.type,
                            r.event.schema_version,
                            orjson.dumps(r.event.data),
                            orjson.dumps(r.event.metadata),
                            now,
                        )
                        for r in rows
                    ],
                )
                # One writer: the rows took the positions after the previous maximum, in order.
                last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                positions = list(range(first, last + 1))
                assert len(positions) == len(rows), "positions must be contiguous under one writer"
                conn.executemany(
                    "INSERT INTO event_bodies (position, body) VALUES (?, ?)",
                    [
                        (p, r.event.body)
                        for p, r in zip(positions, rows, strict=True)
                        if r.event.body is not None
                    ],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return place(outcomes, positions)

    # -- retention ---------------------------------------------------------------------------

    async def compact(self, compactions: Sequence[Compaction]) -> None:
        def run() -> None:
            conn = self._write_conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                deleted = [(p,) for c in compactions for p in c.deleted]
                conn.executemany("DELETE FROM events WHERE position = ?", deleted)
                conn.executemany("DELETE FROM event_bodies WHERE position = ?", deleted)
                conn.executemany(
                    "UPDATE events SET type = ?, schema_version = ?, data = ?, version = ?"
                    " WHERE position = ?",
                    [
                        (c.type, c.schema_version, orjson.dumps(c.data), c.version, c.position)
                        for c in compactions
                    ],
                )
                conn.executemany(
                    "DELETE FROM event_bodies WHERE position = ?", [(c.position,) for c in compactions]
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        await asyncio.get_running_loop().run_in_executor(self._writer, run)

    async def reclaim_space(self) -> None:
        def run() -> None:
            conn = self._write_conn
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # a file from before
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
                conn.execute("VACUUM")
            conn.execute("PRAGMA incremental_vacuum")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await asyncio.get_running_loop().run_in_executor(self._writer, run)

    # -- reading ---------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
        return conn

    async def _read(
        self,
        sql: str,
        params: tuple[Any, ...],
        convert: Callable[[tuple[Any, ...]], RecordedEvent] = _recorded,
    ) -> list[RecordedEvent]:
        def run() -> list[RecordedEvent]:
            upcast = self.upcasters.upcast
            return [upcast(convert(row)) for row in self._reader().execute(sql, params).fetchall()]

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    async def read_stream(
        self, stream: str, from_version: int = 0, *, backwards: bool = False, limit: int | None = None
    ) -> list[RecordedEvent]:
        op, order = ("<=", "DESC") if backwards else (">=", "ASC")
        if backwards and from_version < 0:
            from_version = 2**62
        return await self._read(
            f"{WITH_BODIES} WHERE stream = ? AND version {op} ? ORDER BY version {order} LIMIT ?",
            (stream, from_version, -1 if limit is None else limit),
            _recorded_with_body,
        )

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return await self._read(
            f"SELECT {COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?",
            (after_position, limit),
        )

    async def read_all_encoded(self, after_position: int = 0, limit: int = 1000) -> list[EncodedEvent]:
        def run() -> list[EncodedEvent]:
            return (
                self._reader()
                .execute(
                    "SELECT position, type, schema_version, data FROM events WHERE position > ? "
                    "ORDER BY position LIMIT ?",
                    (after_position, limit),
                )
                .fetchall()
            )

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    async def read_positions(self, positions: Collection[int]) -> list[RecordedEvent]:
        wanted = sorted(set(positions))
        found: list[RecordedEvent] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found += await self._read(
                f"{WITH_BODIES} WHERE position IN ({','.join('?' * len(chunk))}) ORDER BY position",
                tuple(chunk),
                _recorded_with_body,
            )
        return found

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
        types = sorted(set(event_types))
        if not types:
            return []
        return await self._read(
            f"SELECT {COLUMNS} FROM events WHERE position > ? AND position <= ? AND recorded_at < ?"
            f" AND substr(stream, 1, ?) = ? AND type IN ({','.join('?' * len(types))})"
            " ORDER BY position LIMIT ?",
            (
                after_position,
                through_position,
                before.timestamp(),
                len(stream_prefix),
                stream_prefix,
                *types,
                limit,
            ),
        )

    async def head_position(self) -> int:
        def run() -> int:
            row = self._reader().execute("SELECT MAX(position) FROM events").fetchone()
            return row[0] or 0

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

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
            CROSS_PROCESS_POLL_SECONDS,
            stream_prefix,
            event_types,
        )

    async def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self._write_conn.close()
