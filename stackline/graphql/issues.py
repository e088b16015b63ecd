"""Issues in GraphQL: `Issue` with its tags, activity and grouping, the issue connection and its
per-sort cursors, the live `IssueChange`, and the mutations that update, merge and unmerge issues
(`IssueMutations`, part of the schema's `Mutation`).

Mutations append through `stackline/app/issue_commands.py` and answer with the issue as the read
model shows it once the projector has applied the change. Never writes read models."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from stackline.domain.issue import ChangeKind
from stackline.graphql import analytics
from stackline.graphql.analytics import StatsBucket, StatsPeriod, TagFacet
from stackline.graphql.context import PublicError, ctx, encode_id, key_of, personal_keys
from stackline.graphql.events import Event
from stackline.graphql.organizations import Member
from stackline.graphql.payloads import UserError, user_errors
from stackline.graphql.permissions import EventRead, EventWrite, OrgRead, ProjectRead
from stackline.graphql.relay import (
    Connection,
    Node,
    connection,
    encode_cursor,
    forward_page,
    page_size,
    position_cursor,
)
from stackline.readmodels.queries import aware
from stackline.usecases import issues as usecases

if TYPE_CHECKING:
    from stackline.graphql.projects import Project


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

    @strawberry.field(
        permission_classes=[EventRead],
        description="Tags of the issue's events with their most frequent values.",
    )
    async def tags(self, info: Info, top: int = 5) -> list[TagSummary]:
        context = ctx(info)
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

    @strawberry.field(
        permission_classes=[EventRead],
        description="Every change of the issue, oldest first: who did what, when.",
    )
    async def activity(self, info: Info) -> list[IssueActivity]:
        context = ctx(info)
        rows = await context.activity_loader().load(self.issue_id) or []
        return [IssueActivity(kind=r.kind, actor=r.actor, at=aware(r.at), data=r.data) for r in rows]

    @strawberry.field(permission_classes=[EventRead], description="Why events are grouped into this issue.")
    async def grouping(self, info: Info) -> GroupingInfo | None:
        context = ctx(info)
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

    @strawberry.field(
        permission_classes=[OrgRead],
        description="The assignee as a member of the organization (null when unassigned).",
    )
    async def assigned_to(self, info: Info) -> Member | None:
        if self.assignee is None:
            return None
        row = await ctx(info).member_loader().load((self.organization_id, self.assignee))
        return Member.from_row(row) if row else None

    @strawberry.field(permission_classes=[ProjectRead])
    async def project(self, info: Info) -> Annotated[Project, strawberry.lazy("stackline.graphql.projects")]:
        from stackline.graphql.projects import Project

        row = await ctx(info).project_loader().load(self.project_id)
        if row is None:
            raise PublicError("project not found")
        return Project.from_row(row)

    @strawberry.field(permission_classes=[EventRead], description="The issue's events, newest first.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Event]:
        context = ctx(info)
        limit = page_size(first)
        before = position_cursor(after)
        rows = await context.events_loader().load((self.issue_id, limit + 1, before)) or []
        total = await context.event_count_loader().load(self.issue_id) or 0
        edges, more = forward_page(rows, limit, Event.from_row, lambda row: encode_cursor(row.position))
        return connection(edges, more, after, total)

    # Served by the analytics store (stackline/graphql/analytics.py), through the issue's hashes;
    # nullable like the project's.

    @strawberry.field(
        permission_classes=[EventRead],
        description="The issue's events per bucket over the period (zero-filled).",
    )
    async def stats(self, info: Info, period: StatsPeriod) -> list[StatsBucket] | None:
        return await analytics.issue_stats(info, self.organization_id, self.project_id, self.issue_id, period)

    @strawberry.field(
        permission_classes=[EventRead],
        description="Tag keys of the issue's events with counts and top values, from the analytics "
        "store (all keys, or `keys`).",
    )
    async def tag_facets(
        self, info: Info, keys: list[str] | None = None, top: int = 5
    ) -> list[TagFacet] | None:
        hashes = await analytics.issue_hashes(info, self.organization_id, self.issue_id)
        return await analytics.facets(info, self.organization_id, self.project_id, keys, top, hashes)


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


@strawberry.input
class UpdateIssueInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description="The issue's `version` when the client read it.")
    status: IssueStatus | None = None
    in_next_release: bool = strawberry.field(
        default=False, description="With RESOLVED: resolve in the next release."
    )
    ignore_until_event_count: int | None = strawberry.field(
        default=None, description="With IGNORED: until N more events."
    )
    ignore_until_user_count: int | None = strawberry.field(
        default=None, description="With IGNORED: until N more users."
    )
    ignore_until: datetime | None = strawberry.field(
        default=None, description="With IGNORED: until this time."
    )
    assignee: str | None = strawberry.field(default=None, description="A member's email.")
    unassign: bool = False


@strawberry.type
class UpdateIssuePayload:
    issue: Issue | None
    user_errors: list[UserError]


@strawberry.input
class IssueVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input
class MergeIssuesInput:
    issue_ids: list[strawberry.ID]
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the first of issueIds."
    )
    expected_versions: list[IssueVersionInput] = strawberry.field(default_factory=list)


@strawberry.type
class MergeIssuesPayload:
    issue: Issue | None
    user_errors: list[UserError]


@strawberry.input
class UnmergeIssueInput:
    issue_id: strawberry.ID
    hash: str = strawberry.field(description="One of the issue's `grouping.hashes` to split out again.")
    expected_version: int


@strawberry.type
class UnmergeIssuePayload:
    issue: Issue | None = strawberry.field(description="The issue the fingerprint returned to.")
    source: Issue | None = strawberry.field(description="The issue it was split out of.")
    user_errors: list[UserError]


def _issue_of(row: Row | None) -> Issue | None:
    return Issue.from_row(row) if row else None


@strawberry.type
class IssueMutations:
    """Each mutation decodes its ids and calls its use case in `stackline/usecases/issues.py`."""

    @strawberry.mutation(
        permission_classes=[EventWrite],
        description="Resolve, unresolve, ignore (with conditions), assign or unassign an issue.",
    )
    async def update_issue(self, info: Info, input: UpdateIssueInput) -> UpdateIssuePayload:
        context = ctx(info)
        request = usecases.IssueChangeRequest(
            status=input.status.value if input.status else None,
            in_next_release=input.in_next_release,
            ignore_until_event_count=input.ignore_until_event_count,
            ignore_until_user_count=input.ignore_until_user_count,
            ignore_until=input.ignore_until,
            assignee=input.assignee,
            unassign=input.unassign,
        )
        answer = await usecases.update_issue(
            context.services, context.known_viewer, key_of(input.id, "Issue"), input.expected_version, request
        )
        return UpdateIssuePayload(issue=_issue_of(answer.issue), user_errors=user_errors(answer.refusal))

    @strawberry.mutation(
        description="Merge issues into one: their fingerprints' future events land on the target."
    )
    async def merge_issues(self, info: Info, input: MergeIssuesInput) -> MergeIssuesPayload:
        labels = list(dict.fromkeys(input.issue_ids))
        target = input.target_id or (labels[0] if labels else None)
        refusal = usecases.merge_refusal(labels, target)
        if refusal is not None or target is None:
            return MergeIssuesPayload(issue=None, user_errors=user_errors(refusal))
        # The scope is checked after the input, as it always was: a client learns first that
        # it named fewer than two issues.
        context = ctx(info)
        org_ids = context.orgs("event:write")
        versions = {}
        for item in input.expected_versions:
            key = key_of(item.id, "Issue")
            if key:
                versions[key] = item.version
        answer = await usecases.merge_issues(
            context.services,
            context.known_viewer,
            org_ids,
            {label: key_of(label, "Issue") for label in {*labels, target}},
            [label for label in labels if label != target],
            target,
            versions,
        )
        return MergeIssuesPayload(issue=_issue_of(answer.issue), user_errors=user_errors(answer.refusal))

    @strawberry.mutation(
        permission_classes=[EventWrite],
        description="Split one fingerprint out of a merged issue, back to the issue it first formed.",
    )
    async def unmerge_issue(self, info: Info, input: UnmergeIssueInput) -> UnmergeIssuePayload:
        context = ctx(info)
        answer = await usecases.unmerge_issue(
            context.services,
            context.known_viewer,
            key_of(input.issue_id, "Issue"),
            input.hash,
            input.expected_version,
        )
        return UnmergeIssuePayload(
            issue=_issue_of(answer.issue),
            source=_issue_of(answer.source),
            user_errors=user_errors(answer.refusal),
        )
