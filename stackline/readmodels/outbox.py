"""The delivery queues the senders work off: due webhook deliveries and alert notifications,
what each is sent to, and each attempt's outcome written back.

The projectors queue the rows (`stackline/projections/webhooks.py`, `alerts.py`); only the
senders (`stackline/app/webhook_sender.py`, `alert_sender.py`) change them after that, and every
write of an attempt's outcome is guarded by the attempt count the sender read, in case a lease
change let another process in. Nothing here filters by organization: no caller is a viewer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.domain.webhook import PENDING
from stackline.readmodels.schema import alert_notifications, alert_rules, webhook_deliveries, webhooks

# -- webhook deliveries ------------------------------------------------------------------------


async def due_deliveries(
    conn: AsyncConnection, now: float, in_flight: Mapping[str, Collection[str]], per_webhook: int
) -> list[Row]:
    """Pending deliveries due by `now`, oldest first within each webhook, at most `per_webhook`
    per webhook counting those `in_flight` (webhook id -> delivery ids), which are left out."""
    due = (webhook_deliveries.c.status == PENDING) & (webhook_deliveries.c.next_attempt_at <= now)
    hook_ids = (
        (await conn.execute(select(webhook_deliveries.c.webhook_id).where(due).distinct())).scalars().all()
    )
    found: list[Row] = []
    for hook_id in hook_ids:
        busy = in_flight.get(hook_id, ())
        free = per_webhook - len(busy)
        if free <= 0:
            continue
        query = select(webhook_deliveries).where(due, webhook_deliveries.c.webhook_id == hook_id)
        if busy:
            query = query.where(webhook_deliveries.c.id.not_in(busy))
        found += (
            await conn.execute(
                query.order_by(webhook_deliveries.c.position, webhook_deliveries.c.id).limit(free)
            )
        ).all()
    return found


async def webhook_to_send(
    conn: AsyncConnection, webhook_id: str, organization_id: str | None = None
) -> Row | None:
    """The webhook a delivery (or an alert channel of `organization_id`) goes to, with its secret."""
    query = select(webhooks).where(webhooks.c.id == webhook_id)
    if organization_id is not None:
        query = query.where(webhooks.c.organization_id == organization_id)
    return (await conn.execute(query)).first()


async def record_delivery_attempt(
    conn: AsyncConnection, delivery_id: str, attempts_read: int, values: dict[str, Any]
) -> None:
    await conn.execute(
        webhook_deliveries.update()
        .where(webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.attempts == attempts_read)
        .values(**values)
    )


# -- alert notifications -----------------------------------------------------------------------


async def due_notifications(
    conn: AsyncConnection, now: float, in_flight: Collection[str], limit: int
) -> Sequence[Row]:
    """Pending notifications due by `now`, oldest first, but those `in_flight`."""
    query = select(alert_notifications).where(
        alert_notifications.c.status == PENDING, alert_notifications.c.next_attempt_at <= now
    )
    if in_flight:
        query = query.where(alert_notifications.c.id.not_in(in_flight))
    return (
        await conn.execute(
            query.order_by(alert_notifications.c.position, alert_notifications.c.id).limit(limit)
        )
    ).all()


async def rule_to_send(conn: AsyncConnection, rule_id: str) -> Row | None:
    """The rule a notification is of (deleted or disabled since: the notification fails)."""
    return (await conn.execute(select(alert_rules).where(alert_rules.c.id == rule_id))).first()


async def notification(conn: AsyncConnection, notification_id: str) -> Row | None:
    query = select(alert_notifications).where(alert_notifications.c.id == notification_id)
    return (await conn.execute(query)).first()


async def unrecorded_notifications(conn: AsyncConnection, limit: int) -> Sequence[str]:
    """Ids of finished notifications whose outcome is not yet known to be in the log."""
    query = (
        select(alert_notifications.c.id)
        .where(alert_notifications.c.status != PENDING, alert_notifications.c.recorded_position.is_(None))
        .limit(limit)
    )
    return (await conn.execute(query)).scalars().all()


async def record_notification_attempt(
    conn: AsyncConnection, notification_id: str, attempts_read: int, values: dict[str, Any]
) -> int:
    """How many rows changed: none when another process got there first."""
    done = await conn.execute(
        alert_notifications.update()
        .where(alert_notifications.c.id == notification_id, alert_notifications.c.attempts == attempts_read)
        .values(**values)
    )
    return done.rowcount


async def mark_notification_recorded(conn: AsyncConnection, notification_id: str, position: int) -> None:
    """The outcome's audit event is in the log at `position`."""
    await conn.execute(
        alert_notifications.update()
        .where(alert_notifications.c.id == notification_id)
        .values(recorded_position=position)
    )
