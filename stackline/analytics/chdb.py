"""The embedded analytics engine: chDB, ClickHouse as a library, on a directory of the data dir.

chDB hosts one engine per process, bound to one path, and a second process cannot open that
path while the first holds it: a setup that splits API and projectors across processes needs
a ClickHouse server (`STACKLINE_CLICKHOUSE_URL`). Calls block, so they run in a worker thread;
the engine runs concurrent queries from several threads on one connection (measured: projector
writer and API readers at once; docs/benchmarks.md).

`chdb` is imported only when the embedded store is opened: importing it maps the ~530 MB
engine library and starts the engine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stackline.analytics.port import AnalyticsUnavailable, Row, decode_json_compact, json_each_row

DATABASE = "stackline"


def bind_value(value: Any) -> str:
    """A parameter in the text form ClickHouse parses `{name:Type}` values from (chDB passes
    strings through as they are; clickhouse-connect does this quoting itself)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return value.replace("\\", "\\\\")
    return str(value)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    return bind_value(value)


class ChdbExecutor:
    """One chDB connection per worker thread: queries on different connections run in parallel,
    while two threads sharing one connection mix up each other's bound parameters (seen here:
    "Substitution `org` is not set" under concurrent reads)."""

    def __init__(self, path: Path, first: Any) -> None:
        self._path = path
        self._local = threading.local()
        self._local.connection = first
        self._connections = [first]
        self._lock = threading.Lock()

    @classmethod
    async def open(cls, path: Path) -> ChdbExecutor:
        return await asyncio.to_thread(cls._open, path)

    @classmethod
    def _open(cls, path: Path) -> ChdbExecutor:
        path.mkdir(parents=True, exist_ok=True)
        try:
            connection = _connect(path)
        except RuntimeError as error:
            raise AnalyticsUnavailable(
                f"the embedded analytics store {path} cannot be opened ({str(error).splitlines()[0]}); "
                "chDB lets one process at a time use it: run analytics in separate processes against a "
                "ClickHouse server (STACKLINE_CLICKHOUSE_URL)"
            ) from error
        return cls(path, connection)

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = _connect(self._path)
            with self._lock:
                self._connections.append(connection)
        return connection

    def _run(self, sql: str, fmt: str = "CSV", params: Mapping[str, str] | None = None) -> bytes:
        result = self._connection().query(sql, fmt, params=params)
        return result.bytes()

    async def execute(self, statement: str) -> None:
        await asyncio.to_thread(self._run, statement)

    async def insert(
        self, table: str, rows: Sequence[Mapping[str, Any]], dedup_token: str | None = None
    ) -> None:
        if rows:
            await self.insert_encoded(table, json_each_row(rows), dedup_token)

    async def insert_encoded(self, table: str, body: bytes, dedup_token: str | None = None) -> None:
        settings = f" SETTINGS insert_deduplication_token = '{_escape(dedup_token)}'" if dedup_token else ""
        statement = f"INSERT INTO {table}{settings} FORMAT JSONEachRow\n" + body.decode()
        await asyncio.to_thread(self._run, statement)

    async def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Row]:
        params = {name: bind_value(value) for name, value in (parameters or {}).items()}
        body = await asyncio.to_thread(self._run, sql, "JSONCompact", params)
        return decode_json_compact(body)

    async def close(self) -> None:
        def close_all() -> None:
            with self._lock:
                for connection in self._connections:
                    connection.close()
                self._connections.clear()

        await asyncio.to_thread(close_all)


def _connect(path: Path) -> Any:
    from chdb.state import sqlitelike

    connection = sqlitelike.connect(str(path.resolve()))
    connection.query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    connection.query(f"USE {DATABASE}")
    connection.query("SET output_format_json_quote_64bit_integers = 0")
    return connection


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
