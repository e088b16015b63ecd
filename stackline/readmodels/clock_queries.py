"""What the clock finds due (`stackline/app/wiring.py`'s `expire_ignores` and
`mark_overdue_monitors`): issues whose ignore has run out, monitors past their deadline. Never
writes; nothing here filters by organization, no caller is a viewer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.schema import issues, monitors


async def issues_ignored_until_passed(conn: AsyncConnection, now: float) -> Sequence[str]:
    """Ids of the ignored issues whose ignore-until time is `now` or before."""
    query = select(issues.c.id).where(issues.c.status == "ignored", issues.c.ignore_until_timestamp <= now)
    return (await conn.execute(query)).scalars().all()


async def monitors_due(conn: AsyncConnection, now: float) -> Sequence[Row]:
    """Monitors whose deadline (a check-in expected, or one running too long) is `now` or before."""
    return (await conn.execute(select(monitors).where(monitors.c.deadline <= now))).all()
