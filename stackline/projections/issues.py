"""Projection of error events and issue streams into issues, their events, tags, users and
activity.

Grouping happens here, on read of the log, so a new grouping config can be rolled out by
replay. An event's hash leads to its issue through `issue_hashes` (merges move hashes); a new
hash creates an issue whose id is derived from (project, hash), so a replay rebuilds the same
ids. What an occurrence means for the issue's lifecycle (regressed, woke from an ignore) is
decided by the pure `Issue` aggregate from the row's state, and handed to the runner as a
reaction to append; the status changes when that event comes back through the log.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.bus import IssueChange
from stackline.domain.events import DomainEvent, ErrorEventReceived, decode
from stackline.domain.grouping import GROUPING_CONFIG, group_event
from stackline.domain.issue import (
    IGNORED,
    MERGED,
    RESOLVED,
    UNRESOLVED,
    Issue,
    IssueAbsorbed,
    IssueAssigned,
    IssueCreated,
    IssueIgnored,
    IssueMerged,
    IssueRegressed,
    IssueResolved,
    IssueRestored,
    IssueUnignored,
    IssueUnmerged,
    IssueUnresolved,
    Occurrence,
    stream_name,
)
from stackline.domain.summary import summarize
from stackline.eventstore import RecordedEvent, StreamState
from stackline.projections.runner import Effects, Reaction
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import (
    events,
    issue_activity,
    issue_hashes,
    issue_tags,
    issue_users,
    issues,
    projects,
    releases,
)
from stackline.readmodels.upsert import insert_if_absent, upsert

ISSUE_NAMESPACE = uuid.UUID("6f1d3a52-54c3-4ad5-9f4e-4c7c2a3b9e10")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TAG_LIMIT = 200


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


def user_key(payload: dict[str, Any]) -> str | None:
    """Who saw the event, as Sentry counts users: id, else email, else username, else IP."""
    user = payload.get("user")
    if not isinstance(user, dict):
        return None
    for field in ("id", "email", "username", "ip_address"):
        value = user.get(field)
        if value not in (None, ""):
            return f"{field}:{value}"[:254]
    return None


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def issue_state(row: Row) -> Issue:
    """The aggregate's state as far as occurrences care, rebuilt from the issue's row."""
    return Issue(
        id=row.id, project_id=row.project_id, organization_id=row.organization_id, primary_hash=row.primary_hash,
        status=row.status, substatus=row.substatus, assignee=row.assignee, merged_into=row.merged_into,
        resolved_in_next_release=row.resolved_in_next_release,
        resolved_release_position=row.resolved_release_position,
        ignore_until_count=row.ignore_until_count, ignore_until_timestamp=row.ignore_until_timestamp,
        ignore_until_users=row.ignore_until_users, events_since_ignore=row.events_since_ignore,
        users_since_ignore=set(row.users_since_ignore or ()), version=row.version,
    )


class IssuesProjection:
    async def apply(self, conn: AsyncConnection, event: RecordedEvent, effects: Effects) -> None:
        domain_event = decode(event.type, event.data)
        if isinstance(domain_event, ErrorEventReceived):
            await self._occurrence(conn, event, domain_event, effects)
        elif domain_event is not None and type(domain_event).__module__ == "stackline.domain.issue":
            await self._lifecycle(conn, event, domain_event, effects)

    # -- occurrences ---------------------------------------------------------------------------

    async def _occurrence(
        self, conn: AsyncConnection, event: RecordedEvent, received: ErrorEventReceived, effects: Effects
    ) -> None:
        project_id, payload = received.project_id, received.payload
        duplicate = await conn.execute(
            select(events.c.event_id).where(events.c.project_id == project_id, events.c.event_id == received.event_id)
        )
        if duplicate.first() is not None:  # an SDK retried an event it had already sent
            return

        summary = summarize(payload, received.received_at)
        grouping = group_event(payload)
        seen = datetime.fromtimestamp(summary.timestamp, UTC)
        release = _text(payload.get("release"), 250)
        environment = _text(payload.get("environment"), 64)
        user = user_key(payload)
        release_position = await self._release_position(conn, project_id, release, event.position, seen)

        issue_id = (
            await conn.execute(
                select(issue_hashes.c.issue_id).where(
                    issue_hashes.c.project_id == project_id, issue_hashes.c.hash == grouping.hash
                )
            )
        ).scalar()
        if issue_id is None:
            issue_id = issue_id_for(project_id, grouping.hash)
            number = await self._next_issue_number(conn, project_id)
            slug = (await conn.execute(select(projects.c.slug).where(projects.c.id == project_id))).scalar_one()
            await conn.execute(
                issues.insert().values(
                    id=issue_id, organization_id=received.organization_id, project_id=project_id,
                    short_id=short_id(slug, number), primary_hash=grouping.hash, grouping_variant=grouping.variant,
                    title=summary.title, culprit=summary.culprit, level=summary.level, status=UNRESOLVED,
                    substatus="new", first_seen=seen, last_seen=seen, times_seen=1, user_count=0,
                    first_release=release, last_release=release, last_position=event.position, version=-1,
                    resolved_in_next_release=False, events_since_ignore=0, users_since_ignore=[],
                )
            )
            await conn.execute(issue_hashes.insert().values(project_id=project_id, hash=grouping.hash, issue_id=issue_id))
            created = IssueCreated(issue_id, received.organization_id, project_id, grouping.hash, received.event_id)
            effects.reactions.append(Reaction(stream_name(issue_id), created, event, StreamState.NO_STREAM))
            effects.changes.append(IssueChange("CREATED", received.organization_id, project_id, issue_id, event.position))
        else:
            row = (await conn.execute(select(issues).where(issues.c.id == issue_id))).one()
            last_seen = aware(row.last_seen)
            values: dict[str, Any] = {
                "times_seen": issues.c.times_seen + 1,
                "last_position": event.position,
                "first_seen": min(seen, aware(row.first_seen)),
                "last_seen": max(seen, last_seen),
            }
            if seen >= last_seen:  # the issue shows what its latest event says
                values.update(title=summary.title, culprit=summary.culprit, level=summary.level)
                if release:
                    values["last_release"] = release
            state = issue_state(row)
            for reaction in state.react_to_occurrence(
                Occurrence(received.event_id, release, release_position, user, summary.timestamp)
            ):
                effects.reactions.append(Reaction(stream_name(issue_id), reaction, event, StreamState.ANY))
            if row.status == IGNORED:
                values.update(events_since_ignore=state.events_since_ignore,
                              users_since_ignore=sorted(state.users_since_ignore))
            await conn.execute(issues.update().where(issues.c.id == issue_id).values(**values))
            effects.changes.append(IssueChange("UPDATED", received.organization_id, project_id, issue_id, event.position))

        if user is not None and await insert_if_absent(conn, issue_users, {"issue_id": issue_id, "user_key": user}):
            await conn.execute(issues.update().where(issues.c.id == issue_id).values(user_count=issues.c.user_count + 1))
        for key, value in summary.tags[:TAG_LIMIT]:
            await upsert(
                conn, issue_tags,
                {"issue_id": issue_id, "key": key[:200], "value": value[:200], "times_seen": 1,
                 "first_seen": seen, "last_seen": seen},
                keys=("issue_id", "key", "value"),
                update={"times_seen": issue_tags.c.times_seen + 1,
                        "last_seen": func.max(issue_tags.c.last_seen, seen) if conn.dialect.name == "sqlite"
                        else func.greatest(issue_tags.c.last_seen, seen)},
            )
        await conn.execute(
            events.insert().values(
                project_id=project_id, event_id=received.event_id, organization_id=received.organization_id,
                issue_id=issue_id, position=event.position, timestamp=seen,
                received_at=datetime.fromtimestamp(received.received_at, UTC), level=summary.level,
                title=summary.title, message=summary.message, platform=summary.platform,
                tags=[list(pair) for pair in summary.tags],
                grouping={"config": GROUPING_CONFIG, "variant": grouping.variant, "hash": grouping.hash,
                          "components": list(grouping.components)},
                payload=payload, hash=grouping.hash, release=release, environment=environment, user_key=user,
            )
        )

    async def _release_position(
        self, conn: AsyncConnection, project_id: int, release: str | None, position: int, seen: datetime
    ) -> int | None:
        """When the release was first seen in the project (its place in the log), which is
        how "newer release" is decided for resolved-in-next-release issues."""
        if release is None:
            return None
        await insert_if_absent(conn, releases, {"project_id": project_id, "version": release,
                                                "first_position": position, "first_seen": seen})
        return (
            await conn.execute(
                select(releases.c.first_position).where(releases.c.project_id == project_id,
                                                        releases.c.version == release)
            )
        ).scalar_one()

    async def _next_issue_number(self, conn: AsyncConnection, project_id: int) -> int:
        await conn.execute(
            projects.update().where(projects.c.id == project_id).values(issue_counter=projects.c.issue_counter + 1)
        )
        return (await conn.execute(select(projects.c.issue_counter).where(projects.c.id == project_id))).scalar_one()

    # -- the issue streams -----------------------------------------------------------------

    async def _lifecycle(
        self, conn: AsyncConnection, event: RecordedEvent, change: DomainEvent, effects: Effects
    ) -> None:
        issue_id: str = change.issue_id  # type: ignore[attr-defined]
        row = (await conn.execute(select(issues).where(issues.c.id == issue_id))).first()
        if row is None:  # e.g. an issue from an older grouping config, after a replay
            return
        values: dict[str, Any] = {"version": event.version}
        kind = "UPDATED"
        cleared_ignore = {"ignore_until_count": None, "ignore_until_timestamp": None, "ignore_until_users": None,
                          "events_since_ignore": 0, "users_since_ignore": []}
        match change:
            case IssueCreated():
                kind = ""
            case IssueResolved():
                values.update(status=RESOLVED, substatus="resolved", resolved_in_next_release=change.in_next_release,
                              resolved_release_position=change.release_position, **cleared_ignore)
                kind = "RESOLVED"
            case IssueUnresolved():
                values.update(status=UNRESOLVED, substatus="ongoing", resolved_in_next_release=False,
                              resolved_release_position=None)
            case IssueIgnored():
                forever = not any((change.until_event_count, change.until_timestamp, change.until_user_count))
                values.update(status=IGNORED, substatus="archived_forever" if forever else "archived_until_condition_met",
                              **cleared_ignore)
                values.update(ignore_until_count=change.until_event_count, ignore_until_timestamp=change.until_timestamp,
                              ignore_until_users=change.until_user_count)
                kind = "IGNORED"
            case IssueUnignored():
                values.update(status=UNRESOLVED, substatus="ongoing" if change.reason == "manual" else "escalating",
                              **cleared_ignore)
            case IssueRegressed():
                values.update(status=UNRESOLVED, substatus="regressed", resolved_in_next_release=False,
                              resolved_release_position=None)
                kind = "REGRESSED"
            case IssueAssigned():
                values["assignee"] = change.assignee
                kind = "ASSIGNED"
            case IssueMerged():
                await self._move(conn, issue_id, change.into_issue_id, None)
                values.update(status=MERGED, substatus="merged", merged_into=change.into_issue_id)
                kind = "MERGED"
                effects.changes.append(IssueChange("UPDATED", row.organization_id, row.project_id,
                                                   change.into_issue_id, event.position))
            case IssueAbsorbed():
                pass
            case IssueUnmerged():
                await self._move(conn, issue_id, change.to_issue_id, change.hash)
                kind = "UNMERGED"
                effects.changes.append(IssueChange("UPDATED", row.organization_id, row.project_id,
                                                   change.to_issue_id, event.position))
            case IssueRestored():
                values.update(status=UNRESOLVED, substatus="ongoing", merged_into=None)
        await conn.execute(issues.update().where(issues.c.id == issue_id).values(**values))
        await conn.execute(
            issue_activity.insert().values(
                issue_id=issue_id, position=event.position, organization_id=row.organization_id,
                kind=event.type, actor=change.actor if hasattr(change, "actor") else None,  # type: ignore[attr-defined]
                data={k: v for k, v in change.to_data().items() if k not in ("issue_id", "actor")},
                at=event.recorded_at,
            )
        )
        if kind:
            effects.changes.append(IssueChange(kind, row.organization_id, row.project_id, issue_id, event.position))

    async def _move(self, conn: AsyncConnection, source: str, target: str, only_hash: str | None) -> None:
        """Move hashes (all, or one) and their events from one issue to another; recount both."""
        hashes = update(issue_hashes).where(issue_hashes.c.issue_id == source)
        moved_events = update(events).where(events.c.issue_id == source)
        if only_hash is not None:
            hashes = hashes.where(issue_hashes.c.hash == only_hash)
            moved_events = moved_events.where(events.c.hash == only_hash)
        await conn.execute(hashes.values(issue_id=target))
        await conn.execute(moved_events.values(issue_id=target))
        for issue_id in (source, target):
            await recount(conn, issue_id)


async def recount(conn: AsyncConnection, issue_id: str) -> None:
    """Recompute an issue's counters, users and tags from its events (after a merge/unmerge)."""
    totals = (
        await conn.execute(
            select(func.count(), func.min(events.c.timestamp), func.max(events.c.timestamp),
                   func.count(events.c.user_key.distinct())).where(events.c.issue_id == issue_id)
        )
    ).one()
    count, first_seen, last_seen, users = totals
    values: dict[str, Any] = {"times_seen": count, "user_count": users}
    if count:
        values.update(first_seen=first_seen, last_seen=last_seen)
        latest = (
            await conn.execute(
                select(events.c.release).where(events.c.issue_id == issue_id, events.c.release.is_not(None))
                .order_by(events.c.timestamp.desc()).limit(1)
            )
        ).scalar()
        values["last_release"] = latest
    await conn.execute(issues.update().where(issues.c.id == issue_id).values(**values))

    await conn.execute(delete(issue_users).where(issue_users.c.issue_id == issue_id))
    user_rows = await conn.execute(
        select(events.c.user_key).where(events.c.issue_id == issue_id, events.c.user_key.is_not(None)).distinct()
    )
    keys = [r[0] for r in user_rows]
    if keys:
        await conn.execute(issue_users.insert(), [{"issue_id": issue_id, "user_key": k} for k in keys])

    await conn.execute(delete(issue_tags).where(issue_tags.c.issue_id == issue_id))
    counts: Counter[tuple[str, str]] = Counter()
    spans: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for tags, timestamp in await conn.execute(select(events.c.tags, events.c.timestamp).where(events.c.issue_id == issue_id)):
        at = aware(timestamp)
        for key, value in tags[:TAG_LIMIT]:
            pair = (key[:200], value[:200])
            counts[pair] += 1
            first, last = spans.get(pair, (at, at))
            spans[pair] = (min(first, at), max(last, at))
    if counts:
        await conn.execute(issue_tags.insert(), [
            {"issue_id": issue_id, "key": k, "value": v, "times_seen": n, "first_seen": spans[(k, v)][0],
             "last_seen": spans[(k, v)][1]}
            for (k, v), n in counts.items()
        ])
