"""Insert-or-update and insert-if-absent, in each dialect's own syntax (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(conn: AsyncConnection, table: Table):  # noqa: ANN202 - dialect-specific Insert
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


async def upsert(
    conn: AsyncConnection, table: Table, values: dict[str, Any], *, keys: tuple[str, ...], update: dict[str, Any]
) -> None:
    statement = _insert(conn, table).values(**values)
    await conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update))


async def insert_if_absent(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> bool:
    """True when the row was inserted, False when a row with its key already existed."""
    result = await conn.execute(_insert(conn, table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1
