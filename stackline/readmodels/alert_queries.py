"""Read queries for alert rules and their notification log. Every one filters by organization:
the caller passes the organizations where the viewer holds the needed scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.schema import alert_notifications, alert_rules


async def alert_rules_of(conn: AsyncConnection, org_id: str, project_id: int) -> Sequence[Row]:
    query = select(alert_rules).where(
        alert_rules.c.organization_id == org_id, alert_rules.c.project_id == project_id
    )
    return (await conn.execute(query.order_by(alert_rules.c.created_position))).all()


async def alert_rule(conn: AsyncConnection, org_ids: Collection[str], rule_id: str) -> Row | None:
    query = select(alert_rules).where(alert_rules.c.id == rule_id, alert_rules.c.organization_id.in_(org_ids))
    return (await conn.execute(query)).first()


async def notifications_page(
    conn: AsyncConnection, org_id: str, rule_id: str, first: int, after: tuple[int, str] | None
) -> Sequence[Row]:
    """A rule's notifications, newest trigger first."""
    table = alert_notifications
    query = select(table).where(table.c.rule_id == rule_id, table.c.organization_id == org_id)
    if after is not None:
        query = query.where(
            or_(table.c.position < after[0], and_(table.c.position == after[0], table.c.id < after[1]))
        )
    query = query.order_by(table.c.position.desc(), table.c.id.desc()).limit(first)
    return (await conn.execute(query)).all()


async def notification_count(conn: AsyncConnection, org_id: str, rule_id: str) -> int:
    query = (
        select(func.count())
        .select_from(alert_notifications)
        .where(alert_notifications.c.rule_id == rule_id, alert_notifications.c.organization_id == org_id)
    )
    return (await conn.execute(query)).scalar_one()
