"""Webhooks: their configuration (a read model), and the deliveries their issue changes owe.

`WebhooksProjection` runs in the read-model projector and keeps the `webhooks` table.

`WebhookDeliveriesProjection` is the webhook worker's projector (`webhooks`, its own
checkpoint). It trails the read-model projector, finds in each batch the issue changes the
issue projection publishes (the same kinds, decided the same way: an issue's lifecycle events,
and every later occurrence for UPDATED), and writes one PENDING row per change and interested
webhook into `webhook_deliveries`, in the transaction that moves its checkpoint: a change is
queued exactly once, across crashes and restarts. It never sends anything; the sender
(`stackline/app/webhook_sender.py`) does, from those rows.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.bus import IssueChange
from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.issue import CHANGE_KIND, IssueEvent
from stackline.domain.registry import decode
from stackline.domain.webhook import (
    PENDING,
    WebhookChanged,
    WebhookCreated,
    WebhookDeleted,
    WebhookSecretRotated,
)
from stackline.eventstore import RecordedEvent
from stackline.projections.runner import Effects, collapse
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import events, issues, organizations, projects, webhook_deliveries, webhooks

DELIVERY_NAMESPACE = uuid.UUID("2b0f7c36-5a1e-4f7e-9d51-3f0b8f6c1a77")


def global_id(type_name: str, key: object) -> str:
    """The GraphQL global id of an object (as `stackline/graphql/context.py` encodes it), so a
    receiver can ask the API for more: `issue(id: …)`."""
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def delivery_id(webhook_id: str, change: IssueChange) -> str:
    """Derived from the webhook and the change, so re-applying a batch queues the same rows."""
    return str(
        uuid.uuid5(DELIVERY_NAMESPACE, f"{webhook_id}:{change.position}:{change.issue_id}:{change.kind}")
    )


class WebhooksProjection:
    """The `webhooks` table, from the `webhook-{id}` streams."""

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        for event in batch:
            if not event.type.startswith("Webhook"):
                continue
            at = event.recorded_at
            match decode(event.type, event.data):
                case WebhookCreated() as e:
                    await conn.execute(
                        webhooks.insert().values(
                            id=e.webhook_id,
                            organization_id=e.organization_id,
                            project_id=e.project_id,
                            url=e.url,
                            events=list(e.events),
                            description=e.description,
                            secret=e.secret,
                            is_active=True,
                            created_position=event.position,
                            created_at=at,
                            updated_at=at,
                        )
                    )
                case WebhookChanged() as e:
                    await conn.execute(
                        webhooks.update()
                        .where(webhooks.c.id == e.webhook_id)
                        .values(
                            url=e.url,
                            events=list(e.events),
                            description=e.description,
                            is_active=e.is_active,
                            updated_at=at,
                        )
                    )
                case WebhookSecretRotated() as e:
                    await conn.execute(
                        webhooks.update()
                        .where(webhooks.c.id == e.webhook_id)
                        .values(secret=e.secret, updated_at=at)
                    )
                case WebhookDeleted() as e:
                    await conn.execute(webhooks.delete().where(webhooks.c.id == e.webhook_id))


class WebhookDeliveriesProjection:
    """Queues a delivery per issue change and interested webhook (see the module docstring)."""

    def __init__(self, on_queued: Callable[[], None] | None = None) -> None:
        self.on_queued = on_queued  # told after the commit, to wake a sender in this process

    async def is_idle(self, conn: AsyncConnection) -> bool:
        """No active webhook anywhere: no change of the log could be queued now, so the runner
        need not read it (it then skips ahead with the read models' checkpoint)."""
        return (
            await conn.execute(select(webhooks.c.id).where(webhooks.c.is_active.is_(True)).limit(1))
        ).first() is None

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        hooks = (await conn.execute(select(webhooks).where(webhooks.c.is_active.is_(True)))).all()
        if not hooks:
            return  # the common case costs one small query per batch
        by_project: dict[int, list[Any]] = defaultdict(list)
        for hook in hooks:
            by_project[hook.project_id].append(hook)
        changes = collapse(await self._changes(conn, batch, by_project))
        rows = []
        for change in changes:
            for hook in by_project.get(change.project_id, ()):
                if (
                    change.kind in hook.events
                    and change.position > hook.created_position
                    and hook.organization_id == change.organization_id
                ):
                    rows.append((hook, change))
        if not rows:
            return
        bodies = await self._subjects(conn, {change.issue_id for _, change in rows})
        now = datetime.now(UTC)
        batch_times = {event.position: event.recorded_at for event in batch}
        values = []
        for hook, change in rows:
            subject = bodies.get(change.issue_id)
            if subject is None:
                continue  # an issue of an older grouping config, gone after a replay
            identifier = delivery_id(hook.id, change)
            body = {
                "id": identifier,
                "event": change.kind,
                "webhookId": global_id("Webhook", hook.id),
                "position": change.position,
                "occurredAt": batch_times[change.position].isoformat(),
                **subject,
            }
            values.append(
                {
                    "id": identifier,
                    "webhook_id": hook.id,
                    "organization_id": hook.organization_id,
                    "project_id": change.project_id,
                    "event": change.kind,
                    "issue_id": change.issue_id,
                    "position": change.position,
                    "body": orjson.dumps(body).decode(),
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": 0.0,
                    "created_at": now,
                }
            )
        if values:
            await conn.execute(webhook_deliveries.insert(), values)
            if self.on_queued is not None:
                effects.after_commit.append(self.on_queued)

    async def _changes(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], by_project: dict[int, list[Any]]
    ) -> list[IssueChange]:
        """The issue changes of this batch in log order, for projects that have webhooks."""
        wants_occurrences = {
            p
            for p, hooks in by_project.items()
            if any(kind in h.events for h in hooks for kind in ("CREATED", "UPDATED"))
        }
        occurrences: list[tuple[RecordedEvent, ErrorEventReceived]] = []
        lifecycle: list[tuple[RecordedEvent, IssueEvent, str]] = []
        for event in batch:
            if event.type == "ErrorEventReceived":
                if event.data.get("project_id") in wants_occurrences:
                    received = decode(event.type, event.data)
                    assert isinstance(received, ErrorEventReceived)
                    occurrences.append((event, received))
            elif event.type.startswith("Issue"):
                change = decode(event.type, event.data)
                # The kinds the issue projection publishes, from the domain's one table.
                if isinstance(change, IssueEvent) and (announced := CHANGE_KIND[type(change)]):
                    lifecycle.append((event, change, announced.value))
        found: list[IssueChange] = []
        found += await self._occurrences(conn, occurrences)
        if lifecycle:
            ids = {c.issue_id for _, c, _ in lifecycle}
            owners = {
                row.id: row
                for row in await conn.execute(
                    select(issues.c.id, issues.c.organization_id, issues.c.project_id).where(
                        issues.c.id.in_(ids)
                    )
                )
            }
            for event, change, kind in lifecycle:
                owner = owners.get(change.issue_id)
                if owner is None or owner.project_id not in by_project:
                    continue
                found.append(
                    IssueChange(
                        kind,
                        owner.organization_id,
                        owner.project_id,
                        change.issue_id,
                        event.position,
                    )
                )
                other = getattr(change, "into_issue_id", None) or getattr(change, "to_issue_id", None)
                if other is not None:  # the issue that gained events changed too
                    found.append(
                        IssueChange("UPDATED", owner.organization_id, owner.project_id, other, event.position)
                    )
        found.sort(key=lambda c: c.position)
        return found

    async def _occurrences(
        self, conn: AsyncConnection, occurrences: Sequence[tuple[RecordedEvent, ErrorEventReceived]]
    ) -> list[IssueChange]:
        """CREATED for each stored event that formed its issue, UPDATED for each later one (the
        read models, which this projector trails, already say which issue that is)."""
        if not occurrences:
            return []
        keys = [(r.project_id, r.event_id) for _, r in occurrences]
        stored = {
            (row.project_id, row.event_id): row
            for row in await conn.execute(
                select(events.c.project_id, events.c.event_id, events.c.issue_id, events.c.position).where(
                    tuple_(events.c.project_id, events.c.event_id).in_(keys)
                )
            )
        }
        issue_ids = {row.issue_id for row in stored.values()}
        first_positions = (
            dict(
                (
                    await conn.execute(
                        select(events.c.issue_id, func.min(events.c.position))
                        .where(events.c.issue_id.in_(issue_ids))
                        .group_by(events.c.issue_id)
                    )
                ).all()
            )
            if issue_ids
            else {}
        )
        changes = []
        for event, received in occurrences:
            row = stored.get((received.project_id, received.event_id))
            # Not stored at this position: an SDK's retry of an event already counted.
            if row is None or row.position != event.position:
                continue
            kind = "CREATED" if first_positions.get(row.issue_id) == event.position else "UPDATED"
            changes.append(
                IssueChange(kind, received.organization_id, received.project_id, row.issue_id, event.position)
            )
        return changes

    async def _subjects(self, conn: AsyncConnection, issue_ids: set[str]) -> dict[str, dict[str, Any]]:
        """What a delivery body says about its issue, project and organization, as the read
        models show them when the delivery is queued."""
        query = (
            select(
                issues, projects.c.slug.label("project_slug"), organizations.c.slug.label("organization_slug")
            )
            .join(projects, projects.c.id == issues.c.project_id)
            .join(organizations, organizations.c.id == issues.c.organization_id)
            .where(issues.c.id.in_(issue_ids))
        )
        subjects = {}
        for row in await conn.execute(query):
            subjects[row.id] = {
                "organization": {
                    "id": global_id("Organization", row.organization_id),
                    "slug": row.organization_slug,
                },
                "project": {
                    "id": global_id("Project", row.project_id),
                    "numericId": row.project_id,
                    "slug": row.project_slug,
                },
                "issue": {
                    "id": global_id("Issue", row.id),
                    "shortId": row.short_id,
                    "title": row.title,
                    "culprit": row.culprit,
                    "level": row.level,
                    "status": row.status.upper(),
                    "substatus": row.substatus,
                    "firstSeen": aware(row.first_seen).isoformat(),
                    "lastSeen": aware(row.last_seen).isoformat(),
                    "timesSeen": row.times_seen,
                    "userCount": row.user_count,
                    "assignee": row.assignee,
                    "version": row.version,
                },
            }
        return subjects
