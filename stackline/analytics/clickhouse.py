"""A ClickHouse server as the analytics store, through clickhouse-connect (HTTP interface).

`STACKLINE_CLICKHOUSE_URL` is a clickhouse-connect DSN, e.g.
`http://default:@127.0.0.1:8123/stackline`; the database must exist. The client is the
synchronous one (its async client needs aiohttp), run in worker threads; it keeps a pool of
HTTP connections and is safe to share between threads. Parameters are bound by the server
(`{name:Type}`), like chDB does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from stackline.analytics.port import AnalyticsUnavailable, Row, decode_json_compact, json_each_row


class ClickHouseExecutor:
    def __init__(self, client: Any) -> None:
        self._client = client

    @classmethod
    async def open(cls, url: str) -> ClickHouseExecutor:
        return await asyncio.to_thread(cls._open, url)

    @classmethod
    def _open(cls, url: str) -> ClickHouseExecutor:
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import ClickHouseError

        try:
            client = clickhouse_connect.get_client(
                dsn=url,
                settings={"output_format_json_quote_64bit_integers": 0},
                autogenerate_session_id=False,  # no session: the client is shared by threads
            )
        except (ClickHouseError, OSError) as error:
            raise AnalyticsUnavailable(f"cannot reach ClickHouse: {error}") from error
        return cls(client)

    async def execute(self, statement: str) -> None:
        await asyncio.to_thread(self._client.command, statement)

    async def insert(
        self, table: str, rows: Sequence[Mapping[str, Any]], dedup_token: str | None = None
    ) -> None:
        if rows:
            await self.insert_encoded(table, json_each_row(rows), dedup_token)

    async def insert_encoded(self, table: str, body: bytes, dedup_token: str | None = None) -> None:
        settings = {"insert_deduplication_token": dedup_token} if dedup_token else None
        await asyncio.to_thread(self._client.raw_insert, table, None, body, settings, "JSONEachRow")

    async def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Row]:
        body = await asyncio.to_thread(
            self._client.raw_query, sql, dict(parameters or {}), None, "JSONCompact"
        )
        return decode_json_compact(body)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)
