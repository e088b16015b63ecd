"""The schema's roots: queries, mutations and subscriptions, and the schema object itself."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

from stackline.app.issue_commands import UNSET, IssueUpdate
from stackline.domain.issue import VersionConflict
from stackline.domain.organization import InvalidCommand
from stackline.graphql.context import PublicError, ctx, decode_id
from stackline.graphql.types import (
    Event,
    Issue,
    IssueChange,
    IssueChangeKind,
    IssueStatus,
    Node,
    Organization,
    Project,
    resolve_node,
)
from stackline.projections.issues import issue_id_for
from stackline.readmodels import queries

MAX_DEPTH = 12
MAX_TOKENS = 5000


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field
    async def organization(self, info: Info, slug: str) -> Organization | None:
        viewer = ctx(info).require_viewer("org:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.organization_by_slug(conn, viewer.organization_id, slug)
        return Organization.from_row(row) if row else None

    @strawberry.field
    async def project(self, info: Info, organization_slug: str, slug: str) -> Project | None:
        viewer = ctx(info).require_viewer("project:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.project_by_slug(conn, viewer.organization_id, organization_slug, slug)
        return Project.from_row(row) if row else None

    @strawberry.field
    async def issue(self, info: Info, id: strawberry.ID) -> Issue | None:
        decoded = decode_id(id, "Issue")
        if decoded is None:
            return None
        viewer = ctx(info).require_viewer("event:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.issue(conn, viewer.organization_id, decoded[1])
        return Issue.from_row(row) if row else None


@strawberry.type
class UserError:
    message: str
    field: list[str] | None = None
    code: str | None = strawberry.field(default=None, description="CONFLICT when the object changed since it was read.")


def user_error(error: InvalidCommand, field: list[str] | None = None) -> UserError:
    return UserError(message=str(error), field=field, code="CONFLICT" if isinstance(error, VersionConflict) else None)


@strawberry.input
class UpdateIssueInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description="The issue's `version` when the client read it.")
    status: IssueStatus | None = None
    in_next_release: bool = strawberry.field(default=False, description="With RESOLVED: resolve in the next release.")
    ignore_until_event_count: int | None = strawberry.field(default=None, description="With IGNORED: until N more events.")
    ignore_until_user_count: int | None = strawberry.field(default=None, description="With IGNORED: until N more users.")
    ignore_until: datetime | None = strawberry.field(default=None, description="With IGNORED: until this time.")
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
    target_id: strawberry.ID | None = strawberry.field(default=None, description="Defaults to the first of issueIds.")
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


@strawberry.input
class UpdateProjectSettingsInput:
    organization_slug: str
    project_slug: str
    scrub_data: bool | None = None
    scrub_ip_addresses: bool | None = None
    sensitive_fields: list[str] | None = None
    safe_fields: list[str] | None = None
    allowed_origins: list[str] | None = None
    monthly_event_quota: int | None = strawberry.field(default=None, description="Events per month; see clearMonthlyEventQuota.")
    clear_monthly_event_quota: bool = False


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
class AddMemberInput:
    organization_slug: str
    email: str
    role: str = "member"


@strawberry.type
class AddMemberPayload:
    email: str | None
    user_errors: list[UserError]


async def _change_project(info: Info, viewer, org_slug: str, project_slug: str, change, payload_type):  # noqa: ANN001, ANN202
    """Run a project-changing command in the viewer's organization, then answer with the
    project as the read model shows it after the change."""
    services = ctx(info).services
    async with services.engine.connect() as conn:
        row = await queries.project_by_slug(conn, viewer.organization_id, org_slug, project_slug)
    if row is None:
        return payload_type(project=None, user_errors=[UserError(message="project not found", field=["projectSlug"])])
    try:
        position = await change(services.commands)
    except InvalidCommand as error:
        return payload_type(project=None, user_errors=[user_error(error)])
    if position is not None:
        await services.projector.wait_for(position, 5.0)
    services.lookups.forget_keys()
    return payload_type(project=Project.from_row(row), user_errors=[])


async def _issue_row(info: Info, global_id: str, scope: str):  # noqa: ANN202 - a Row or None
    decoded = decode_id(global_id, "Issue")
    viewer = ctx(info).require_viewer(scope)
    if decoded is None:
        return None
    async with ctx(info).services.engine.connect() as conn:
        return await queries.issue(conn, viewer.organization_id, decoded[1])


async def _fresh_issue(info: Info, issue_id: str, position: int | None) -> Issue | None:
    """The issue as the read model shows it once the projector has applied `position`."""
    services = ctx(info).services
    if position is not None:
        await services.projector.wait_for(position, 5.0)
    async with services.engine.connect() as conn:
        row = await queries.issue(conn, ctx(info).viewer.organization_id, issue_id)  # type: ignore[union-attr]
    return Issue.from_row(row) if row else None


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


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a project (and its first DSN key) in your organization.")
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectPayload:
        context = ctx(info)
        viewer = context.require_viewer("project:write")
        async with context.services.engine.connect() as conn:
            org = await queries.organization_by_slug(conn, viewer.organization_id, input.organization_slug)
        if org is None:
            return CreateProjectPayload(project=None, user_errors=[UserError(message="organization not found", field=["organizationSlug"])])
        try:
            created = await context.services.commands.create_project(
                input.organization_slug, input.slug, input.name or input.slug, input.platform, actor=viewer.token_id
            )
        except InvalidCommand as error:
            return CreateProjectPayload(project=None, user_errors=[UserError(message=str(error), field=["slug"])])
        # Commands never write read models: wait for the projector so the answer can show the project.
        services = context.services
        await services.projector.wait_for(await services.store.head_position(), 5.0)
        async with services.engine.connect() as conn:
            rows = await queries.projects_by_ids(conn, viewer.organization_id, [created.project_id])
        project = Project.from_row(rows[created.project_id]) if rows else None
        return CreateProjectPayload(project=project, user_errors=[])

    @strawberry.mutation(description="Resolve, unresolve, ignore (with conditions), assign or unassign an issue.")
    async def update_issue(self, info: Info, input: UpdateIssueInput) -> UpdateIssuePayload:
        row = await _issue_row(info, input.id, "event:write")
        if row is None:
            return UpdateIssuePayload(issue=None, user_errors=[UserError(message="issue not found", field=["id"])])
        context = ctx(info)
        viewer = context.require_viewer("event:write")
        assignee: object = UNSET
        async with context.services.engine.connect() as conn:
            if input.unassign:
                assignee = None
            elif input.assignee is not None:
                assignee = input.assignee.strip().lower()
                if not await queries.is_member(conn, viewer.organization_id, assignee):
                    return UpdateIssuePayload(issue=None, user_errors=[
                        UserError(message="the assignee is not a member of this organization", field=["assignee"])])
            newest = await queries.newest_release_position(conn, viewer.organization_id, row.project_id)
        change = IssueUpdate(
            status=input.status.value if input.status else None,
            in_next_release=input.in_next_release,
            newest_release_position=newest,
            ignore_until_event_count=input.ignore_until_event_count,
            ignore_until_timestamp=input.ignore_until.timestamp() if input.ignore_until else None,
            ignore_until_user_count=input.ignore_until_user_count,
            assignee=assignee,
        )
        if input.status is IssueStatus.MERGED:
            return UpdateIssuePayload(issue=None, user_errors=[UserError(message="use mergeIssues to merge", field=["status"])])
        try:
            position = await context.services.issue_commands.update(row.id, input.expected_version, change, viewer.token_id)
        except InvalidCommand as error:
            return UpdateIssuePayload(issue=None, user_errors=[user_error(error)])
        return UpdateIssuePayload(issue=await _fresh_issue(info, row.id, position), user_errors=[])

    @strawberry.mutation(description="Merge issues into one: their fingerprints' future events land on the target.")
    async def merge_issues(self, info: Info, input: MergeIssuesInput) -> MergeIssuesPayload:
        ids = list(dict.fromkeys(input.issue_ids))
        target_global = input.target_id or (ids[0] if ids else None)
        if target_global is None or len(set(ids) | {target_global}) < 2:
            return MergeIssuesPayload(issue=None, user_errors=[UserError(message="name at least two issues", field=["issueIds"])])
        rows = {}
        for global_id in {*ids, target_global}:
            row = await _issue_row(info, global_id, "event:write")
            if row is None:
                return MergeIssuesPayload(issue=None, user_errors=[UserError(message=f"issue {global_id} not found", field=["issueIds"])])
            rows[global_id] = row
        target = rows[target_global]
        if len({r.project_id for r in rows.values()}) > 1:
            return MergeIssuesPayload(issue=None, user_errors=[UserError(message="only issues of one project can be merged", field=["issueIds"])])
        versions = {}
        for item in input.expected_versions:
            decoded = decode_id(item.id, "Issue")
            if decoded:
                versions[decoded[1]] = item.version
        viewer = ctx(info).require_viewer("event:write")
        try:
            position = await ctx(info).services.issue_commands.merge(
                [rows[i].id for i in ids if i != target_global], target.id, versions, viewer.token_id)
        except InvalidCommand as error:
            return MergeIssuesPayload(issue=None, user_errors=[user_error(error)])
        return MergeIssuesPayload(issue=await _fresh_issue(info, target.id, position), user_errors=[])

    @strawberry.mutation(description="Split one fingerprint out of a merged issue, back to the issue it first formed.")
    async def unmerge_issue(self, info: Info, input: UnmergeIssueInput) -> UnmergeIssuePayload:
        row = await _issue_row(info, input.issue_id, "event:write")
        if row is None:
            return UnmergeIssuePayload(issue=None, source=None, user_errors=[UserError(message="issue not found", field=["issueId"])])
        viewer = ctx(info).require_viewer("event:write")
        to_issue_id = issue_id_for(row.project_id, input.hash)
        try:
            position = await ctx(info).services.issue_commands.unmerge(
                row.id, input.hash, to_issue_id, input.expected_version, viewer.token_id)
        except InvalidCommand as error:
            return UnmergeIssuePayload(issue=None, source=None, user_errors=[user_error(error, ["hash"])])
        restored = await _fresh_issue(info, to_issue_id, position)
        return UnmergeIssuePayload(issue=restored, source=await _fresh_issue(info, row.id, None), user_errors=[])

    @strawberry.mutation(description="Change a project's scrubbing, allowed origins and monthly quota.")
    async def update_project_settings(self, info: Info, input: UpdateProjectSettingsInput) -> UpdateProjectSettingsPayload:
        viewer = ctx(info).require_viewer("project:write")
        changes = {name: value for name, value in (
            ("scrub_data", input.scrub_data), ("scrub_ip_addresses", input.scrub_ip_addresses),
            ("sensitive_fields", tuple(input.sensitive_fields) if input.sensitive_fields is not None else None),
            ("safe_fields", tuple(input.safe_fields) if input.safe_fields is not None else None),
            ("allowed_origins", tuple(input.allowed_origins) if input.allowed_origins is not None else None),
            ("monthly_event_quota", input.monthly_event_quota),
        ) if value is not None}
        if input.clear_monthly_event_quota:
            changes["monthly_event_quota"] = None
        return await _change_project(info, viewer, input.organization_slug, input.project_slug,
                                     lambda c: c.change_project_settings(input.organization_slug, input.project_slug,
                                                                         changes, viewer.token_id),
                                     UpdateProjectSettingsPayload)

    @strawberry.mutation(description="Enable or disable a DSN key and set its rate limits.")
    async def update_project_key(self, info: Info, input: UpdateProjectKeyInput) -> UpdateProjectKeyPayload:
        viewer = ctx(info).require_viewer("project:write")
        changes = {name: value for name, value in (
            ("is_active", input.is_active), ("rate_limit_per_second", input.rate_limit_per_second),
            ("rate_limit_per_minute", input.rate_limit_per_minute)) if value is not None}
        if input.clear_rate_limits:
            changes.update(rate_limit_per_second=None, rate_limit_per_minute=None)
        return await _change_project(info, viewer, input.organization_slug, input.project_slug,
                                     lambda c: c.change_key_limits(input.organization_slug, input.project_slug,
                                                                   input.public_key, changes, viewer.token_id),
                                     UpdateProjectKeyPayload)

    @strawberry.mutation(description="Add a member (by email) to your organization, e.g. to assign issues to.")
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberPayload:
        context = ctx(info)
        viewer = context.require_viewer("org:write")
        async with context.services.engine.connect() as conn:
            org = await queries.organization_by_slug(conn, viewer.organization_id, input.organization_slug)
        if org is None:
            return AddMemberPayload(email=None, user_errors=[UserError(message="organization not found", field=["organizationSlug"])])
        try:
            position = await context.services.commands.add_member(input.organization_slug, input.email, input.role,
                                                                  actor=viewer.token_id)
        except InvalidCommand as error:
            return AddMemberPayload(email=None, user_errors=[user_error(error, ["email"])])
        if position is not None:
            await context.services.projector.wait_for(position, 5.0)
        return AddMemberPayload(email=input.email.strip().lower(), user_errors=[])


async def _subscribed_project_id(info: Info, project_id: str) -> int:
    viewer = ctx(info).require_viewer("event:read")
    decoded = decode_id(project_id, "Project")
    key = decoded[1] if decoded else project_id
    if not key.isdigit():
        raise PublicError("project not found")
    async with ctx(info).services.engine.connect() as conn:
        found = await queries.projects_by_ids(conn, viewer.organization_id, [int(key)])
    if not found:
        raise PublicError("project not found")
    return int(key)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Issues of a project as they are created or change.")
    async def issue_changes(self, info: Info, project_id: strawberry.ID) -> AsyncGenerator[IssueChange, None]:
        numeric_id = await _subscribed_project_id(info, project_id)
        context = ctx(info)
        org_id = context.require_viewer("event:read").organization_id
        async for change in context.services.bus.subscribe(numeric_id):
            if change.organization_id != org_id:
                continue
            async with context.services.engine.connect() as conn:
                row = await queries.issue(conn, org_id, change.issue_id)
            if row is not None:
                committed_at = datetime.fromtimestamp(change.committed_at, UTC) if change.committed_at is not None else None
                yield IssueChange(kind=IssueChangeKind(change.kind), issue=Issue.from_row(row), committed_at=committed_at)


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, PublicError)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Organization, Project, Issue, Event],
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=_should_mask),
    ],
)
