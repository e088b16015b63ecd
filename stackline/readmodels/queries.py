"""Read queries over the SQL read models. Every one takes the caller's organization id (or, for
lookups that come before the organization is known, the collection of organizations the caller
may see) and filters by it: a row of another organization is indistinguishable from a missing one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.domain.search import Level, LogAttribute, LogTerm, LogTraceId, Term, Text
from stackline.readmodels.issue_search import search_condition
from stackline.readmodels.schema import (
    api_tokens,
    attachments,
    check_ins,
    events,
    feedback,
    issue_activity,
    issue_hashes,
    issue_tags,
    issues,
    logs,
    members,
    monitors,
    organizations,
    project_keys,
    projects,
    releases,
    session_counts,
    symbolicated_events,
    transactions,
    usage,
    users,
    webhook_deliveries,
    webhooks,
)

ISSUE_SORTS = {
    "LAST_SEEN": issues.c.last_seen,
    "FIRST_SEEN": issues.c.first_seen,
    "FREQ": issues.c.times_seen,
    "USERS": issues.c.user_count,
}


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def organization_by_slug(conn: AsyncConnection, org_ids: Collection[str], slug: str) -> Row | None:
    query = select(organizations).where(organizations.c.slug == slug, organizations.c.id.in_(org_ids))
    return (await conn.execute(query)).first()


async def organization(conn: AsyncConnection, org_ids: Collection[str], wanted_id: str) -> Row | None:
    if wanted_id not in org_ids:
        return None
    return (await conn.execute(select(organizations).where(organizations.c.id == wanted_id))).first()


async def organizations_by_ids(conn: AsyncConnection, org_ids: Collection[str]) -> list[Row]:
    query = select(organizations).where(organizations.c.id.in_(org_ids)).order_by(organizations.c.slug)
    return list(await conn.execute(query))


async def projects_by_ids(
    conn: AsyncConnection, org_ids: Collection[str], ids: Sequence[int]
) -> dict[int, Row]:
    query = select(projects).where(projects.c.id.in_(ids), projects.c.organization_id.in_(org_ids))
    return {row.id: row for row in await conn.execute(query)}


async def project_by_slug(
    conn: AsyncConnection, org_ids: Collection[str], org_slug: str, slug: str
) -> Row | None:
    query = (
        select(projects)
        .join(organizations, organizations.c.id == projects.c.organization_id)
        .where(
            organizations.c.slug == org_slug, projects.c.slug == slug, projects.c.organization_id.in_(org_ids)
        )
    )
    return (await conn.execute(query)).first()


async def projects_of(conn: AsyncConnection, org_id: str) -> list[Row]:
    query = select(projects).where(projects.c.organization_id == org_id).order_by(projects.c.slug)
    return list(await conn.execute(query))


async def issue(conn: AsyncConnection, org_ids: Collection[str], issue_id: str) -> Row | None:
    query = select(issues).where(issues.c.id == issue_id, issues.c.organization_id.in_(org_ids))
    return (await conn.execute(query)).first()


async def issue_by_short_id(conn: AsyncConnection, org_id: str, project_id: int, short: str) -> Row | None:
    """A project's issue by its short id (`WEB-2`, any case); a merged issue is found too, as
    its short id still names it."""
    query = select(issues).where(
        issues.c.organization_id == org_id,
        issues.c.project_id == project_id,
        issues.c.short_id == short.strip().upper(),
    )
    return (await conn.execute(query)).first()


async def issues_page(
    conn: AsyncConnection,
    org_id: str,
    project_id: int,
    *,
    sort: str,
    first: int,
    after: tuple[Any, str] | None,
    search: Sequence[Term] = (),
) -> list[Row]:
    """Keyset page of a project's issues that match every search term, highest sort value
    first, ties broken by id; `after` is (sort value, issue id) of the last row the client saw."""
    key = ISSUE_SORTS[sort]
    query = select(issues).where(listed_issues(org_id, project_id), search_condition(search))
    if after is not None:
        value, issue_id = after
        query = query.where(
            tuple_(key, issues.c.id)
            < tuple_(bindparam(None, value, key.type), bindparam(None, issue_id, issues.c.id.type))
        )
    query = query.order_by(key.desc(), issues.c.id.desc()).limit(first)
    return list(await conn.execute(query))


async def issue_count(
    conn: AsyncConnection, org_id: str, project_id: int, search: Sequence[Term] = ()
) -> int:
    query = (
        select(func.count())
        .select_from(issues)
        .where(listed_issues(org_id, project_id), search_condition(search, counting=True))
    )
    return (await conn.execute(query)).scalar_one()


def listed_issues(org_id: str, project_id: int) -> ColumnElement[bool]:
    """A project's issues in the list: the caller's organization only, merged ones folded away."""
    return (
        (issues.c.project_id == project_id)
        & (issues.c.organization_id == org_id)
        & (issues.c.status != "merged")
    )


# Events as the API shows them: with their grouping, which is kept once per hash.
EVENTS_WITH_GROUPING = events.outerjoin(
    issue_hashes, (issue_hashes.c.project_id == events.c.project_id) & (issue_hashes.c.hash == events.c.hash)
)


def _events_with_grouping(*extra: Any) -> Select:
    return select(*events.c, issue_hashes.c.grouping, *extra).select_from(EVENTS_WITH_GROUPING)


async def event(
    conn: AsyncConnection, org_ids: str | Collection[str], project_id: int, event_id: str
) -> Row | None:
    org_ids = [org_ids] if isinstance(org_ids, str) else org_ids
    query = _events_with_grouping().where(
        events.c.project_id == project_id,
        events.c.event_id == event_id,
        events.c.organization_id.in_(org_ids),
    )
    return (await conn.execute(query)).first()


async def events_by_ids(
    conn: AsyncConnection, org_id: str, project_id: int, event_ids: Sequence[str]
) -> dict[str, Row]:
    """A project's events by event id (what an analytics page names), in the viewer's organization."""
    if not event_ids:
        return {}
    query = _events_with_grouping().where(
        events.c.project_id == project_id,
        events.c.event_id.in_(list(event_ids)),
        events.c.organization_id == org_id,
    )
    return {row.event_id: row for row in await conn.execute(query)}


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


async def usage_of(conn: AsyncConnection, org_id: str, project_id: int, since_day: str) -> list[Row]:
    query = (
        select(usage)
        .where(usage.c.project_id == project_id, usage.c.organization_id == org_id, usage.c.day >= since_day)
        .order_by(usage.c.day, usage.c.category, usage.c.outcome, usage.c.reason)
    )
    return list(await conn.execute(query))


async def accepted_in_month(
    conn: AsyncConnection, project_id: int, categories: Collection[str], month: str
) -> int:
    """Items of `categories` accepted for the project in `month` (YYYY-MM): what its monthly
    quota counts (`stackline/app/limits.py`)."""
    query = select(func.coalesce(func.sum(usage.c.quantity), 0)).where(
        usage.c.project_id == project_id,
        usage.c.outcome == "accepted",
        usage.c.category.in_(categories),
        usage.c.day.like(f"{month}-%"),
    )
    return (await conn.execute(query)).scalar_one()


async def transactions_page(
    conn: AsyncConnection, org_id: str, project_id: int, *, first: int, after: int | None
) -> list[Row]:
    query = select(transactions).where(
        transactions.c.project_id == project_id, transactions.c.organization_id == org_id
    )
    if after is not None:
        query = query.where(transactions.c.position < after)
    return list(await conn.execute(query.order_by(transactions.c.position.desc()).limit(first)))


async def count_of(conn: AsyncConnection, table, org_id: str, project_id: int) -> int:  # noqa: ANN001 - a Table
    query = select(func.count()).where(table.c.project_id == project_id, table.c.organization_id == org_id)
    return (await conn.execute(query)).scalar_one()


async def sessions_of(conn: AsyncConnection, org_id: str, project_id: int, since_day: str) -> list[Row]:
    query = (
        select(session_counts)
        .where(
            session_counts.c.project_id == project_id,
            session_counts.c.organization_id == org_id,
            session_counts.c.day >= since_day,
        )
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


async def logs_page(
    conn: AsyncConnection,
    org_id: str,
    project_id: int,
    terms: Sequence[LogTerm],
    first: int,
    after: tuple[float, str] | None,
) -> Sequence[Row]:
    """A project's SDK log records matching every term, newest first (by the SDK's timestamp)."""
    query = select(logs).where(logs.c.project_id == project_id, logs.c.organization_id == org_id)
    for term in terms:
        condition: ColumnElement[bool]
        match term:
            case Text(text=text):
                escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                condition = func.lower(logs.c.body).like(f"%{escaped}%", escape="\\")
            case Level(level=level):
                condition = logs.c.level == level
            case LogTraceId(trace_id=trace_id):
                condition = logs.c.trace_id == trace_id
            case LogAttribute(key=key, value=value):
                condition = logs.c.attributes[key]["value"].as_string() == value
        query = query.where(~condition if term.negated else condition)
    if after is not None:
        query = query.where(
            or_(logs.c.timestamp < after[0], and_(logs.c.timestamp == after[0], logs.c.log_id < after[1]))
        )
    query = query.order_by(logs.c.timestamp.desc(), logs.c.log_id.desc()).limit(first)
    return (await conn.execute(query)).all()


async def monitors_of(conn: AsyncConnection, org_id: str, project_id: int) -> list[Row]:
    query = (
        select(monitors)
        .where(monitors.c.project_id == project_id, monitors.c.organization_id == org_id)
        .order_by(monitors.c.monitor_slug)
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


# Batched lookups for the GraphQL DataLoaders: one statement for many parents.


async def tags_of_issues(
    conn: AsyncConnection, org_ids: Collection[str], issue_ids: Sequence[str]
) -> list[Row]:
    """Tag values of several issues, most frequent first within each issue and key."""
    query = (
        select(issue_tags)
        .join(issues, issues.c.id == issue_tags.c.issue_id)
        .where(issue_tags.c.issue_id.in_(issue_ids), issues.c.organization_id.in_(org_ids))
        .order_by(issue_tags.c.issue_id, issue_tags.c.key, issue_tags.c.times_seen.desc(), issue_tags.c.value)
    )
    return list(await conn.execute(query))


async def activity_of_issues(
    conn: AsyncConnection, org_ids: Collection[str], issue_ids: Sequence[str]
) -> list[Row]:
    query = (
        select(issue_activity)
        .where(issue_activity.c.issue_id.in_(issue_ids), issue_activity.c.organization_id.in_(org_ids))
        .order_by(issue_activity.c.issue_id, issue_activity.c.position)
    )
    return list(await conn.execute(query))


async def members_by_keys(
    conn: AsyncConnection, org_ids: Collection[str], keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Row]:
    """Members by (organization id, email)."""
    wanted = [org for org, _ in keys if org in org_ids]
    query = select(members).where(
        members.c.organization_id.in_(wanted), members.c.email.in_([email for _, email in keys])
    )
    return {(row.organization_id, row.email): row for row in await conn.execute(query)}


async def members_of(conn: AsyncConnection, org_id: str) -> list[Row]:
    query = select(members).where(members.c.organization_id == org_id).order_by(members.c.email)
    return list(await conn.execute(query))


async def users_by_emails(conn: AsyncConnection, emails: Sequence[str]) -> dict[str, Row]:
    return {row.email: row for row in await conn.execute(select(users).where(users.c.email.in_(emails)))}


async def public_keys_of_projects(
    conn: AsyncConnection, org_ids: Collection[str], project_ids: Sequence[int]
) -> list[Row]:
    """Every key of several projects, oldest first."""
    query = (
        select(project_keys)
        .where(project_keys.c.project_id.in_(project_ids), project_keys.c.organization_id.in_(org_ids))
        .order_by(project_keys.c.project_id, project_keys.c.created_at)
    )
    return list(await conn.execute(query))


async def attachment(
    conn: AsyncConnection, org_ids: Collection[str], project_id: int, attachment_id: str
) -> Row | None:
    """One attachment, within the caller's organizations."""
    query = select(attachments).where(
        attachments.c.project_id == project_id,
        attachments.c.attachment_id == attachment_id,
        attachments.c.organization_id.in_(org_ids),
    )
    return (await conn.execute(query)).first()


