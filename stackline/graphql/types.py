"""GraphQL object types and their relation resolvers (Relay conventions: Node, connections).

Types are built from read-model rows; relations are resolved through the context's loaders
(one batched statement per relation and request) and queries, which always filter by the
viewer's organizations and check the scope in the object's own organization.
"""

from __future__ import annotations

import base64
import enum
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from stackline.app.attachments import download_path
from stackline.domain.issue import ChangeKind
from stackline.domain.search import SearchSyntaxError, parse_log_query, parse_query
from stackline.graphql import analytics
from stackline.graphql.analytics import StatsBucket, StatsPeriod, TagFacet
from stackline.graphql.context import PublicError, ctx, decode_id, encode_id, personal_keys
from stackline.projections.symbolicate import exceptions_of, frames_of
from stackline.readmodels import queries
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import attachments as attachments_table
from stackline.readmodels.schema import transactions as transactions_table

if TYPE_CHECKING:
    from stackline.graphql.alerts import AlertRule

MAX_PAGE = 100
DEFAULT_PAGE = 25


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise PublicError(f"first must be between 0 and {MAX_PAGE}")
    return first


def encode_cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode()


def decode_cursor(cursor: str | None) -> list | None:
    if cursor is None:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise PublicError("invalid cursor") from None
    if not isinstance(value, list):
        raise PublicError("invalid cursor")
    return value


def position_id_cursor(after: str | None) -> tuple[int, str] | None:
    """A `(log position, id)` keyset cursor, as the webhook delivery and alert notification logs
    page by."""
    cursor = decode_cursor(after)
    if cursor is None:
        return None
    if len(cursor) != 2 or not isinstance(cursor[0], int) or not isinstance(cursor[1], str):
        raise PublicError("invalid cursor")
    return cursor[0], cursor[1]


def page_info(cursors: list[str], has_next_page: bool, after: str | None) -> PageInfo:
    """The Relay page info of one forward page whose edges carry `cursors`."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.enum
class IssueStatus(enum.Enum):
    UNRESOLVED = "unresolved"
    RESOLVED = "resolved"
    IGNORED = "ignored"
    MERGED = "merged"


@strawberry.enum(description="How `Project.issues` orders issues; every order is highest first, ties by id.")
class IssueSort(enum.Enum):
    LAST_SEEN = strawberry.enum_value("LAST_SEEN", description="Most recently seen first (the default).")
    FIRST_SEEN = strawberry.enum_value("FIRST_SEEN", description="Newest issues first.")
    FREQ = strawberry.enum_value("FREQ", description="Most events first.")
    USERS = strawberry.enum_value("USERS", description="Most distinct users first.")


@strawberry.type
class Tag:
    key: str
    value: str


@strawberry.type
class TagValue:
    value: str
    count: int
    first_seen: datetime
    last_seen: datetime


@strawberry.type
class TagSummary:
    key: str
    total_values: int = strawberry.field(description="How many events carried this tag.")
    top_values: list[TagValue]


@strawberry.type
class IssueActivity:
    kind: str = strawberry.field(description="The event in the issue's stream, e.g. IssueResolved.")
    actor: str | None
    at: datetime
    data: JSON


@strawberry.type
class GroupingInfo:
    """Why events land on this issue."""

    config: str = strawberry.field(description="The grouping config of the latest event.")
    variant: str = strawberry.field(
        description="The rule that matched: custom-fingerprint, in-app-stacktrace, ..."
    )
    components: list[str] = strawberry.field(description="The values that were hashed, for the latest event.")
    hashes: list[str] = strawberry.field(description="Every fingerprint hash that leads to this issue.")


@strawberry.type
class ProjectSettings:
    scrub_data: bool = strawberry.field(description="Scrub passwords, secrets, cards, ... before storing.")
    scrub_ip_addresses: bool
    sensitive_fields: list[str]
    safe_fields: list[str]
    allowed_origins: list[str] = strawberry.field(description="Browser origins allowed to send; empty: any.")
    monthly_event_quota: int | None
    retention_days: float | None = strawberry.field(description="None: the server's retention setting.")
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


@strawberry.type
class Transaction:
    event_id: str
    name: str
    op: str | None
    status: str | None
    duration_ms: float | None
    timestamp: datetime
    trace_id: str | None
    release: str | None
    environment: str | None


@strawberry.type
class TransactionEdge:
    node: Transaction
    cursor: str


@strawberry.type
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class SessionBucket:
    day: str
    release: str
    environment: str
    status: str
    quantity: int
    errors: int


@strawberry.type
class CheckIn:
    check_in_id: str
    monitor_slug: str
    status: str
    duration: float | None
    environment: str | None
    first_received: datetime
    last_received: datetime


@strawberry.enum
class MonitorStatus(enum.Enum):
    NEW = "new"
    OK = "ok"
    ERROR = "error"
    MISSED = "missed"
    TIMEOUT = "timeout"


def instant(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


@strawberry.type(description="A cron monitor: its schedule (from the SDK's monitor_config) and state.")
class CronMonitor:
    slug: str
    status: MonitorStatus = strawberry.field(
        description="NEW before any finished check-in; MISSED when none came by the expected time plus "
        "the margin; TIMEOUT when one stayed in progress longer than the maximum runtime."
    )
    schedule_type: str | None = strawberry.field(
        description="crontab or interval; null without monitor_config."
    )
    schedule: str | None = strawberry.field(description="The crontab, or the interval as '2 hour'.")
    checkin_margin: int | None = strawberry.field(description="Minutes.")
    max_runtime: int | None = strawberry.field(description="Minutes.")
    timezone: str | None
    last_check_in: datetime | None
    last_check_in_status: str | None
    next_expected: datetime | None = strawberry.field(description="When the next check-in is due.")
    in_progress_since: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> CronMonitor:
        schedule = row.schedule or {}
        text: str | None
        if schedule.get("type") == "interval":
            text = f"{schedule['interval']} {schedule['unit']}"
        else:
            text = schedule.get("crontab")
        return cls(
            slug=row.monitor_slug,
            status=MonitorStatus(row.status),
            schedule_type=schedule.get("type"),
            schedule=text,
            checkin_margin=schedule.get("checkin_margin"),
            max_runtime=schedule.get("max_runtime"),
            timezone=schedule.get("timezone"),
            last_check_in=instant(row.last_check_in_at),
            last_check_in_status=row.last_check_in_status,
            next_expected=instant(row.next_expected_at),
            in_progress_since=instant(row.in_progress_since),
        )


@strawberry.type(description="One record an SDK logged (`enable_logs`), scrubbed like errors.")
class Log:
    log_id: str
    timestamp: datetime = strawberry.field(description="When the SDK logged it.")
    level: str = strawberry.field(description="trace, debug, info, warn, error or fatal.")
    severity_number: int | None
    body: str
    attributes: JSON = strawberry.field(
        description='Name -> {"value": ..., "type": "string|boolean|integer|double|array"}, as sent.'
    )
    trace_id: str | None
    span_id: str | None
    received_at: datetime

    @classmethod
    def from_row(cls, row: Row, opened: dict[str, Any] | None = None) -> Log:
        """`opened`: the row's body and attributes with their sealed values opened."""
        return cls(
            log_id=row.log_id,
            timestamp=datetime.fromtimestamp(row.timestamp, UTC),
            level=row.level,
            severity_number=row.severity_number,
            body=opened["body"] if opened else row.body,
            attributes=opened["attributes"] if opened else row.attributes,
            trace_id=row.trace_id,
            span_id=row.span_id,
            received_at=aware(row.received_at),
        )


