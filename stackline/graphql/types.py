"""GraphQL object types and their relation resolvers (Relay conventions: Node, connections).

Types are built from read-model rows; relations are resolved through the context's loaders
and queries, which always filter by the viewer's organization.
"""

from __future__ import annotations

import base64
import enum
from datetime import UTC, datetime, timedelta


import orjson
import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from stackline.graphql.context import PublicError, ctx, decode_id, encode_id
from stackline.readmodels import queries
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import attachments as attachments_table
from stackline.readmodels.schema import transactions as transactions_table

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


@strawberry.enum
class IssueSort(enum.Enum):
    LAST_SEEN = "LAST_SEEN"
    FIRST_SEEN = "FIRST_SEEN"
    FREQ = "FREQ"


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
    variant: str = strawberry.field(description="The rule that matched: custom-fingerprint, in-app-stacktrace, ...")
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
    category: str = strawberry.field(description="error, transaction, attachment, session, monitor, feedback, ...")
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
class Organization(Node):
    slug: str
    name: str

    @classmethod
    def from_row(cls, row: Row) -> Organization:
        return cls(id=strawberry.ID(encode_id("Organization", row.id)), slug=row.slug, name=row.name)

    @strawberry.field
    async def projects(self, info: Info) -> list[Project]:
        viewer = ctx(info).require_viewer("project:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.projects_of(conn, viewer.organization_id)
        return [Project.from_row(row) for row in rows]


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
        viewer = context.require_viewer("project:read")
        async with context.services.engine.connect() as conn:
            key = await queries.public_key_of(conn, viewer.organization_id, self.numeric_id)
        if key is None:
            raise PublicError("this project has no active key")
        return dsn_for(info, key, self.numeric_id)

    @strawberry.field
    async def settings(self, info: Info) -> ProjectSettings:
        viewer = ctx(info).require_viewer("project:read")
        async with ctx(info).services.engine.connect() as conn:
            row = (await queries.projects_by_ids(conn, viewer.organization_id, [self.numeric_id]))[self.numeric_id]
        return ProjectSettings(scrub_data=row.scrub_data, scrub_ip_addresses=row.scrub_ip_addresses,
                               sensitive_fields=list(row.sensitive_fields), safe_fields=list(row.safe_fields),
                               allowed_origins=list(row.allowed_origins), monthly_event_quota=row.monthly_event_quota)

    @strawberry.field(description="The project's DSN keys with their rate limits.")
    async def keys(self, info: Info) -> list[ProjectKey]:
        viewer = ctx(info).require_viewer("project:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.project_keys_of(conn, viewer.organization_id, self.numeric_id)
        return [ProjectKey(public_key=r.public_key, dsn=dsn_for(info, r.public_key, self.numeric_id),
                           is_active=r.is_active, rate_limit_per_second=r.rate_limit_per_second,
                           rate_limit_per_minute=r.rate_limit_per_minute) for r in rows]

    @strawberry.field(description="Items per day, data category, outcome and reason (the quota read model).")
    async def usage(self, info: Info, days: int = 30) -> list[UsageBucket]:
        viewer = ctx(info).require_viewer("project:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.usage_of(conn, viewer.organization_id, self.numeric_id, since_day(days))
        return [UsageBucket(day=r.day, category=r.category, outcome=r.outcome, reason=r.reason,
                            quantity=r.quantity) for r in rows]

    @strawberry.field(description="Performance transactions, newest first.")
    async def transactions(self, info: Info, first: int | None = None, after: str | None = None) -> TransactionConnection:
        viewer = ctx(info).require_viewer("event:read")
        limit = page_size(first)
        cursor = decode_cursor(after)
        if cursor is not None and (len(cursor) != 1 or not isinstance(cursor[0], int)):
            raise PublicError("invalid cursor")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.transactions_page(conn, viewer.organization_id, self.numeric_id, first=limit + 1,
                                                   after=cursor[0] if cursor else None)
            total = await queries.count_of(conn, transactions_table, viewer.organization_id, self.numeric_id)
        edges = [TransactionEdge(node=Transaction(
            event_id=r.event_id, name=r.name, op=r.op, status=r.status, duration_ms=r.duration_ms,
            timestamp=aware(r.timestamp), trace_id=r.trace_id, release=r.release, environment=r.environment),
            cursor=encode_cursor(r.position)) for r in rows[:limit]]
        return TransactionConnection(edges=edges, total_count=total, page_info=PageInfo(
            has_next_page=len(rows) > limit, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Release-health session counts per day, release, environment and status.")
    async def sessions(self, info: Info, days: int = 30) -> list[SessionBucket]:
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.sessions_of(conn, viewer.organization_id, self.numeric_id, since_day(days))
        return [SessionBucket(day=r.day, release=r.release, environment=r.environment, status=r.status,
                              quantity=r.quantity, errors=r.errors) for r in rows]

    @strawberry.field(description="Cron monitor check-ins, newest first.")
    async def check_ins(self, info: Info, first: int | None = None) -> list[CheckIn]:
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.check_ins_of(conn, viewer.organization_id, self.numeric_id, page_size(first))
        return [CheckIn(check_in_id=r.check_in_id, monitor_slug=r.monitor_slug, status=r.status, duration=r.duration,
                        environment=r.environment, first_received=aware(r.first_received),
                        last_received=aware(r.last_received)) for r in rows]

    @strawberry.field(description="User feedback and user reports, newest first.")
    async def feedback(self, info: Info, first: int | None = None) -> list[Feedback]:
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.feedback_of(conn, viewer.organization_id, self.numeric_id, page_size(first))
        return [Feedback(feedback_id=r.feedback_id, associated_event_id=r.associated_event_id, name=r.name,
                         email=r.email, comments=r.comments, received_at=aware(r.received_at)) for r in rows]

    @strawberry.field
    async def attachment_count(self, info: Info) -> int:
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            return await queries.count_of(conn, attachments_table, viewer.organization_id, self.numeric_id)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        viewer = ctx(info).require_viewer("org:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.organization(conn, viewer.organization_id, self.organization_id)
        if row is None:
            raise PublicError("organization not found")
        return Organization.from_row(row)

    @strawberry.field(description="The project's issues, most recently seen first by default.")
    async def issues(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        sort: IssueSort = IssueSort.LAST_SEEN,
    ) -> IssueConnection:
        context = ctx(info)
        viewer = context.require_viewer("event:read")
        limit = page_size(first)
        cursor = decode_cursor(after)
        after_key = None
        if cursor is not None:
            if len(cursor) != 2:
                raise PublicError("invalid cursor")
            value = datetime.fromisoformat(cursor[0]) if sort is not IssueSort.FREQ else cursor[0]
            after_key = (value, cursor[1])
        async with context.services.engine.connect() as conn:
            rows = await queries.issues_page(
                conn, viewer.organization_id, self.numeric_id, sort=sort.value, first=limit + 1, after=after_key
            )
            total = await queries.issue_count(conn, viewer.organization_id, self.numeric_id)
        edges = [IssueEdge(node=Issue.from_row(row), cursor=issue_cursor(row, sort)) for row in rows[:limit]]
        return IssueConnection(
            edges=edges,
            total_count=total,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="An event of this project by the SDK's event_id.")
    async def event(self, info: Info, event_id: str) -> Event | None:
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.event(
                conn, viewer.organization_id, self.numeric_id, event_id.replace("-", "").lower()
            )
        return Event.from_row(row) if row else None


def issue_cursor(row: Row, sort: IssueSort) -> str:
    value = {
        IssueSort.LAST_SEEN: lambda: aware(row.last_seen).isoformat(),
        IssueSort.FIRST_SEEN: lambda: aware(row.first_seen).isoformat(),
        IssueSort.FREQ: lambda: row.times_seen,
    }[sort]()
    return encode_cursor(value, row.id)


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
        viewer = context.require_viewer("event:read")
        top = max(1, min(top, 50))
        async with context.services.engine.connect() as conn:
            rows = await queries.tags_of(conn, viewer.organization_id, self.issue_id)
        by_key: dict[str, list] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(row)
        return [
            TagSummary(
                key=key,
                total_values=sum(r.times_seen for r in values),
                top_values=[TagValue(value=r.value, count=r.times_seen, first_seen=aware(r.first_seen),
                                     last_seen=aware(r.last_seen)) for r in values[:top]],
            )
            for key, values in sorted(by_key.items())
        ]

    @strawberry.field(description="Every change of the issue, oldest first: who did what, when.")
    async def activity(self, info: Info) -> list[IssueActivity]:
        context = ctx(info)
        viewer = context.require_viewer("event:read")
        async with context.services.engine.connect() as conn:
            rows = await queries.activity_of(conn, viewer.organization_id, self.issue_id)
        return [IssueActivity(kind=r.kind, actor=r.actor, at=aware(r.at), data=r.data) for r in rows]

    @strawberry.field(description="Why events are grouped into this issue.")
    async def grouping(self, info: Info) -> GroupingInfo | None:
        context = ctx(info)
        viewer = context.require_viewer("event:read")
        async with context.services.engine.connect() as conn:
            latest = await queries.latest_event_grouping(conn, viewer.organization_id, self.issue_id)
            hashes = await queries.issue_hashes_of(conn, viewer.organization_id, self.issue_id)
        if latest is None:
            return None
        return GroupingInfo(config=latest["config"], variant=latest["variant"],
                            components=list(latest["components"]), hashes=hashes)

    @strawberry.field
    async def project(self, info: Info) -> Project:
        row = await ctx(info).project_loader().load(self.project_id)
        if row is None:
            raise PublicError("project not found")
        return Project.from_row(row)

    @strawberry.field(description="The issue's events, newest first.")
    async def events(self, info: Info, first: int | None = None, after: str | None = None) -> EventConnection:
        context = ctx(info)
        viewer = context.require_viewer("event:read")
        limit = page_size(first)
        cursor = decode_cursor(after)
        if cursor is not None and (len(cursor) != 1 or not isinstance(cursor[0], int)):
            raise PublicError("invalid cursor")
        async with context.services.engine.connect() as conn:
            rows = await queries.events_page(
                conn, viewer.organization_id, self.issue_id, first=limit + 1, after=cursor[0] if cursor else None
            )
            total = await queries.event_count(conn, viewer.organization_id, self.issue_id)
        edges = [EventEdge(node=Event.from_row(row), cursor=encode_cursor(row.position)) for row in rows[:limit]]
        return EventConnection(
            edges=edges,
            total_count=total,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class Event(Node):
    event_id: str
    timestamp: datetime
    received_at: datetime
    title: str
    message: str | None
    level: str
    platform: str | None
    tags: list[Tag]
    payload: JSON = strawberry.field(description="The event as stored: normalized and scrubbed.")
    grouping: JSON = strawberry.field(description="Why the event was grouped as it was: config, rule, hash, components.")
    project_id: strawberry.Private[int]

    @strawberry.field(description="Files the SDK attached to this event (minidumps, logs, screenshots, ...).")
    async def attachments(self, info: Info) -> list[Attachment]:
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.attachments_of(conn, viewer.organization_id, self.project_id, self.event_id)
        return [Attachment(attachment_id=r.attachment_id, filename=r.filename, content_type=r.content_type,
                           attachment_type=r.attachment_type, size=r.size, sha256=r.sha256) for r in rows]

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
            tags=[Tag(key=k, value=v) for k, v in row.tags],
            payload=row.payload,
            grouping=row.grouping,
            project_id=row.project_id,
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


@strawberry.enum
class IssueChangeKind(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    REGRESSED = "REGRESSED"
    RESOLVED = "RESOLVED"
    IGNORED = "IGNORED"
    ASSIGNED = "ASSIGNED"
    MERGED = "MERGED"
    UNMERGED = "UNMERGED"


@strawberry.type
class IssueChange:
    kind: IssueChangeKind
    issue: Issue
    committed_at: datetime | None = strawberry.field(
        default=None, description="When the projector committed this change (the server's clock).")


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """Any of our objects by global id, or None (also for another organization's)."""
    decoded = decode_id(global_id)
    if decoded is None:
        return None
    type_name, key = decoded
    context = ctx(info)
    org_id = context.require_viewer("org:read").organization_id
    async with context.services.engine.connect() as conn:
        if type_name == "Organization":
            row = await queries.organization(conn, org_id, key)
            return Organization.from_row(row) if row else None
        if type_name == "Project" and key.isdigit():
            rows = await queries.projects_by_ids(conn, org_id, [int(key)])
            return Project.from_row(rows[int(key)]) if rows else None
        if type_name == "Issue":
            row = await queries.issue(conn, org_id, key)
            return Issue.from_row(row) if row else None
        if type_name == "Event":
            project_id, _, event_id = key.partition(":")
            if project_id.isdigit():
                row = await queries.event(conn, org_id, int(project_id), event_id)
                return Event.from_row(row) if row else None
    return None


