"""GraphQL over the analytics store: issue and project stats, tag facets, filtered events.

Resolvers here read ClickHouse through `stackline/analytics/queries.py`, always with the
viewer's organization; an issue's rows are found through the hashes the SQL read model maps to
it (merges move hashes). The fields on `Issue` and `Project` (`issues.py`, `projects.py`) call these.
"""

from __future__ import annotations

import enum
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import strawberry
from sqlalchemy import Row
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from stackline.analytics import AnalyticsExecutor, AnalyticsUnavailable
from stackline.analytics import queries as analytics
from stackline.domain.search import Term
from stackline.graphql.context import PublicError, ctx
from stackline.readmodels import queries


@strawberry.enum(description="A stats window: its length and bucket size.")
class StatsPeriod(enum.Enum):
    HOUR_24 = "HOUR_24"  # 24 hourly buckets
    DAY_14 = "DAY_14"  # 14 daily buckets (UTC days)
    DAY_30 = "DAY_30"  # 30 daily buckets (UTC days)


@strawberry.type
class StatsBucket:
    start: datetime = strawberry.field(description="The bucket's first instant (UTC).")
    count: int = strawberry.field(description="Error events in the bucket.")
    users: int = strawberry.field(description="Distinct users of those events.")


@strawberry.type
class TagFacetValue:
    value: str
    count: int
    first_seen: datetime
    last_seen: datetime


@strawberry.type(description="A tag key over a set of events, from the analytics store.")
class TagFacet:
    key: str
    count: int = strawberry.field(description="Events that carry the key.")
    distinct_values: int
    top_values: list[TagFacetValue]


def executor_of(info: Info) -> AnalyticsExecutor:
    try:
        return ctx(info).services.require_analytics()
    except AnalyticsUnavailable as error:
        raise PublicError(f"analytics unavailable: {error}") from None


def _time(ms_or_s: float) -> datetime:
    return datetime.fromtimestamp(ms_or_s, UTC)


async def issue_hashes(info: Info, org_id: str, issue_id: str) -> list[str]:
    """The issue's grouping hashes (batched across the issues of a request); the caller has
    checked the viewer's scope in `org_id`, the issue's organization."""
    return [row.hash for row in await ctx(info).hashes_loader().load(issue_id) or ()]


async def stats(info: Info, org_id: str, project_id: int, period: StatsPeriod) -> list[StatsBucket]:
    """A project's stats; an issue's are batched across the request (`issue_stats`)."""
    rows = await analytics.event_stats(
        executor_of(info), org_id, project_id, analytics.PERIODS[period.value], time.time()
    )
    return [StatsBucket(start=_time(r.start), count=r.events, users=r.users) for r in rows]


async def issue_stats(
    info: Info, org_id: str, project_id: int, issue_id: str, period: StatsPeriod
) -> list[StatsBucket]:
    """An issue's stats, batched: the issues of one request (an issue list's sparklines) are
    answered by one analytics query per project and period, not one each; the caller has checked
    the viewer's scope in `org_id`, the issue's organization."""
    hashes = tuple(await issue_hashes(info, org_id, issue_id))
    rows = await _issue_stats_loader(info).load((org_id, project_id, period.value, issue_id, hashes))
    return [StatsBucket(start=_time(r.start), count=r.events, users=r.users) for r in rows]


IssueStatsKey = tuple[str, int, str, str, tuple[str, ...]]  # org, project, period, issue, its hashes


def _issue_stats_loader(info: Info) -> DataLoader[IssueStatsKey, list[analytics.StatsRow]]:
    context = ctx(info)
    loader = context.loaders.get("issue-stats")
    if loader is None:
        executor = executor_of(info)

        async def load(keys: list[IssueStatsKey]) -> list[list[analytics.StatsRow]]:
            groups: dict[tuple[str, int, str], dict[str, tuple[str, ...]]] = defaultdict(dict)
            for org_id, project_id, period, issue_id, hashes in keys:
                groups[(org_id, project_id, period)][issue_id] = hashes
            now = time.time()
            found: dict[tuple[str, int, str, str], list[analytics.StatsRow]] = {}
            for (org_id, project_id, period), issues in groups.items():
                rows = await analytics.issues_event_stats(
                    executor, org_id, project_id, analytics.PERIODS[period], now, issues
                )
                for issue_id, stats in rows.items():
                    found[(org_id, project_id, period, issue_id)] = stats
            return [found[key[:4]] for key in keys]

        loader = context.loaders["issue-stats"] = DataLoader(load_fn=load)
    return loader


async def facets(
    info: Info,
    org_id: str,
    project_id: int,
    keys: list[str] | None,
    top: int,
    hashes: list[str] | None = None,
) -> list[TagFacet]:
    if not 1 <= top <= 50:
        raise PublicError("top must be between 1 and 50")
    found = await analytics.tag_facets(
        executor_of(info), org_id, project_id, keys=keys, top=top, hashes=hashes
    )
    return [
        TagFacet(
            key=f.key,
            count=f.total,
            distinct_values=f.distinct_values,
            top_values=[
                TagFacetValue(
                    value=v.value,
                    count=v.count,
                    first_seen=_time(v.first_seen_ms / 1000),
                    last_seen=_time(v.last_seen_ms / 1000),
                )
                for v in f.top
            ],
        )
        for f in found
    ]


async def user_count(info: Info, org_id: str, project_id: int) -> int:
    return await analytics.distinct_users(executor_of(info), org_id, project_id)


def event_filter(query: str | None, rewrite: Callable[[Term], Term] | None = None) -> analytics.EventFilter:
    try:
        return analytics.EventFilter.parse(query, rewrite)
    except analytics.InvalidEventQuery as error:
        raise PublicError(f"invalid query: {error}") from None


async def event_page(
    info: Info, org_id: str, project_id: int, where: analytics.EventFilter, first: int, after: list | None
) -> tuple[list[tuple[Row[Any], tuple[int, str]]], int, bool]:
    """Rows of the SQL read model for a page of matching events (newest first), each with its
    (timestamp ms, event id) cursor; the total matching; whether more follow."""
    if after is not None and not (
        len(after) == 2 and isinstance(after[0], int) and isinstance(after[1], str)
    ):
        raise PublicError("invalid cursor")
    executor = executor_of(info)
    refs = await analytics.events_page(
        executor, org_id, project_id, where, first + 1, after=(after[0], after[1]) if after else None
    )
    total = await analytics.event_count(executor, org_id, project_id, where)
    rows = await ctx(info).read(queries.events_by_ids, org_id, project_id, [r.event_id for r in refs[:first]])
    # An event the SQL read model has not caught up with yet is left out of this page.
    page = [(rows[r.event_id], (r.timestamp_ms, r.event_id)) for r in refs[:first] if r.event_id in rows]
    return page, total, len(refs) > first


async def outcomes(info: Info, org_id: str, project_id: int, days: int) -> list[analytics.OutcomeRow]:
    if not 1 <= days <= 366:
        raise PublicError("days must be between 1 and 366")
    since = (int(time.time()) // 86400 - (days - 1)) * 86400
    return await analytics.outcomes(executor_of(info), org_id, project_id, since)