async def attachments_of_events(
    conn: AsyncConnection, org_ids: Collection[str], keys: Sequence[tuple[int, str]]
) -> list[Row]:
    """Attachments of several events, by (project id, event id)."""
    query = (
        select(attachments)
        .where(
            attachments.c.project_id.in_({p for p, _ in keys}),
            attachments.c.event_id.in_({e for _, e in keys}),
            attachments.c.organization_id.in_(org_ids),
        )
        .order_by(attachments.c.attachment_id)
    )
    return list(await conn.execute(query))


async def symbolications_of_events(
    conn: AsyncConnection, org_ids: Collection[str], keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], Row]:
    """Events' frames mapped through source maps, by (project id, event id)."""
    query = select(symbolicated_events).where(
        symbolicated_events.c.project_id.in_({p for p, _ in keys}),
        symbolicated_events.c.event_id.in_({e for _, e in keys}),
        symbolicated_events.c.organization_id.in_(org_ids),
    )
    return {(row.project_id, row.event_id): row for row in await conn.execute(query)}


async def api_tokens_of(conn: AsyncConnection, org_id: str) -> list[Row]:
    """An organization's organization tokens (never their hashes' owners: hashes stay in the table)."""
    query = select(api_tokens).where(api_tokens.c.organization_id == org_id).order_by(api_tokens.c.created_at)
    return list(await conn.execute(query))