@strawberry.type
class LogEdge:
    node: Log
    cursor: str


@strawberry.type
class LogConnection:
    edges: list[LogEdge]
    page_info: PageInfo


def log_cursor(after: str | None) -> tuple[float, str] | None:
    cursor = decode_cursor(after)
    if cursor is None:
        return None
    if len(cursor) != 2 or not isinstance(cursor[0], int | float) or not isinstance(cursor[1], str):
        raise PublicError("invalid cursor")
    return float(cursor[0]), cursor[1]


@strawberry.type
class Feedback:
    feedback_id: str
    associated_event_id: str | None
    name: str | None
    email: str | None
    comments: str
    received_at: datetime


@strawberry.type
class Attachment:
    attachment_id: str
    filename: str
    content_type: str
    attachment_type: str
    size: int
    sha256: str
    download_path: str = strawberry.field(
        description="GET it with the same `Authorization: Bearer <API token>` (event:read) for the bytes."
    )


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
class User:
    email: str
    name: str


@strawberry.type
class Member:
    email: str
    role: str = strawberry.field(description="owner, admin or member.")
    joined_at: datetime
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Member:
        return cls(
            email=row.email,
            role=row.role,
            joined_at=aware(row.created_at),
            organization_id=row.organization_id,
        )

    @strawberry.field(description="The person, once they have a personal API token.")
    async def user(self, info: Info) -> User | None:
        async def fetch(conn, org_ids, emails):  # noqa: ANN001, ANN202 - users are shared, members were checked
            return await queries.users_by_emails(conn, emails)

        ctx(info).require_scope(self.organization_id, "org:read")
        row = await ctx(info).loader("user", "org:read", fetch).load(self.email)
        return User(email=row.email, name=row.name) if row else None


@strawberry.enum
class ApiTokenKind(enum.Enum):
    ORGANIZATION = "ORGANIZATION"
    PERSONAL = "PERSONAL"


