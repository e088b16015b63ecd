"""Running one query on a connection of its own: how the API layers (GraphQL, the Sentry REST
endpoints) and the application services read the read models without opening connections
themselves; `write` runs one of the few writes outside the projectors (the senders' delivery
state, `stackline/readmodels/outbox.py`) in a transaction of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

P = ParamSpec("P")
T = TypeVar("T")


async def read(
    engine: AsyncEngine,
    query: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`query(conn, *args, **kwargs)`, a read query of `stackline/readmodels/` (`queries.py`,
    `alert_queries.py`, `credentials.py`, `retention_queries.py`, ...), on a connection of the
    engine's pool."""
    async with engine.connect() as conn:
        return await query(conn, *args, **kwargs)


async def write(
    engine: AsyncEngine,
    query: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`query(conn, *args, **kwargs)` in a transaction, committed when it returns."""
    async with engine.begin() as conn:
        return await query(conn, *args, **kwargs)