async def personal_tokens_of(conn: AsyncConnection, email: str) -> list[Row]:
    query = select(api_tokens).where(api_tokens.c.user_email == email).order_by(api_tokens.c.created_at)
    return list(await conn.execute(query))


async def api_token(conn: AsyncConnection, token_id: str) -> Row | None:
    """A token by id, for revocation; the caller checks it may manage it."""
    return (await conn.execute(select(api_tokens).where(api_tokens.c.token_id == token_id))).first()


async def events_pages(
    conn: AsyncConnection,
    org_ids: Collection[str],
    issue_ids: Sequence[str],
    *,
    first: int,
    after: int | None,
) -> list[Row]:
    """The first `first` events (newest first, before position `after`) of each of several
    issues, in one statement."""
    ranked = _events_with_grouping(
        func.row_number()
        .over(partition_by=events.c.issue_id, order_by=events.c.position.desc())
        .label("rank")
    )
    ranked = ranked.where(events.c.issue_id.in_(issue_ids), events.c.organization_id.in_(org_ids))
    if after is not None:
        ranked = ranked.where(events.c.position < after)
    inner = ranked.subquery()
    query = select(inner).where(inner.c.rank <= first).order_by(inner.c.issue_id, inner.c.rank)
    return list(await conn.execute(query))


