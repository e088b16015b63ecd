"""Insert-or-update, insert-if-absent and bulk insert, in each dialect's own way (SQLite,
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Row, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(conn: AsyncConnection, table: Table):  # noqa: ANN202 - dialect-specific Insert
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


async def upsert(
    conn: AsyncConnection,
    table: Table,
    values: dict[str, Any],
    *,
    keys: tuple[str, ...],
    update: dict[str, Any],
) -> None:
    statement = _insert(conn, table).values(**values)
    await conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update))


async def insert_absent(
    conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], *, returning: tuple[Any, ...]
) -> list[Row]:
    """Insert the rows whose key is not stored yet, many in one statement; `returning` of the
    rows it inserted (a row already there returns nothing)."""
    if conn.dialect.name == "sqlite" and rows:
        return await _sqlite_insert_absent(conn, table, rows, returning)
    statement = _insert(conn, table).on_conflict_do_nothing().returning(*returning)
    return list(await conn.execute(statement, rows))


SQLITE_VARIABLES = 32766  # how many values one SQLite statement may bind


async def _sqlite_insert_absent(
    conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], returning: tuple[Any, ...]
) -> list[Row]:
    """`insert_absent` on SQLite: its text written once per chunk size and run through the driver,
    as many rows per statement as SQLite binds. (SQLAlchemy compiled a 1,000-row statement
    afresh for each run: a replay spent more time there than in SQLite.)"""
    names = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) VALUES "
    tail = f" ON CONFLICT DO NOTHING RETURNING {', '.join(quote(column.name) for column in returning)}"
    per_statement = SQLITE_VARIABLES // len(names)
    placeholders = "(" + ", ".join("?" * len(names)) + ")"
    values = _sqlite_values(conn, table, names, rows)
    found: list[Row] = []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        result = await conn.exec_driver_sql(
            head + ", ".join([placeholders] * len(chunk)) + tail,
            tuple(value for line in chunk for value in line),
        )
        found += result.all()
    return found


async def insert_many(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys). PostgreSQL: one COPY, in the connection's
    transaction, which costs the server and the client a fraction of an executemany. SQLite:
    the driver's own executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await _execute_many(conn, table.insert(), table, rows)
        return
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    records = [
        tuple(orjson.dumps(row[name]).decode() if name in json_columns else row[name] for name in columns)
        for row in rows
    ]
    raw = await conn.get_raw_connection()
    assert raw.driver_connection is not None  # an open connection's asyncpg connection
    await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)


async def _execute_many(
    conn: AsyncConnection, statement: Any, table: Table, rows: list[dict[str, Any]]
) -> None:
    """Run a statement for many rows of `table`. SQLite: through the driver's executemany, values
    converted as SQLAlchemy would store them (its per-row parameter handling was most of a bulk
    insert's cost: 14 -> 9 us a row, measured here)."""
    if conn.dialect.name != "sqlite" or not rows:
        await conn.execute(statement, rows)
        return
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    await conn.exec_driver_sql(compiled.string, _sqlite_values(conn, table, compiled.positiontup, rows))


def _sqlite_values(
    conn: AsyncConnection, table: Table, names: list[str], rows: list[dict[str, Any]]
) -> list[tuple]:
    """The rows' values of these columns, in this order, as SQLite stores them."""
    converted = [(i, to) for i, name in enumerate(names) if (to := _sqlite_storage(conn, table.c[name].type))]
    values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    if not converted:
        return [values(row) for row in rows]
    parameters = []
    for row in rows:
        line = list(values(row))
        for i, to in converted:
            if line[i] is not None:
                line[i] = to(line[i])
        parameters.append(tuple(line))
    return parameters


def _sqlite_storage(conn: AsyncConnection, type_: Any) -> Callable[[Any], Any] | None:
    """How a value of this column type is stored in SQLite, as SQLAlchemy stores it."""
    if isinstance(type_, DateTime):
        return _sqlite_datetime
    return type_.bind_processor(conn.dialect)


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text: the value's own fields, always with microseconds.
    return value.isoformat(" ", "microseconds")[:26]


async def upsert_counts(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert counter rows (`times_seen`, `first_seen`, `last_seen`), or add them to the rows
    already there; many rows in one statement."""
    statement = _insert(conn, table)
    keys = [c.name for c in table.primary_key.columns]
    earliest, latest = (func.min, func.max) if conn.dialect.name == "sqlite" else (func.least, func.greatest)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            "times_seen": table.c.times_seen + statement.excluded.times_seen,
            "first_seen": earliest(table.c.first_seen, statement.excluded.first_seen),
            "last_seen": latest(table.c.last_seen, statement.excluded.last_seen),
        },
    )
    await _execute_many(conn, statement, table, rows)


async def add_quantities(
    conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], columns: tuple[str, ...]
) -> None:
    """Insert counter rows, or add their `columns` to the rows already there."""
    statement = _insert(conn, table)
    keys = [c.name for c in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in columns}
    )
    await _execute_many(conn, statement, table, rows)
