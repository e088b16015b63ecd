"""Projection of ingested error events into issues and the events list (grouping v1).

Grouping happens here, on read of the log, so a better grouping config can be rolled out by
replay. Issue ids are derived from (project, first hash), so a replay rebuilds the same ids.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.bus import IssueChange
from stackline.domain.events import ErrorEventReceived, decode
from stackline.domain.grouping import GROUPING_CONFIG, group_event
from stackline.domain.summary import summarize
from stackline.eventstore import RecordedEvent
from stackline.readmodels.schema import events, issue_hashes, issues, projects

ISSUE_NAMESPACE = uuid.UUID("6f1d3a52-54c3-4ad5-9f4e-4c7c2a3b9e10")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def short_id(project_slug: str, number: int) -> str:
    """Sentry-style short id: `WEB-1`, ..., `WEB-Z`, `WEB-10` (Crockford base32)."""
    digits = ""
    while True:
        number, rest = divmod(number, 32)
        digits = CROCKFORD[rest] + digits
        if number == 0:
            return f"{project_slug.upper()}-{digits}"


def issue_id_for(project_id: int, primary_hash: str) -> str:
    return str(uuid.uuid5(ISSUE_NAMESPACE, f"{project_id}:{primary_hash}"))


class IssuesProjection:
    async def apply(self, conn: AsyncConnection, event: RecordedEvent) -> list[IssueChange]:
        received = decode(event.type, event.data)
        if not isinstance(received, ErrorEventReceived):
            return []
        duplicate = await conn.execute(
            select(events.c.event_id).where(
                events.c.project_id == received.project_id, events.c.event_id == received.event_id
            )
        )
        if duplicate.first() is not None:  # an SDK retried an event it had already sent
            return []

        summary = summarize(received.payload, received.received_at)
        grouping = group_event(received.payload)
        seen = datetime.fromtimestamp(summary.timestamp, UTC)
        row = (
            await conn.execute(
                select(issue_hashes.c.issue_id).where(
                    issue_hashes.c.project_id == received.project_id, issue_hashes.c.hash == grouping.hash
                )
            )
        ).first()
        if row is None:
            issue_id = issue_id_for(received.project_id, grouping.hash)
            number = await self._next_issue_number(conn, received.project_id)
            slug = (await conn.execute(select(projects.c.slug).where(projects.c.id == received.project_id))).scalar_one()
            await conn.execute(
                issues.insert().values(
                    id=issue_id,
                    organization_id=received.organization_id,
                    project_id=received.project_id,
                    short_id=short_id(slug, number),
                    primary_hash=grouping.hash,
                    grouping_variant=grouping.variant,
                    title=summary.title,
                    culprit=summary.culprit,
                    level=summary.level,
                    status="unresolved",
                    first_seen=seen,
                    last_seen=seen,
                    times_seen=1,
                    last_position=event.position,
                )
            )
            await conn.execute(
                issue_hashes.insert().values(project_id=received.project_id, hash=grouping.hash, issue_id=issue_id)
            )
            kind = "CREATED"
        else:
            issue_id = row[0]
            current = (
                await conn.execute(select(issues.c.first_seen, issues.c.last_seen).where(issues.c.id == issue_id))
            ).one()
            newest = seen >= _aware(current.last_seen)
            values = {
                "times_seen": issues.c.times_seen + 1,
                "last_position": event.position,
                "first_seen": min(seen, _aware(current.first_seen)),
                "last_seen": max(seen, _aware(current.last_seen)),
            }
            if newest:  # the issue shows what its latest event says
                values.update(title=summary.title, culprit=summary.culprit, level=summary.level)
            await conn.execute(issues.update().where(issues.c.id == issue_id).values(**values))
            kind = "UPDATED"

        await conn.execute(
            events.insert().values(
                project_id=received.project_id,
                event_id=received.event_id,
                organization_id=received.organization_id,
                issue_id=issue_id,
                position=event.position,
                timestamp=seen,
                received_at=datetime.fromtimestamp(received.received_at, UTC),
                level=summary.level,
                title=summary.title,
                message=summary.message,
                platform=summary.platform,
                tags=[list(pair) for pair in summary.tags],
                grouping={"config": GROUPING_CONFIG, "variant": grouping.variant, "hash": grouping.hash,
                          "components": list(grouping.components)},
                payload=received.payload,
            )
        )
        return [IssueChange(kind, received.organization_id, received.project_id, issue_id, event.position)]

    async def _next_issue_number(self, conn: AsyncConnection, project_id: int) -> int:
        await conn.execute(
            projects.update().where(projects.c.id == project_id).values(issue_counter=projects.c.issue_counter + 1)
        )
        return (await conn.execute(select(projects.c.issue_counter).where(projects.c.id == project_id))).scalar_one()


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