async def event_counts(
    conn: AsyncConnection, org_ids: Collection[str], issue_ids: Sequence[str]
) -> dict[str, int]:
    query = (
        select(events.c.issue_id, func.count())
        .where(events.c.issue_id.in_(issue_ids), events.c.organization_id.in_(org_ids))
        .group_by(events.c.issue_id)
    )
    return {issue_id: count for issue_id, count in await conn.execute(query)}


async def latest_groupings(
    conn: AsyncConnection, org_ids: Collection[str], issue_ids: Sequence[str]
) -> dict[str, dict]:
    """Each issue's latest event's grouping, in one statement."""
    ranked = (
        select(
            events.c.issue_id,
            events.c.project_id,
            events.c.hash,
            func.row_number()
            .over(partition_by=events.c.issue_id, order_by=events.c.position.desc())
            .label("rank"),
        )
        .where(events.c.issue_id.in_(issue_ids), events.c.organization_id.in_(org_ids))
        .subquery()
    )
    query = (
        select(ranked.c.issue_id, issue_hashes.c.grouping)
        .join(
            issue_hashes,
            (issue_hashes.c.project_id == ranked.c.project_id) & (issue_hashes.c.hash == ranked.c.hash),
        )
        .where(ranked.c.rank == 1)
    )
    return {issue_id: grouping for issue_id, grouping in await conn.execute(query)}


async def hashes_of_issues(
    conn: AsyncConnection, org_ids: Collection[str], issue_ids: Sequence[str]
) -> list[Row]:
    query = (
        select(issue_hashes.c.issue_id, issue_hashes.c.hash)
        .join(issues, issues.c.id == issue_hashes.c.issue_id)
        .where(issue_hashes.c.issue_id.in_(issue_ids), issues.c.organization_id.in_(org_ids))
        .order_by(issue_hashes.c.issue_id, issue_hashes.c.hash)
    )
    return list(await conn.execute(query))


async def webhooks_of(conn: AsyncConnection, org_id: str, project_id: int) -> Sequence[Row]:
    query = select(webhooks).where(webhooks.c.organization_id == org_id, webhooks.c.project_id == project_id)
    return (await conn.execute(query.order_by(webhooks.c.created_position))).all()


async def webhook(conn: AsyncConnection, org_ids: Collection[str], webhook_id: str) -> Row | None:
    query = select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.organization_id.in_(org_ids))
    return (await conn.execute(query)).first()


async def deliveries_page(
    conn: AsyncConnection, org_id: str, webhook_id: str, first: int, after: tuple[int, str] | None
) -> Sequence[Row]:
    """A webhook's deliveries, newest change first."""
    query = select(webhook_deliveries).where(
        webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.organization_id == org_id
    )
    if after is not None:
        query = query.where(
            or_(
                webhook_deliveries.c.position < after[0],
                and_(webhook_deliveries.c.position == after[0], webhook_deliveries.c.id < after[1]),
            )
        )
    query = query.order_by(webhook_deliveries.c.position.desc(), webhook_deliveries.c.id.desc()).limit(first)
    return (await conn.execute(query)).all()


async def delivery_count(conn: AsyncConnection, org_id: str, webhook_id: str) -> int:
    query = (
        select(func.count())
        .select_from(webhook_deliveries)
        .where(webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.organization_id == org_id)
    )
    return (await conn.execute(query)).scalar_one()
