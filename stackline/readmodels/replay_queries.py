"""The read-model statements of `stackline replay` (`stackline/app/replay.py`).

Each runs on the connection the replay passes in and commits nothing; which statements share a
transaction, and in what order they run, is the replay's to decide. What replay keeps across a
rebuild is named here too: the workers' outboxes (what was sent happened outside the log) and
the API-only indexes it builds once, at the end.
"""

from __future__ import annotations

from sqlalchemy import Connection, Index, MetaData, Table, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.schema import (
    alert_notifications,
    projector_checkpoints,
    replay_deferred_indexes,
    webhook_deliveries,
)

# The outboxes whose rows a replay keeps, by table name.
OUTBOXES: dict[str, Table] = {table.name: table for table in (webhook_deliveries, alert_notifications)}


async def forget_checkpoint(conn: AsyncConnection, name: str) -> None:
    """Delete projector `name`'s checkpoint: it starts again from the beginning of the log."""
    await conn.execute(projector_checkpoints.delete().where(projector_checkpoints.c.name == name))


async def outbox_rows(conn: AsyncConnection, outbox: str) -> list[dict] | None:
    """Every row of the outbox table `outbox`; None in a database from before its worker (or a
    new one), which has no such table or no checkpoints yet."""
    tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    if not {projector_checkpoints.name, outbox} <= tables:
        return None
    return [dict(row._mapping) for row in await conn.execute(select(OUTBOXES[outbox]))]


async def restore_outbox_rows(conn: AsyncConnection, outbox: str, rows: list[dict]) -> None:
    """Put back the rows `outbox_rows` read, a thousand per statement."""
    for start in range(0, len(rows), 1000):
        await conn.execute(OUTBOXES[outbox].insert(), rows[start : start + 1000])


def drop_every_table(conn: Connection) -> None:
    """Every table of the read-model database, alembic's version too (sync: `run_sync`)."""
    tables = MetaData()
    tables.reflect(conn)
    tables.drop_all(conn)


async def drop_deferred_indexes(conn: AsyncConnection) -> list[Index]:
    """Drop the indexes only the API reads (`schema.replay_deferred_indexes`); the ones dropped,
    for `build_index` after the bulk load."""
    indexes = replay_deferred_indexes(conn.dialect.name)
    for index in indexes:
        await conn.run_sync(index.drop)
    return indexes


async def build_index(conn: AsyncConnection, index: Index) -> None:
    await conn.run_sync(lambda sync: index.create(sync, checkfirst=True))


async def analyze(conn: AsyncConnection) -> None:
    """Give the planner statistics (PostgreSQL: tables filled in a few big transactions have
    none until autovacuum gets to them)."""
    await conn.execute(text("ANALYZE"))
