"""Running one read query on a connection of its own: how the API layers (GraphQL, the Sentry
REST endpoints) read the read models without opening connections themselves. Never writes."""

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
    """`query(conn, *args, **kwargs)`, one of `stackline/readmodels/queries.py` (or
    `alert_queries.py`), on a connection of the engine's pool."""
    async with engine.connect() as conn:
        return await query(conn, *args, **kwargs)