@strawberry.type(description="An API token's metadata; the secret itself is shown once, by createApiToken.")
class ApiToken:
    token_id: str
    kind: ApiTokenKind
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    user_email: str | None

    @classmethod
    def from_row(cls, row: Row) -> ApiToken:
        return cls(
            token_id=row.token_id,
            kind=ApiTokenKind.PERSONAL if row.user_email else ApiTokenKind.ORGANIZATION,
            label=row.label,
            scopes=list(row.scopes),
            created_at=aware(row.created_at),
            expires_at=aware(row.expires_at) if row.expires_at else None,
            revoked_at=aware(row.revoked_at) if row.revoked_at else None,
            user_email=row.user_email,
        )


@strawberry.type
class Organization(Node):
    slug: str
    name: str
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Organization:
        return cls(
            id=strawberry.ID(encode_id("Organization", row.id)),
            slug=row.slug,
            name=row.name,
            organization_id=row.id,
        )

    @strawberry.field
    async def projects(self, info: Info) -> list[Project]:
        ctx(info).require_scope(self.organization_id, "project:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.projects_of(conn, self.organization_id)
        return [Project.from_row(row) for row in rows]

    @strawberry.field(description="People in the organization and their roles.")
    async def members(self, info: Info) -> list[Member]:
        ctx(info).require_scope(self.organization_id, "org:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.members_of(conn, self.organization_id)
        return [Member.from_row(row) for row in rows]

    @strawberry.field(
        description="The organization's own API tokens (not members' personal ones); needs ownership."
    )
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        viewer = ctx(info).require_scope(self.organization_id, "org:write")
        if not viewer.owns(self.organization_id):
            raise PublicError("only owners and organization tokens can see organization tokens")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.api_tokens_of(conn, self.organization_id)
        return [ApiToken.from_row(row) for row in rows]

    @strawberry.field(
        description="The caller's role here: owner, admin or member; null for an organization token."
    )
    def viewer_role(self, info: Info) -> str | None:
        return ctx(info).require_scope(self.organization_id, "org:read").roles.get(self.organization_id)


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

    @strawberry.field(description="The DSN an SDK is configured with to send to this project.")
    async def dsn(self, info: Info) -> str:
        context = ctx(info)
        context.require_scope(self.organization_id, "project:read")
        keys = await context.project_keys_loader().load(self.numeric_id) or []
        key = next((k.public_key for k in keys if k.is_active), None)
        if key is None:
            raise PublicError("this project has no active key")
        return dsn_for(info, key, self.numeric_id)

    @strawberry.field
    async def settings(self, info: Info) -> ProjectSettings:
        ctx(info).require_scope(self.organization_id, "project:read")
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

    @strawberry.field(description="The project's DSN keys with their rate limits.")
    async def keys(self, info: Info) -> list[ProjectKey]:
        ctx(info).require_scope(self.organization_id, "project:read")
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

    @strawberry.field(description="Items per day, data category, outcome and reason (the quota read model).")
    async def usage(self, info: Info, days: int = 30) -> list[UsageBucket]:
        ctx(info).require_scope(self.organization_id, "project:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.usage_of(conn, self.organization_id, self.numeric_id, since_day(days))
        return [
            UsageBucket(
                day=r.day, category=r.category, outcome=r.outcome, reason=r.reason, quantity=r.quantity
            )
            for r in rows
        ]

    @strawberry.field(description="Performance transactions, newest first.")
    async def transactions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> TransactionConnection:
        ctx(info).require_scope(self.organization_id, "event:read")
        limit = page_size(first)
        cursor = decode_cursor(after)
        if cursor is not None and (len(cursor) != 1 or not isinstance(cursor[0], int)):
            raise PublicError("invalid cursor")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.transactions_page(
                conn,
                self.organization_id,
                self.numeric_id,
                first=limit + 1,
                after=cursor[0] if cursor else None,
            )
            total = await queries.count_of(conn, transactions_table, self.organization_id, self.numeric_id)
        edges = [
            TransactionEdge(
                node=Transaction(
                    event_id=r.event_id,
                    name=r.name,
                    op=r.op,
                    status=r.status,
                    duration_ms=r.duration_ms,
                    timestamp=aware(r.timestamp),
                    trace_id=r.trace_id,
                    release=r.release,
                    environment=r.environment,
                ),
                cursor=encode_cursor(r.position),
            )
            for r in rows[:limit]
        ]
        return TransactionConnection(
            edges=edges,
            total_count=total,
            page_info=page_info([e.cursor for e in edges], len(rows) > limit, after),
        )

    @strawberry.field(description="Release-health session counts per day, release, environment and status.")
    async def sessions(self, info: Info, days: int = 30) -> list[SessionBucket]:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.sessions_of(conn, self.organization_id, self.numeric_id, since_day(days))
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

    @strawberry.field(description="Cron monitor check-ins, newest first.")
    async def check_ins(self, info: Info, first: int | None = None) -> list[CheckIn]:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.check_ins_of(conn, self.organization_id, self.numeric_id, page_size(first))
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
        description="SDK logs (`enable_logs`), newest first. `query`: free text in the body, "
        "`level:`, `trace:`, and `<attribute>:<value>`; `!` negates a term."
    )
    async def logs(
        self, info: Info, query: str | None = None, first: int | None = None, after: str | None = None
    ) -> LogConnection:
        ctx(info).require_scope(self.organization_id, "event:read")
        limit = page_size(first)
        cursor = log_cursor(after)
        try:
            terms = parse_log_query(query)
        except SearchSyntaxError as error:
            raise PublicError(str(error)) from None
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.logs_page(
                conn, self.organization_id, self.numeric_id, terms, first=limit + 1, after=cursor
            )
        # Personal values are stored sealed (stackline/domain/personal.py): opened, or `[erased]`.
        opened = await personal_keys(info).open_payloads(
            (self.organization_id, {"body": r.body, "attributes": r.attributes}) for r in rows[:limit]
        )
        edges = [
            LogEdge(node=Log.from_row(r, shown), cursor=encode_cursor(r.timestamp, r.log_id))
            for r, shown in zip(rows[:limit], opened, strict=True)
        ]
        return LogConnection(
            edges=edges, page_info=page_info([e.cursor for e in edges], len(rows) > limit, after)
        )

    @strawberry.field(description="Cron monitors, by slug: schedule, status, last and next check-in.")
    async def monitors(self, info: Info) -> list[CronMonitor]:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.monitors_of(conn, self.organization_id, self.numeric_id)
        return [CronMonitor.from_row(r) for r in rows]

    @strawberry.field(description="User feedback and user reports, newest first.")
    async def feedback(self, info: Info, first: int | None = None) -> list[Feedback]:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.feedback_of(conn, self.organization_id, self.numeric_id, page_size(first))
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

    @strawberry.field
    async def attachment_count(self, info: Info) -> int:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            return await queries.count_of(conn, attachments_table, self.organization_id, self.numeric_id)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        ctx(info).require_scope(self.organization_id, "org:read")
        row = await ctx(info).organization_loader().load(self.organization_id)
        if row is None:
            raise PublicError("organization not found")
        return Organization.from_row(row)

    @strawberry.field(
        description="The project's issues that match `query` (Sentry's search syntax: "
        "docs/search.md), most recently seen first by default."
    )
    async def issues(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        sort: IssueSort | None = IssueSort.LAST_SEEN,
    ) -> IssueConnection:
        sort = sort or IssueSort.LAST_SEEN
        context = ctx(info)
        context.require_scope(self.organization_id, "event:read")
        limit = page_size(first)
        after_key = issue_cursor_key(decode_cursor(after), sort)
        try:
            search = parse_query(query)
        except SearchSyntaxError as error:
            raise PublicError(str(error)) from None
        search = await personal_keys(info).search_terms(self.organization_id, search)
        async with context.services.engine.connect() as conn:
            rows = await queries.issues_page(
                conn,
                self.organization_id,
                self.numeric_id,
                sort=sort.name,  # the same as its value, typed as the str it is
                first=limit + 1,
                after=after_key,
                search=search,
            )
            total = await queries.issue_count(conn, self.organization_id, self.numeric_id, search)
        edges = [IssueEdge(node=Issue.from_row(row), cursor=issue_cursor(row, sort)) for row in rows[:limit]]
        return IssueConnection(
            edges=edges,
            total_count=total,
            page_info=page_info([e.cursor for e in edges], len(rows) > limit, after),
        )

    @strawberry.field(description="The project's webhooks (their signing secrets are never shown again).")
    async def webhooks(self, info: Info) -> list[Webhook]:
        ctx(info).require_scope(self.organization_id, "project:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.webhooks_of(conn, self.organization_id, self.numeric_id)
        return [Webhook.from_row(row) for row in rows]

    @strawberry.field(description="The project's alert rules: when its issues reach whom.")
    async def alert_rules(
        self, info: Info
    ) -> list[Annotated[AlertRule, strawberry.lazy("stackline.graphql.alerts")]]:
        from stackline.graphql.alerts import alert_rules_of_project

        return await alert_rules_of_project(info, self.organization_id, self.numeric_id)

    @strawberry.field(description="An issue of this project by its short id (`WEB-2`, any case).")
    async def issue_by_short_id(self, info: Info, short_id: str) -> Issue | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.issue_by_short_id(conn, self.organization_id, self.numeric_id, short_id)
        return Issue.from_row(row) if row else None

    @strawberry.field(description="An event of this project by the SDK's event_id.")
    async def event(self, info: Info, event_id: str) -> Event | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.event(
                conn, self.organization_id, self.numeric_id, event_id.replace("-", "").lower()
            )
        return Event.from_row(row) if row else None

    # Served by the analytics store (stackline/graphql/analytics.py). Nullable, so that a
    # process without it (`analytics unavailable: ...`) fails these fields alone, not the project.

    @strawberry.field(
        description="Error events per bucket over the period (zero-filled), from the analytics store."
    )
    async def stats(self, info: Info, period: StatsPeriod) -> list[StatsBucket] | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        return await analytics.stats(info, self.organization_id, self.numeric_id, period)

    @strawberry.field(
        description="Tag keys of the project's errors with counts and top values (all keys, or `keys`)."
    )
    async def tag_facets(
        self, info: Info, keys: list[str] | None = None, top: int = 5
    ) -> list[TagFacet] | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        return await analytics.facets(info, self.organization_id, self.numeric_id, keys, top)

    @strawberry.field(description="Distinct users of the project's errors, from the analytics store.")
    async def user_count(self, info: Info) -> int | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        return await analytics.user_count(info, self.organization_id, self.numeric_id)

    @strawberry.field(
        description="The project's error events, newest first, filtered by `query` in the issue "
        "search syntax (docs/search.md): `release:1.2 !level:error browser:Fire* has:url`, free "
        "text on the title; `is:` and `assigned:` describe issues and are refused by name."
    )
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None, query: str | None = None
    ) -> EventConnection | None:
        ctx(info).require_scope(self.organization_id, "event:read")
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
        edges = [EventEdge(node=Event.from_row(row), cursor=encode_cursor(*key)) for row, key in page]
        return EventConnection(
            edges=edges,
            total_count=total,
            page_info=page_info([e.cursor for e in edges], more, after),
        )

    @strawberry.field(description="Items per day, category, outcome and reason, from the analytics store.")
    async def outcomes(self, info: Info, days: int = 30) -> list[UsageBucket] | None:
        ctx(info).require_scope(self.organization_id, "project:read")
        rows = await analytics.outcomes(info, self.organization_id, self.numeric_id, days)
        return [
            UsageBucket(
                day=r.day, category=r.category, outcome=r.outcome, reason=r.reason, quantity=r.quantity
            )
            for r in rows
        ]


_DATE_SORTS = {IssueSort.LAST_SEEN: "last_seen", IssueSort.FIRST_SEEN: "first_seen"}
_COUNT_SORTS = {IssueSort.FREQ: "times_seen", IssueSort.USERS: "user_count"}


def issue_cursor(row: Row, sort: IssueSort) -> str:
    """(sort, sort value, id) of an issue: a keyset position that only its own sort accepts."""
    if sort in _DATE_SORTS:
        return encode_cursor(sort.value, aware(getattr(row, _DATE_SORTS[sort])).isoformat(), row.id)
    return encode_cursor(sort.value, getattr(row, _COUNT_SORTS[sort]), row.id)


def issue_cursor_key(cursor: list | None, sort: IssueSort) -> tuple[datetime | int, str] | None:
    """The (sort value, id) an issue cursor holds, checked against the sort it is used with."""
    if cursor is None:
        return None
    if len(cursor) != 3 or cursor[0] != sort.value or not isinstance(cursor[2], str):
        raise PublicError("invalid cursor: it belongs to another sort or is not an issue cursor")
    value = cursor[1]
    if sort in _DATE_SORTS:
        try:
            return aware(datetime.fromisoformat(value)), cursor[2]
        except (TypeError, ValueError):
            raise PublicError("invalid cursor") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise PublicError("invalid cursor")
    return value, cursor[2]


@strawberry.type
class Issue(Node):
    short_id: str
    title: str
    culprit: str | None
    level: str
    status: IssueStatus
    substatus: str
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    user_count: int
    first_release: str | None
    last_release: str | None
    assignee: str | None
    version: int = strawberry.field(description="Pass it back as `expectedVersion` when changing the issue.")
    grouping_variant: str = strawberry.field(description="Which grouping rule formed this issue.")
    project_id: strawberry.Private[int]
    issue_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Issue:
        return cls(
            id=strawberry.ID(encode_id("Issue", row.id)),
            short_id=row.short_id,
            title=row.title,
            culprit=row.culprit,
            level=row.level,
            status=IssueStatus(row.status),
            substatus=row.substatus,
            first_seen=aware(row.first_seen),
            last_seen=aware(row.last_seen),
            times_seen=row.times_seen,
            user_count=row.user_count,
            first_release=row.first_release,
            last_release=row.last_release,
            assignee=row.assignee,
            version=row.version,
            grouping_variant=row.grouping_variant,
            project_id=row.project_id,
            issue_id=row.id,
            organization_id=row.organization_id,
        )

    @strawberry.field(description="Tags of the issue's events with their most frequent values.")
    async def tags(self, info: Info, top: int = 5) -> list[TagSummary]:
        context = ctx(info)
        context.require_scope(self.organization_id, "event:read")
        top = max(1, min(top, 50))
        rows = await context.tags_loader().load(self.issue_id) or []
        shown = await personal_keys(info).reveal(self.organization_id, (r.value for r in rows))
        by_key: dict[str, list] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        return [
            TagSummary(
                key=key,
                total_values=sum(r.times_seen for r in values),
                top_values=[
                    TagValue(
                        value=shown.get(r.value, r.value),
                        count=r.times_seen,
                        first_seen=aware(r.first_seen),
                        last_seen=aware(r.last_seen),
                    )
                    for r in values[:top]
                ],
            )
            for key, values in sorted(by_key.items())
        ]

    @strawberry.field(description="Every change of the issue, oldest first: who did what, when.")
    async def activity(self, info: Info) -> list[IssueActivity]:
        context = ctx(info)
        context.require_scope(self.organization_id, "event:read")
        rows = await context.activity_loader().load(self.issue_id) or []
        return [IssueActivity(kind=r.kind, actor=r.actor, at=aware(r.at), data=r.data) for r in rows]

    @strawberry.field(description="Why events are grouped into this issue.")
    async def grouping(self, info: Info) -> GroupingInfo | None:
        context = ctx(info)
        context.require_scope(self.organization_id, "event:read")
        latest = await context.grouping_loader().load(self.issue_id)
        if latest is None:
            return None
        hashes = [row.hash for row in await context.hashes_loader().load(self.issue_id) or ()]
        return GroupingInfo(
            config=latest["config"],
            variant=latest["variant"],
            components=list(latest["components"]),
            hashes=hashes,
        )

    @strawberry.field(description="The assignee as a member of the organization (null when unassigned).")
    async def assigned_to(self, info: Info) -> Member | None:
        ctx(info).require_scope(self.organization_id, "org:read")
        if self.assignee is None:
            return None
        row = await ctx(info).member_loader().load((self.organization_id, self.assignee))
        return Member.from_row(row) if row else None

    @strawberry.field
    async def project(self, info: Info) -> Project:
        ctx(info).require_scope(self.organization_id, "project:read")
        row = await ctx(info).project_loader().load(self.project_id)
        if row is None:
            raise PublicError("project not found")
        return Project.from_row(row)

    @strawberry.field(description="The issue's events, newest first.")
    async def events(self, info: Info, first: int | None = None, after: str | None = None) -> EventConnection:
        context = ctx(info)
        context.require_scope(self.organization_id, "event:read")
        limit = page_size(first)
        cursor = decode_cursor(after)
        if cursor is not None and (len(cursor) != 1 or not isinstance(cursor[0], int)):
            raise PublicError("invalid cursor")
        rows = (
            await context.events_loader().load((self.issue_id, limit + 1, cursor[0] if cursor else None))
            or []
        )
        total = await context.event_count_loader().load(self.issue_id) or 0
        edges = [
            EventEdge(node=Event.from_row(row), cursor=encode_cursor(row.position)) for row in rows[:limit]
        ]
        return EventConnection(
            edges=edges,
            total_count=total,
            page_info=page_info([e.cursor for e in edges], len(rows) > limit, after),
        )

    # Served by the analytics store (stackline/graphql/analytics.py), through the issue's hashes;
    # nullable like the project's.

    @strawberry.field(description="The issue's events per bucket over the period (zero-filled).")
    async def stats(self, info: Info, period: StatsPeriod) -> list[StatsBucket] | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        return await analytics.issue_stats(info, self.organization_id, self.project_id, self.issue_id, period)

    @strawberry.field(
        description="Tag keys of the issue's events with counts and top values, from the analytics "
        "store (all keys, or `keys`)."
    )
    async def tag_facets(
        self, info: Info, keys: list[str] | None = None, top: int = 5
    ) -> list[TagFacet] | None:
        ctx(info).require_scope(self.organization_id, "event:read")
        hashes = await analytics.issue_hashes(info, self.organization_id, self.issue_id)
        return await analytics.facets(info, self.organization_id, self.project_id, keys, top, hashes)


@strawberry.type(description="One frame of a stack trace, oldest call first as Sentry orders them.")
class StackFrame:
    filename: str | None
    abs_path: str | None
    function: str | None
    module: str | None
    lineno: int | None
    colno: int | None
    in_app: bool | None
    context_line: str | None
    pre_context: list[str]
    post_context: list[str]
    mapped: bool = strawberry.field(description="Mapped from minified code through an uploaded source map.")
    minified: StackFrame | None = strawberry.field(
        description="Where a mapped frame was in the minified code, as the SDK sent it."
    )

    @classmethod
    def from_data(cls, frame: dict) -> StackFrame:
        def text(key: str) -> str | None:
            value = frame.get(key)
            return value if isinstance(value, str) else None

        def number(key: str) -> int | None:
            value = frame.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def lines(key: str) -> list[str]:
            value = frame.get(key)
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

        minified = frame.get("minified")
        return cls(
            filename=text("filename"),
            abs_path=text("abs_path"),
            function=text("function"),
            module=text("module"),
            lineno=number("lineno"),
            colno=number("colno"),
            in_app=frame.get("in_app") if isinstance(frame.get("in_app"), bool) else None,
            context_line=text("context_line"),
            pre_context=lines("pre_context"),
            post_context=lines("post_context"),
            mapped=isinstance(minified, dict),
            minified=StackFrame.from_data(minified) if isinstance(minified, dict) else None,
        )


@strawberry.type(description="An exception of an event, with its stack trace.")
class EventException:
    type: str | None
    value: str | None
    module: str | None
    frames: list[StackFrame] = strawberry.field(
        description="The stack trace, each frame mapped through its source map where one is uploaded."
    )
    raw_frames: list[StackFrame] = strawberry.field(description="The stack trace as the SDK sent it.")


@strawberry.type
class Event(Node):
    event_id: str
    timestamp: datetime
    received_at: datetime
    title: str
    message: str | None
    level: str
    platform: str | None
    grouping: JSON = strawberry.field(
        description="Why the event was grouped as it was: config, rule, hash, components."
    )
    stored_tags: strawberry.Private[list[tuple[str, str]]]
    project_id: strawberry.Private[int]
    organization_id: strawberry.Private[str]
    position: strawberry.Private[int]

    @strawberry.field
    async def tags(self, info: Info) -> list[Tag]:
        shown = await personal_keys(info).reveal(self.organization_id, (v for _, v in self.stored_tags))
        return [Tag(key=k, value=shown.get(v, v)) for k, v in self.stored_tags]

    @strawberry.field(description="The event as stored: normalized and scrubbed.")
    async def payload(self, info: Info) -> JSON:
        ctx(info).require_scope(self.organization_id, "event:read")
        return JSON(await ctx(info).payload_loader().load(self.position) or {})

    @strawberry.field(
        description="The event's exceptions and stack traces; JavaScript frames mapped through the "
        "organization's uploaded source maps (the stored payload keeps the minified ones)."
    )
    async def exceptions(self, info: Info) -> list[EventException]:
        ctx(info).require_scope(self.organization_id, "event:read")
        payload = await ctx(info).payload_loader().load(self.position) or {}
        row = await ctx(info).symbolication_loader().load((self.project_id, self.event_id))
        mapped = list(row.exceptions) if row is not None else []
        found = []
        for index, exception in enumerate(exceptions_of(payload)):
            raw = [StackFrame.from_data(frame) for frame in frames_of(exception)]
            frames = mapped[index] if index < len(mapped) and isinstance(mapped[index], list) else None

            def text(key: str, exception: dict = exception) -> str | None:
                value = exception.get(key)
                return value if isinstance(value, str) else None

            found.append(
                EventException(
                    type=text("type"),
                    value=text("value"),
                    module=text("module"),
                    frames=[StackFrame.from_data(f) for f in frames if isinstance(f, dict)]
                    if frames
                    else raw,
                    raw_frames=raw,
                )
            )
        return found

    @strawberry.field(description="Files the SDK attached to this event (minidumps, logs, screenshots, ...).")
    async def attachments(self, info: Info) -> list[Attachment]:
        ctx(info).require_scope(self.organization_id, "event:read")
        rows = await ctx(info).attachments_loader().load((self.project_id, self.event_id)) or []
        return [
            Attachment(
                attachment_id=r.attachment_id,
                filename=r.filename,
                content_type=r.content_type,
                attachment_type=r.attachment_type,
                size=r.size,
                sha256=r.sha256,
                download_path=download_path(r.project_id, r.attachment_id),
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: Row) -> Event:
        return cls(
            id=strawberry.ID(encode_id("Event", f"{row.project_id}:{row.event_id}")),
            event_id=row.event_id,
            timestamp=aware(row.timestamp),
            received_at=aware(row.received_at),
            title=row.title,
            message=row.message,
            level=row.level,
            platform=row.platform,
            stored_tags=[(k, v) for k, v in row.tags],
            grouping=row.grouping,
            project_id=row.project_id,
            organization_id=row.organization_id,
            position=row.position,
        )


@strawberry.type
class IssueEdge:
    node: Issue
    cursor: str


@strawberry.type
class IssueConnection:
    edges: list[IssueEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class EventEdge:
    node: Event
    cursor: str


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo
    total_count: int


# The domain's kinds of issue change (`stackline.domain.issue.ChangeKind`, what `CHANGE_KIND`
# maps each issue event to), under the API's name.
IssueChangeKind = ChangeKind
strawberry.enum(ChangeKind, name="IssueChangeKind")


@strawberry.type
class IssueChange:
    kind: IssueChangeKind
    issue: Issue
    committed_at: datetime | None = strawberry.field(
        default=None, description="When the projector committed this change (the server's clock)."
    )


@strawberry.enum
class WebhookDeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type(description="One issue change owed to a webhook, and how sending it went.")
class WebhookDelivery:
    delivery_id: str = strawberry.field(
        description="The X-Stackline-Delivery header: the same on every attempt."
    )
    event: IssueChangeKind
    issue_id: strawberry.ID = strawberry.field(description="The global id of the issue that changed.")
    status: WebhookDeliveryStatus
    attempts: int
    response_status_code: int | None = strawberry.field(description="The HTTP status of the latest answer.")
    last_error: str | None = strawberry.field(description="Why the latest attempt failed, if it did.")
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(description="When PENDING: the next attempt's time.")
    finished_at: datetime | None
    payload: JSON = strawberry.field(description="The JSON body sent (and signed).")

    @classmethod
    def from_row(cls, row: Row) -> WebhookDelivery:
        return cls(
            delivery_id=row.id,
            event=IssueChangeKind(row.event),
            issue_id=strawberry.ID(encode_id("Issue", row.issue_id)),
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            response_status_code=row.response_status,
            last_error=row.last_error,
            created_at=aware(row.created_at),
            last_attempt_at=aware(row.last_attempt_at) if row.last_attempt_at else None,
            next_attempt_at=datetime.fromtimestamp(row.next_attempt_at, UTC) if row.next_attempt_at else None,
            finished_at=aware(row.finished_at) if row.finished_at else None,
            payload=orjson.loads(row.body),
        )


@strawberry.type
class WebhookDeliveryEdge:
    node: WebhookDelivery
    cursor: str


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="An HTTP endpoint that receives a project's issue changes, signed.")
class Webhook(Node):
    url: str
    events: list[IssueChangeKind] = strawberry.field(description="The issue changes it receives.")
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    project_id: strawberry.Private[int]
    webhook_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Webhook:
        return cls(
            id=strawberry.ID(encode_id("Webhook", row.id)),
            url=row.url,
            events=[IssueChangeKind(kind) for kind in row.events],
            description=row.description,
            is_active=row.is_active,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            project_id=row.project_id,
            webhook_id=row.id,
            organization_id=row.organization_id,
        )

    @strawberry.field
    async def project(self, info: Info) -> Project:
        row = await ctx(info).project_loader().load(self.project_id)
        if row is None:
            raise PublicError("project not found")
        return Project.from_row(row)

    @strawberry.field(description="The delivery log, newest change first.")
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookDeliveryConnection:
        ctx(info).require_scope(self.organization_id, "project:read")
        limit = page_size(first)
        cursor = position_id_cursor(after)
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.deliveries_page(
                conn,
                self.organization_id,
                self.webhook_id,
                first=limit + 1,
                after=cursor,
            )
            total = await queries.delivery_count(conn, self.organization_id, self.webhook_id)
        edges = [
            WebhookDeliveryEdge(node=WebhookDelivery.from_row(r), cursor=encode_cursor(r.position, r.id))
            for r in rows[:limit]
        ]
        return WebhookDeliveryConnection(
            edges=edges,
            total_count=total,
            page_info=page_info([e.cursor for e in edges], len(rows) > limit, after),
        )


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """Any of our objects by global id, or None (also for another organization's)."""
    decoded = decode_id(global_id)
    if decoded is None:
        return None
    type_name, key = decoded
    context = ctx(info)
    context.require_viewer("org:read")
    # Each type is looked up among the organizations where the viewer may read that type.
    async with context.services.engine.connect() as conn:
        if type_name == "Organization":
            row = await queries.organization(conn, context.viewer.orgs("org:read"), key)  # type: ignore[union-attr]
            return Organization.from_row(row) if row else None
        if type_name == "Project" and key.isdigit():
            rows = await queries.projects_by_ids(conn, context.viewer.orgs("project:read"), [int(key)])  # type: ignore[union-attr]
            return Project.from_row(rows[int(key)]) if rows else None
        if type_name == "Issue":
            row = await queries.issue(conn, context.viewer.orgs("event:read"), key)  # type: ignore[union-attr]
            return Issue.from_row(row) if row else None
        if type_name == "Webhook":
            row = await queries.webhook(conn, context.viewer.orgs("project:read"), key)  # type: ignore[union-attr]
            return Webhook.from_row(row) if row else None
        if type_name == "AlertRule":
            from stackline.graphql.alerts import alert_rule_node

            return await alert_rule_node(info, context.viewer.orgs("project:read"), key)  # type: ignore[union-attr]
        if type_name == "Event":
            project_id, _, event_id = key.partition(":")
            if project_id.isdigit():
                row = await queries.event(conn, context.viewer.orgs("event:read"), int(project_id), event_id)  # type: ignore[union-attr]
                return Event.from_row(row) if row else None
    return None
