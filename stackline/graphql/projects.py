"""Projects and their DSN keys in GraphQL: `Project` with everything a project holds (issues,
events, transactions, sessions, monitors, logs, feedback, webhooks, alert rules, usage and the
analytics fields), and the mutations that create projects and change their settings and keys
(`ProjectMutations`, `ProjectSettingsMutations`, part of the schema's `Mutation`).

Never writes read models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from stackline.domain.search import SearchSyntaxError, parse_log_query, parse_query
from stackline.graphql import analytics
from stackline.graphql.analytics import StatsBucket, StatsPeriod, TagFacet
from stackline.graphql.context import PublicError, ctx, encode_id, personal_keys
from stackline.graphql.events import Event, Feedback
from stackline.graphql.issues import (
    Issue,
    IssueSort,
    issue_cursor,
    issue_cursor_key,
)
from stackline.graphql.logs import Log, LogConnection, log_cursor
from stackline.graphql.monitors import CheckIn, CronMonitor
from stackline.graphql.organizations import Organization
from stackline.graphql.payloads import UserError, user_errors
from stackline.graphql.performance import SessionBucket, Transaction
from stackline.graphql.permissions import EventRead, OrgRead, ProjectRead, ProjectWrite
from stackline.graphql.relay import (
    Connection,
    Edge,
    Node,
    connection,
    decode_cursor,
    encode_cursor,
    forward_page,
    page_info,
    page_size,
    position_cursor,
)
from stackline.graphql.webhooks import Webhook
from stackline.readmodels import queries
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import attachments as attachments_table
from stackline.readmodels.schema import transactions as transactions_table
from stackline.usecases import projects as usecases

if TYPE_CHECKING:
    from stackline.graphql.alerts import AlertRule


@strawberry.type
class ProjectSettings:
    scrub_data: bool = strawberry.field(description="Scrub passwords, secrets, cards, ... before storing.")
    scrub_ip_addresses: bool
    sensitive_fields: list[str]
    safe_fields: list[str]
    allowed_origins: list[str] = strawberry.field(description="Browser origins allowed to send; empty: any.")
    monthly_event_quota: int | None
    retention_days: float | None = strawberry.field(
        description="None: the organization's retention setting, else the server's."
    )
    retention_max_events: int | None


@strawberry.type
class ProjectKey:
    public_key: str
    dsn: str
    is_active: bool
    rate_limit_per_second: int | None
    rate_limit_per_minute: int | None


@strawberry.type
class UsageBucket:
    day: str
    category: str = strawberry.field(
        description="error, transaction, attachment, session, monitor, feedback, ..."
    )
    outcome: str = strawberry.field(description="accepted, rate_limited, invalid, filtered, client_discard")
    reason: str
    quantity: int


def dsn_for(info: Info, public_key: str, project_id: int) -> str:
    context = ctx(info)
    base = context.services.settings.public_url or str(context.request.base_url)
    scheme, _, host = base.rstrip("/").partition("://")
    return f"{scheme}://{public_key}@{host}/{project_id}"


def since_day(days: int) -> str:
    if days < 1 or days > 366:
        raise PublicError("days must be between 1 and 366")
    return (datetime.now(UTC) - timedelta(days=days - 1)).strftime("%Y-%m-%d")


@strawberry.type
class Project(Node):
    slug: str
    name: str
    platform: str | None
    numeric_id: int = strawberry.field(description="The id SDKs use in the DSN and the ingest URL.")
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Project:
        return cls(
            id=strawberry.ID(encode_id("Project", row.id)),
            slug=row.slug,
            name=row.name,
            platform=row.platform,
            numeric_id=row.id,
            organization_id=row.organization_id,
        )

    @strawberry.field(
        permission_classes=[ProjectRead],
        description="The DSN an SDK is configured with to send to this project.",
    )
    async def dsn(self, info: Info) -> str:
        context = ctx(info)
        keys = await context.project_keys_loader().load(self.numeric_id) or []
        key = next((k.public_key for k in keys if k.is_active), None)
        if key is None:
            raise PublicError("this project has no active key")
        return dsn_for(info, key, self.numeric_id)

    @strawberry.field(permission_classes=[ProjectRead])
    async def settings(self, info: Info) -> ProjectSettings:
        row = await ctx(info).project_loader().load(self.numeric_id)
        if row is None:
            raise PublicError("not found")
        return ProjectSettings(
            scrub_data=row.scrub_data,
            scrub_ip_addresses=row.scrub_ip_addresses,
            sensitive_fields=list(row.sensitive_fields),
            safe_fields=list(row.safe_fields),
            allowed_origins=list(row.allowed_origins),
            monthly_event_quota=row.monthly_event_quota,
            retention_days=row.retention_days,
            retention_max_events=row.retention_max_events,
        )

    @strawberry.field(
        permission_classes=[ProjectRead], description="The project's DSN keys with their rate limits."
    )
    async def keys(self, info: Info) -> list[ProjectKey]:
        rows = await ctx(info).project_keys_loader().load(self.numeric_id) or []
        return [
            ProjectKey(
                public_key=r.public_key,
                dsn=dsn_for(info, r.public_key, self.numeric_id),
                is_active=r.is_active,
                rate_limit_per_second=r.rate_limit_per_second,
                rate_limit_per_minute=r.rate_limit_per_minute,
            )
            for r in rows
        ]

    @strawberry.field(
        permission_classes=[ProjectRead],
        description="Items per day, data category, outcome and reason (the quota read model).",
    )
    async def usage(self, info: Info, days: int = 30) -> list[UsageBucket]:
        rows = await ctx(info).read(queries.usage_of, self.organization_id, self.numeric_id, since_day(days))
        return [
            UsageBucket(
                day=r.day, category=r.category, outcome=r.outcome, reason=r.reason, quantity=r.quantity
            )
            for r in rows
        ]

    @strawberry.field(permission_classes=[EventRead], description="Performance transactions, newest first.")
    async def transactions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Transaction]:
        limit = page_size(first)
        before = position_cursor(after)
        rows = await ctx(info).read(
            queries.transactions_page, self.organization_id, self.numeric_id, first=limit + 1, after=before
        )
        total = await ctx(info).read(
            queries.count_of, transactions_table, self.organization_id, self.numeric_id
        )
        edges, more = forward_page(rows, limit, Transaction.from_row, lambda r: encode_cursor(r.position))
        return connection(edges, more, after, total)

    @strawberry.field(
        permission_classes=[EventRead],
        description="Release-health session counts per day, release, environment and status.",
    )
    async def sessions(self, info: Info, days: int = 30) -> list[SessionBucket]:
        rows = await ctx(info).read(
            queries.sessions_of, self.organization_id, self.numeric_id, since_day(days)
        )
        return [
            SessionBucket(
                day=r.day,
                release=r.release,
                environment=r.environment,
                status=r.status,
                quantity=r.quantity,
                errors=r.errors,
            )
            for r in rows
        ]

    @strawberry.field(permission_classes=[EventRead], description="Cron monitor check-ins, newest first.")
    async def check_ins(self, info: Info, first: int | None = None) -> list[CheckIn]:
        rows = await ctx(info).read(
            queries.check_ins_of, self.organization_id, self.numeric_id, page_size(first)
        )
        return [
            CheckIn(
                check_in_id=r.check_in_id,
                monitor_slug=r.monitor_slug,
                status=r.status,
                duration=r.duration,
                environment=r.environment,
                first_received=aware(r.first_received),
                last_received=aware(r.last_received),
            )
            for r in rows
        ]

    @strawberry.field(
        permission_classes=[EventRead],
        description="SDK logs (`enable_logs`), newest first. `query`: free text in the body, "
        "`level:`, `trace:`, and `<attribute>:<value>`; `!` negates a term.",
    )
    async def logs(
        self, info: Info, query: str | None = None, first: int | None = None, after: str | None = None
    ) -> LogConnection:
        limit = page_size(first)
        cursor = log_cursor(after)
        try:
            terms = parse_log_query(query)
        except SearchSyntaxError as error:
            raise PublicError(str(error)) from None
        rows = await ctx(info).read(
            queries.logs_page, self.organization_id, self.numeric_id, terms, first=limit + 1, after=cursor
        )
        # Personal values are stored sealed (stackline/domain/personal.py): opened, or `[erased]`.
        opened = await personal_keys(info).open_payloads(
            (self.organization_id, {"body": r.body, "attributes": r.attributes}) for r in rows[:limit]
        )
        shown = {r.log_id: o for r, o in zip(rows[:limit], opened, strict=True)}
        edges, more = forward_page(
            rows,
            limit,
            lambda r: Log.from_row(r, shown[r.log_id]),
            lambda r: encode_cursor(r.timestamp, r.log_id),
        )
        return LogConnection(edges=edges, page_info=page_info([e.cursor for e in edges], more, after))

    @strawberry.field(
        permission_classes=[EventRead],
        description="Cron monitors, by slug: schedule, status, last and next check-in.",
    )
    async def monitors(self, info: Info) -> list[CronMonitor]:
        rows = await ctx(info).read(queries.monitors_of, self.organization_id, self.numeric_id)
        return [CronMonitor.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[EventRead], description="User feedback and user reports, newest first."
    )
    async def feedback(self, info: Info, first: int | None = None) -> list[Feedback]:
        rows = await ctx(info).read(
            queries.feedback_of, self.organization_id, self.numeric_id, page_size(first)
        )
        keys = personal_keys(info)
        return [
            Feedback(
                feedback_id=r.feedback_id,
                associated_event_id=r.associated_event_id,
                name=await keys.open_value(self.organization_id, r.name),
                email=await keys.open_value(self.organization_id, r.email),
                comments=r.comments,
                received_at=aware(r.received_at),
            )
            for r in rows
        ]

    @strawberry.field(permission_classes=[EventRead])
    async def attachment_count(self, info: Info) -> int:
        return await ctx(info).read(
            queries.count_of, attachments_table, self.organization_id, self.numeric_id
        )

    @strawberry.field(permission_classes=[OrgRead])
    async def organization(self, info: Info) -> Organization:
        row = await ctx(info).organization_loader().load(self.organization_id)
        if row is None:
            raise PublicError("organization not found")
        return Organization.from_row(row)

    @strawberry.field(
        permission_classes=[EventRead],
        description="The project's issues that match `query` (Sentry's search syntax: "
        "docs/search.md), most recently seen first by default.",
    )
    async def issues(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        sort: IssueSort | None = IssueSort.LAST_SEEN,
    ) -> Connection[Issue]:
        sort = sort or IssueSort.LAST_SEEN
        limit = page_size(first)
        after_key = issue_cursor_key(decode_cursor(after), sort)
        try:
            search = parse_query(query)
        except SearchSyntaxError as error:
            raise PublicError(str(error)) from None
        search = await personal_keys(info).search_terms(self.organization_id, search)
        rows = await ctx(info).read(
            queries.issues_page,
            self.organization_id,
            self.numeric_id,
            sort=sort.name,  # the same as its value, typed as the str it is
            first=limit + 1,
            after=after_key,
            search=search,
        )
        total = await ctx(info).read(queries.issue_count, self.organization_id, self.numeric_id, search)
        edges, more = forward_page(rows, limit, Issue.from_row, lambda row: issue_cursor(row, sort))
        return connection(edges, more, after, total)

    @strawberry.field(
        permission_classes=[ProjectRead],
        description="The project's webhooks (their signing secrets are never shown again).",
    )
    async def webhooks(self, info: Info) -> list[Webhook]:
        rows = await ctx(info).read(queries.webhooks_of, self.organization_id, self.numeric_id)
        return [Webhook.from_row(row) for row in rows]

    @strawberry.field(
        permission_classes=[ProjectRead], description="The project's alert rules: when its issues reach whom."
    )
    async def alert_rules(
        self, info: Info
    ) -> list[Annotated[AlertRule, strawberry.lazy("stackline.graphql.alerts")]]:
        from stackline.graphql.alerts import alert_rules_of_project

        return await alert_rules_of_project(info, self.organization_id, self.numeric_id)

    @strawberry.field(
        permission_classes=[EventRead],
        description="An issue of this project by its short id (`WEB-2`, any case).",
    )
    async def issue_by_short_id(self, info: Info, short_id: str) -> Issue | None:
        row = await ctx(info).read(queries.issue_by_short_id, self.organization_id, self.numeric_id, short_id)
        return Issue.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[EventRead], description="An event of this project by the SDK's event_id."
    )
    async def event(self, info: Info, event_id: str) -> Event | None:
        row = await ctx(info).read(
            queries.event, self.organization_id, self.numeric_id, event_id.replace("-", "").lower()
        )
        return Event.from_row(row) if row else None

    # Served by the analytics store (stackline/graphql/analytics.py). Nullable, so that a
    # process without it (`analytics unavailable: ...`) fails these fields alone, not the project.

    @strawberry.field(
        permission_classes=[EventRead],
        description="Error events per bucket over the period (zero-filled), from the analytics store.",
    )
    async def stats(self, info: Info, period: StatsPeriod) -> list[StatsBucket] | None:
        return await analytics.stats(info, self.organization_id, self.numeric_id, period)

    @strawberry.field(
        permission_classes=[EventRead],
        description="Tag keys of the project's errors with counts and top values (all keys, or `keys`).",
    )
    async def tag_facets(
        self, info: Info, keys: list[str] | None = None, top: int = 5
    ) -> list[TagFacet] | None:
        return await analytics.facets(info, self.organization_id, self.numeric_id, keys, top)

    @strawberry.field(
        permission_classes=[EventRead],
        description="Distinct users of the project's errors, from the analytics store.",
    )
    async def user_count(self, info: Info) -> int | None:
        return await analytics.user_count(info, self.organization_id, self.numeric_id)

    @strawberry.field(
        permission_classes=[EventRead],
        description="The project's error events, newest first, filtered by `query` in the issue "
        "search syntax (docs/search.md): `release:1.2 !level:error browser:Fire* has:url`, free "
        "text on the title; `is:` and `assigned:` describe issues and are refused by name.",
    )
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None, query: str | None = None
    ) -> Connection[Event] | None:
        limit = page_size(first)
        page, total, more = await analytics.event_page(
            info,
            self.organization_id,
            self.numeric_id,
            analytics.event_filter(
                query, await personal_keys(info).search_term_rewrite(self.organization_id)
            ),
            limit,
            decode_cursor(after),
        )
        edges = [Edge(node=Event.from_row(row), cursor=encode_cursor(*key)) for row, key in page]
        return connection(edges, more, after, total)

    @strawberry.field(
        permission_classes=[ProjectRead],
        description="Items per day, category, outcome and reason, from the analytics store.",
    )
    async def outcomes(self, info: Info, days: int = 30) -> list[UsageBucket] | None:
        rows = await analytics.outcomes(info, self.organization_id, self.numeric_id, days)
        return [
            UsageBucket(
                day=r.day, category=r.category, outcome=r.outcome, reason=r.reason, quantity=r.quantity
            )
            for r in rows
        ]


@strawberry.input
class UpdateProjectSettingsInput:
    organization_slug: str
    project_slug: str
    scrub_data: bool | None = None
    scrub_ip_addresses: bool | None = None
    sensitive_fields: list[str] | None = None
    safe_fields: list[str] | None = None
    allowed_origins: list[str] | None = None
    monthly_event_quota: int | None = strawberry.field(
        default=None, description="Events per month; see clearMonthlyEventQuota."
    )
    clear_monthly_event_quota: bool = False
    retention_days: float | None = strawberry.field(
        default=None,
        description="Days error events are kept; see clearRetentionDays (unset: the server's setting).",
    )
    clear_retention_days: bool = False
    retention_max_events: int | None = strawberry.field(
        default=None,
        description="Error events kept (the oldest go first, never an issue's first or latest); "
        "see clearRetentionMaxEvents (unset: the server's setting).",
    )
    clear_retention_max_events: bool = False


@strawberry.type
class UpdateProjectSettingsPayload:
    project: Project | None
    user_errors: list[UserError]


@strawberry.input
class UpdateProjectKeyInput:
    organization_slug: str
    project_slug: str
    public_key: str
    is_active: bool | None = None
    rate_limit_per_second: int | None = None
    rate_limit_per_minute: int | None = None
    clear_rate_limits: bool = False


@strawberry.type
class UpdateProjectKeyPayload:
    project: Project | None
    user_errors: list[UserError]


@strawberry.input
class CreateProjectInput:
    organization_slug: str
    slug: str
    name: str | None = None
    platform: str | None = None


@strawberry.type
class CreateProjectPayload:
    project: Project | None
    user_errors: list[UserError]


def _project_of(row: Row | None) -> Project | None:
    return Project.from_row(row) if row else None


@strawberry.type
class ProjectMutations:
    """Each mutation calls its use case in `stackline/usecases/projects.py`."""

    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Create a project (and its first DSN key) in your organization.",
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectPayload:
        context = ctx(info)
        answer = await usecases.create_project(
            context.services,
            context.known_viewer,
            input.organization_slug,
            input.slug,
            input.name,
            input.platform,
        )
        return CreateProjectPayload(
            project=_project_of(answer.project), user_errors=user_errors(answer.refusal)
        )


@strawberry.type
class ProjectSettingsMutations:
    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Change a project's scrubbing, allowed origins and monthly quota.",
    )
    async def update_project_settings(
        self, info: Info, input: UpdateProjectSettingsInput
    ) -> UpdateProjectSettingsPayload:
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("scrub_data", input.scrub_data),
                ("scrub_ip_addresses", input.scrub_ip_addresses),
                (
                    "sensitive_fields",
                    tuple(input.sensitive_fields) if input.sensitive_fields is not None else None,
                ),
                ("safe_fields", tuple(input.safe_fields) if input.safe_fields is not None else None),
                (
                    "allowed_origins",
                    tuple(input.allowed_origins) if input.allowed_origins is not None else None,
                ),
                ("monthly_event_quota", input.monthly_event_quota),
                ("retention_days", input.retention_days),
                ("retention_max_events", input.retention_max_events),
            )
            if value is not None
        }
        if input.clear_monthly_event_quota:
            changes["monthly_event_quota"] = None
        if input.clear_retention_days:
            changes["retention_days"] = None
        if input.clear_retention_max_events:
            changes["retention_max_events"] = None
        context = ctx(info)
        answer = await usecases.change_project_settings(
            context.services, context.known_viewer, input.organization_slug, input.project_slug, changes
        )
        return UpdateProjectSettingsPayload(
            project=_project_of(answer.project), user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        permission_classes=[ProjectWrite], description="Enable or disable a DSN key and set its rate limits."
    )
    async def update_project_key(self, info: Info, input: UpdateProjectKeyInput) -> UpdateProjectKeyPayload:
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("is_active", input.is_active),
                ("rate_limit_per_second", input.rate_limit_per_second),
                ("rate_limit_per_minute", input.rate_limit_per_minute),
            )
            if value is not None
        }
        if input.clear_rate_limits:
            changes.update(rate_limit_per_second=None, rate_limit_per_minute=None)
        context = ctx(info)
        answer = await usecases.change_project_key(
            context.services,
            context.known_viewer,
            input.organization_slug,
            input.project_slug,
            input.public_key,
            changes,
        )
        return UpdateProjectKeyPayload(
            project=_project_of(answer.project), user_errors=user_errors(answer.refusal)
        )
