"""SQLite adapter of the event store: the embedded default.

One file in WAL mode with `synchronous=FULL`, so a returned append survives a crash of the
process or the machine. SQLite allows one writer at a time, so all appends go through one
writer thread, grouped (`batching.GroupCommit`); a wrong expected version fails only its own
append (a savepoint per append). Readers use their own
connections and never wait for the writer.

Several processes may share the file (`stackline bootstrap` while `serve` runs): SQLite's
lock serializes their writers, and subscribers notice appends from other processes by
polling `PRAGMA data_version`, while appends from this process wake them at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import orjson

from stackline.eventstore.batching import GroupCommit, PendingAppend, catch_up
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

COLUMNS = "position, event_id, stream, version, type, schema_version, data, metadata, recorded_at"
CROSS_PROCESS_POLL_SECONDS = 0.1


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _recorded(row: tuple) -> RecordedEvent:
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


class SQLiteEventStore:
    def __init__(self, path: Path, upcasters: Upcasters = NO_UPCASTERS) -> None:
        self.path = path
        self.upcasters = upcasters
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventstore-writer")
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="eventstore-reader")
        self._local = threading.local()
        self._write_conn = _connect(path)
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
        conn = self._write_conn
        outcomes: list[AppendResult | Exception] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for pending in batch:
                conn.execute("SAVEPOINT append")
                try:
                    outcomes.append(self._write_one(conn, pending))
                    conn.execute("RELEASE append")
                except (WrongExpectedVersion, DuplicateEventId) as error:
                    conn.execute("ROLLBACK TO append")
                    conn.execute("RELEASE append")
                    outcomes.append(error)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return outcomes

    def _write_one(self, conn: sqlite3.Connection, pending: PendingAppend) -> AppendResult:
        ids = [str(event.id) for event in pending.events]
        already = conn.execute(
            f"SELECT stream, version, position FROM events WHERE event_id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
        if already:
            # A retried append: idempotent when every event is already there, in this stream.
            if len(already) == len(ids) and all(row[0] == pending.stream for row in already):
                last = max(already, key=lambda row: row[2])
                return AppendResult(version=last[1], position=last[2])
            raise DuplicateEventId(pending.stream, [row[0] for row in already])
        row = conn.execute("SELECT MAX(version) FROM events WHERE stream = ?", (pending.stream,)).fetchone()
        actual = -1 if row[0] is None else row[0]
        check_expected_version(pending.stream, pending.expected, actual)
        now = datetime.now(UTC).timestamp()
        cursor = conn.executemany(
            "INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(event.id),
                    pending.stream,
                    actual + 1 + offset,
                    event.type,
                    event.schema_version,
                    orjson.dumps(event.data),
                    orjson.dumps(event.metadata),
                    now,
                )
                for offset, event in enumerate(pending.events)
            ],
        )
        del cursor
        position = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        return AppendResult(version=actual + len(pending.events), position=position)

    # -- reading ---------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
        return conn

    async def _read(self, sql: str, params: tuple) -> list[RecordedEvent]:
        def run() -> list[RecordedEvent]:
            upcast = self.upcasters.upcast
            return [upcast(_recorded(row)) for row in self._reader().execute(sql, params).fetchall()]

        return await asyncio.get_running_loop().run_in_executor(self._readers, run)

    async def read_stream(
        self, stream: str, from_version: int = 0, *, backwards: bool = False, limit: int | None = None
    ) -> list[RecordedEvent]:
        op, order = ("<=", "DESC") if backwards else (">=", "ASC")
        if backwards and from_version < 0:
            from_version = 2**62
        return await self._read(
            f"SELECT {COLUMNS} FROM events WHERE stream = ? AND version {op} ? ORDER BY version {order} LIMIT ?",
            (stream, from_version, -1 if limit is None else limit),
        )

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        return await self._read(
            f"SELECT {COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?",
            (after_position, limit),
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
    ) -> AsyncIterator[Sequence[RecordedEvent]]:
        return catch_up(self.read_all, self._group.committed, after_position, batch_size, CROSS_PROCESS_POLL_SECONDS,
                        stream_prefix, event_types)

    async def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self._write_conn.close()

