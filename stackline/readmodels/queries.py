"""Read queries over the SQL read models. Every one takes the caller's organization id and
filters by it: a row of another organization is indistinguishable from a missing one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.schema import (
    attachments,
    check_ins,
    events,
    feedback,
    session_counts,
    transactions,
    usage,
    webhook_deliveries,
    webhooks,
    issue_activity,
    issue_hashes,
    issue_tags,
    issues,
    members,
    organizations,
    project_keys,
    projects,
    releases,
)

ISSUE_SORTS = {
    "LAST_SEEN": issues.c.last_seen,
    "FIRST_SEEN": issues.c.first_seen,
    "FREQ": issues.c.times_seen,
}


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def organization_by_slug(conn: AsyncConnection, org_id: str, slug: str) -> Row | None:
    query = select(organizations).where(organizations.c.slug == slug, organizations.c.id == org_id)
    return (await conn.execute(query)).first()


async def organization(conn: AsyncConnection, org_id: str, wanted_id: str) -> Row | None:
    if wanted_id != org_id:
        return None
    return (await conn.execute(select(organizations).where(organizations.c.id == org_id))).first()


async def projects_by_ids(conn: AsyncConnection, org_id: str, ids: Sequence[int]) -> dict[int, Row]:
    query = select(projects).where(projects.c.id.in_(ids), projects.c.organization_id == org_id)
    return {row.id: row for row in await conn.execute(query)}


async def project_by_slug(conn: AsyncConnection, org_id: str, org_slug: str, slug: str) -> Row | None:
    query = (
        select(projects)
        .join(organizations, organizations.c.id == projects.c.organization_id)
        .where(organizations.c.slug == org_slug, projects.c.slug == slug, projects.c.organization_id == org_id)
    )
    return (await conn.execute(query)).first()


async def projects_of(conn: AsyncConnection, org_id: str) -> list[Row]:
    query = select(projects).where(projects.c.organization_id == org_id).order_by(projects.c.slug)
    return list(await conn.execute(query))


async def public_key_of(conn: AsyncConnection, org_id: str, project_id: int) -> str | None:
    query = (
        select(project_keys.c.public_key)
        .where(project_keys.c.project_id == project_id, project_keys.c.organization_id == org_id,
               project_keys.c.is_active.is_(True))
        .order_by(project_keys.c.created_at)
        .limit(1)
    )
    return (await conn.execute(query)).scalar()


async def issue(conn: AsyncConnection, org_id: str, issue_id: str) -> Row | None:
    query = select(issues).where(issues.c.id == issue_id, issues.c.organization_id == org_id)
    return (await conn.execute(query)).first()


async def issues_page(
    conn: AsyncConnection, org_id: str, project_id: int, *, sort: str, first: int, after: tuple[Any, str] | None
) -> list[Row]:
    """Keyset page of a project's issues, newest (or most frequent) first; `after` is
    (sort value, issue id) of the last row the client saw."""
    key = ISSUE_SORTS[sort]
    query = select(issues).where(
        issues.c.project_id == project_id, issues.c.organization_id == org_id, issues.c.status != "merged"
    )
    if after is not None:
        value, issue_id = after
        query = query.where(or_(key < value, and_(key == value, issues.c.id < issue_id)))
    query = query.order_by(key.desc(), issues.c.id.desc()).limit(first)
    return list(await conn.execute(query))


async def issue_count(conn: AsyncConnection, org_id: str, project_id: int) -> int:
    query = select(func.count()).where(
        issues.c.project_id == project_id, issues.c.organization_id == org_id, issues.c.status != "merged"
    )
    return (await conn.execute(query)).scalar_one()


async def events_page(
    conn: AsyncConnection, org_id: str, issue_id: str, *, first: int, after: int | None
) -> list[Row]:
    """Keyset page of an issue's events, newest first; `after` is the last position seen."""
    query = select(events).where(events.c.issue_id == issue_id, events.c.organization_id == org_id)
    if after is not None:
        query = query.where(events.c.position < after)
    return list(await conn.execute(query.order_by(events.c.position.desc()).limit(first)))


async def event_count(conn: AsyncConnection, org_id: str, issue_id: str) -> int:
    query = select(func.count()).where(events.c.issue_id == issue_id, events.c.organization_id == org_id)
    return (await conn.execute(query)).scalar_one()


async def event(conn: AsyncConnection, org_id: str, project_id: int, event_id: str) -> Row | None:
    query = select(events).where(
        events.c.project_id == project_id, events.c.event_id == event_id, events.c.organization_id == org_id
    )
    return (await conn.execute(query)).first()


async def tags_of(conn: AsyncConnection, org_id: str, issue_id: str) -> list[Row]:
    """Tag values of an issue, most frequent first within each key."""
    query = (
        select(issue_tags)
        .join(issues, issues.c.id == issue_tags.c.issue_id)
        .where(issue_tags.c.issue_id == issue_id, issues.c.organization_id == org_id)
        .order_by(issue_tags.c.key, issue_tags.c.times_seen.desc(), issue_tags.c.value)
    )
    return list(await conn.execute(query))


async def activity_of(conn: AsyncConnection, org_id: str, issue_id: str) -> list[Row]:
    query = (
        select(issue_activity)
        .where(issue_activity.c.issue_id == issue_id, issue_activity.c.organization_id == org_id)
        .order_by(issue_activity.c.position)
    )
    return list(await conn.execute(query))


async def latest_event_grouping(conn: AsyncConnection, org_id: str, issue_id: str) -> dict | None:
    query = (
        select(events.c.grouping)
        .where(events.c.issue_id == issue_id, events.c.organization_id == org_id)
        .order_by(events.c.position.desc())
        .limit(1)
    )
    return (await conn.execute(query)).scalar()


async def issue_hashes_of(conn: AsyncConnection, org_id: str, issue_id: str) -> list[str]:
    query = (
        select(issue_hashes.c.hash)
        .join(issues, issues.c.id == issue_hashes.c.issue_id)
        .where(issue_hashes.c.issue_id == issue_id, issues.c.organization_id == org_id)
        .order_by(issue_hashes.c.hash)
    )
    return list((await conn.execute(query)).scalars())


async def is_member(conn: AsyncConnection, org_id: str, email: str) -> bool:
    query = select(members.c.email).where(members.c.organization_id == org_id, members.c.email == email)
    return (await conn.execute(query)).first() is not None


async def newest_release_position(conn: AsyncConnection, org_id: str, project_id: int) -> int | None:
    query = (
        select(func.max(releases.c.first_position))
        .join(projects, projects.c.id == releases.c.project_id)
        .where(releases.c.project_id == project_id, projects.c.organization_id == org_id)
    )
    return (await conn.execute(query)).scalar()


async def project_keys_of(conn: AsyncConnection, org_id: str, project_id: int) -> list[Row]:
    query = (
        select(project_keys)
        .where(project_keys.c.project_id == project_id, project_keys.c.organization_id == org_id)
        .order_by(project_keys.c.created_at)
    )
    return list(await conn.execute(query))


async def usage_of(conn: AsyncConnection, org_id: str, project_id: int, since_day: str) -> list[Row]:
    query = (
        select(usage)
        .where(usage.c.project_id == project_id, usage.c.organization_id == org_id, usage.c.day >= since_day)
        .order_by(usage.c.day, usage.c.category, usage.c.outcome, usage.c.reason)
    )
    return list(await conn.execute(query))


async def transactions_page(conn: AsyncConnection, org_id: str, project_id: int, *, first: int,
                            after: int | None) -> list[Row]:
    query = select(transactions).where(transactions.c.project_id == project_id,
                                       transactions.c.organization_id == org_id)
    if after is not None:
        query = query.where(transactions.c.position < after)
    return list(await conn.execute(query.order_by(transactions.c.position.desc()).limit(first)))


async def count_of(conn: AsyncConnection, table, org_id: str, project_id: int) -> int:  # noqa: ANN001 - a Table
    query = select(func.count()).where(table.c.project_id == project_id, table.c.organization_id == org_id)
    return (await conn.execute(query)).scalar_one()


async def sessions_of(conn: AsyncConnection, org_id: str, project_id: int, since_day: str) -> list[Row]:
    query = (
        select(session_counts)
        .where(session_counts.c.project_id == project_id, session_counts.c.organization_id == org_id,
               session_counts.c.day >= since_day)
        .order_by(session_counts.c.day, session_counts.c.release, session_counts.c.status)
    )
    return list(await conn.execute(query))


async def check_ins_of(conn: AsyncConnection, org_id: str, project_id: int, limit: int) -> list[Row]:
    query = (
        select(check_ins)
        .where(check_ins.c.project_id == project_id, check_ins.c.organization_id == org_id)
        .order_by(check_ins.c.position.desc())
        .limit(limit)
    )
    return list(await conn.execute(query))


async def feedback_of(conn: AsyncConnection, org_id: str, project_id: int, limit: int) -> list[Row]:
    query = (
        select(feedback)
        .where(feedback.c.project_id == project_id, feedback.c.organization_id == org_id)
        .order_by(feedback.c.position.desc())
        .limit(limit)
    )
    return list(await conn.execute(query))


async def attachments_of(conn: AsyncConnection, org_id: str, project_id: int, event_id: str) -> list[Row]:
    query = (
        select(attachments)
        .where(attachments.c.project_id == project_id, attachments.c.organization_id == org_id,
               attachments.c.event_id == event_id)
        .order_by(attachments.c.attachment_id)
    )
    return list(await conn.execute(query))


async def webhooks_of(conn: AsyncConnection, org_id: str, project_id: int) -> Sequence[Row]:
    query = select(webhooks).where(webhooks.c.organization_id == org_id, webhooks.c.project_id == project_id)
    return (await conn.execute(query.order_by(webhooks.c.created_position))).all()


async def webhook(conn: AsyncConnection, org_id: str, webhook_id: str) -> Row | None:
    query = select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.organization_id == org_id)
    return (await conn.execute(query)).first()


async def deliveries_page(conn: AsyncConnection, org_id: str, webhook_id: str, first: int,
                          after: tuple[int, str] | None) -> Sequence[Row]:
    """A webhook's deliveries, newest change first."""
    query = select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id,
                                             webhook_deliveries.c.organization_id == org_id)
    if after is not None:
        query = query.where(or_(webhook_deliveries.c.position < after[0],
                                and_(webhook_deliveries.c.position == after[0], webhook_deliveries.c.id < after[1])))
    query = query.order_by(webhook_deliveries.c.position.desc(), webhook_deliveries.c.id.desc()).limit(first)
    return (await conn.execute(query)).all()


async def delivery_count(conn: AsyncConnection, org_id: str, webhook_id: str) -> int:
    query = select(func.count()).select_from(webhook_deliveries).where(
        webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.organization_id == org_id)
    return (await conn.execute(query)).scalar_one()
