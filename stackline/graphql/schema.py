"""The schema's roots: queries, mutations and subscriptions, and the schema object itself."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext, Info

from stackline.app.issue_commands import UNSET, IssueUpdate
from stackline.domain.issue import VersionConflict, issue_id_for
from stackline.domain.organization import ALL_SCOPES, InvalidCommand
from stackline.domain.webhook import WebhookConfig
from stackline.graphql.alerts import AlertMutations, AlertRule
from stackline.graphql.context import NotAuthenticated, PublicError, ctx, decode_id
from stackline.graphql.erasure import ErasureMutations
from stackline.graphql.limits import QueryCostLimiter
from stackline.graphql.types import (
    ApiToken,
    ApiTokenKind,
    Event,
    Issue,
    IssueChange,
    IssueChangeKind,
    IssueStatus,
    Member,
    Node,
    Organization,
    Project,
    Webhook,
    resolve_node,
)
from stackline.readmodels import queries

# Errors the client caused, apart from Strawberry's own logger (`strawberry.execution`), which
# keeps the unexpected ones.
client_log = logging.getLogger("stackline.graphql.client_errors")

MAX_DEPTH = 12
MAX_TOKENS = 5000


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Who the API token stands for and the organizations it may see.")
    async def viewer(self, info: Info) -> Viewer:
        viewer = ctx(info).viewer
        if viewer is None:
            raise NotAuthenticated()
        return Viewer(
            token_id=viewer.token_id,
            kind=ApiTokenKind.PERSONAL if viewer.is_personal else ApiTokenKind.ORGANIZATION,
            email=viewer.user_email,
            scopes=sorted(viewer.scopes),
        )

    @strawberry.field
    async def organization(self, info: Info, slug: str) -> Organization | None:
        org_ids = ctx(info).orgs("org:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.organization_by_slug(conn, org_ids, slug)
        return Organization.from_row(row) if row else None

    @strawberry.field
    async def project(self, info: Info, organization_slug: str, slug: str) -> Project | None:
        org_ids = ctx(info).orgs("project:read")
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.project_by_slug(conn, org_ids, organization_slug, slug)
        return Project.from_row(row) if row else None

    @strawberry.field
    async def issue(self, info: Info, id: strawberry.ID) -> Issue | None:
        org_ids = ctx(info).orgs("event:read")
        decoded = decode_id(id, "Issue")
        if decoded is None:
            return None
        async with ctx(info).services.engine.connect() as conn:
            row = await queries.issue(conn, org_ids, decoded[1])
        return Issue.from_row(row) if row else None


@strawberry.type(description="The caller: an organization token, or a person's personal token.")
class Viewer:
    token_id: str
    kind: ApiTokenKind
    email: str | None = strawberry.field(description="The user, for a personal token.")
    scopes: list[str] = strawberry.field(
        description="The token's own scopes (a role may narrow them per organization)."
    )

    @strawberry.field(description="The organizations this token may see.")
    async def organizations(self, info: Info) -> list[Organization]:
        viewer = ctx(info).viewer
        org_ids = viewer.orgs("org:read") if viewer else frozenset()
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.organizations_by_ids(conn, org_ids)
        return [Organization.from_row(row) for row in rows]

    @strawberry.field(description="The personal tokens of this user (personal tokens only).")
    async def personal_tokens(self, info: Info) -> list[ApiToken]:
        viewer = ctx(info).viewer
        if viewer is None or viewer.user_email is None:
            return []
        async with ctx(info).services.engine.connect() as conn:
            rows = await queries.personal_tokens_of(conn, viewer.user_email)
        return [ApiToken.from_row(row) for row in rows]


@strawberry.type
class UserError:
    message: str
    field: list[str] | None = None
    code: str | None = strawberry.field(
        default=None, description="CONFLICT when the object changed since it was read."
    )


def user_error(error: InvalidCommand, field: list[str] | None = None) -> UserError:
    return UserError(
        message=str(error), field=field, code="CONFLICT" if isinstance(error, VersionConflict) else None
    )


def _field_of(error: InvalidCommand) -> list[str] | None:
    """The input field a webhook command's refusal is about (its message starts with it)."""
    first = str(error).split(" ", 1)[0]
    return [first] if first in ("url", "description") else (["events"] if "kind" in str(error) else None)


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
class AddMemberInput:
    organization_slug: str
    email: str
    role: str = "member"


@strawberry.type
class AddMemberPayload:
    email: str | None
    user_errors: list[UserError]


@strawberry.input
class UpdateMemberInput:
    organization_slug: str
    email: str
    role: str = strawberry.field(description="owner, admin or member.")


@strawberry.type
class UpdateMemberPayload:
    member: Member | None
    user_errors: list[UserError]


@strawberry.input
class RemoveMemberInput:
    organization_slug: str
    email: str


@strawberry.type
class RemoveMemberPayload:
    removed_email: str | None
    user_errors: list[UserError]


@strawberry.input
class CreateOrganizationInput:
    slug: str
    name: str | None = None


@strawberry.type
class CreateOrganizationPayload:
    organization: Organization | None
    user_errors: list[UserError]


@strawberry.input
class CreateApiTokenInput:
    label: str
    organization_slug: str | None = strawberry.field(
        default=None, description="For an organization token; omit for a personal token of the caller."
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description="Defaults to every scope the caller holds."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="Never expires when omitted.")


@strawberry.type
class CreateApiTokenPayload:
    token: str | None = strawberry.field(description="The secret: shown this once, only its hash is stored.")
    api_token: ApiToken | None
    user_errors: list[UserError]


@strawberry.input
class RevokeApiTokenInput:
    token_id: str


@strawberry.type
class RevokeApiTokenPayload:
    api_token: ApiToken | None
    user_errors: list[UserError]


async def _change_project(info: Info, viewer, org_slug: str, project_slug: str, change, payload_type):  # noqa: ANN001, ANN202
    """Run a project-changing command in the viewer's organization, then answer with the
    project as the read model shows it after the change."""
    services = ctx(info).services
    async with services.engine.connect() as conn:
        row = await queries.project_by_slug(conn, viewer.orgs("project:write"), org_slug, project_slug)
    if row is None:
        return payload_type(
            project=None, user_errors=[UserError(message="project not found", field=["projectSlug"])]
        )
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
    org_ids = ctx(info).orgs(scope)
    if decoded is None:
        return None
    async with ctx(info).services.engine.connect() as conn:
        return await queries.issue(conn, org_ids, decoded[1])


async def _fresh_issue(info: Info, issue_id: str, position: int | None) -> Issue | None:
    """The issue as the read model shows it once the projector has applied `position`."""
    services = ctx(info).services
    if position is not None:
        await services.projector.wait_for(position, 5.0)
    async with services.engine.connect() as conn:
        row = await queries.issue(conn, ctx(info).viewer.orgs("event:read"), issue_id)  # type: ignore[union-attr]
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


@strawberry.input
class CreateWebhookInput:
    project_id: strawberry.ID
    url: str = strawberry.field(description="An http:// or https:// URL that accepts POSTs.")
    events: list[IssueChangeKind] = strawberry.field(description="The issue changes to send.")
    description: str = ""


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        description="Signs every delivery (X-Stackline-Signature). Shown only here: store it now."
    )
    user_errors: list[UserError]


@strawberry.input
class UpdateWebhookInput:
    id: strawberry.ID
    url: str | None = None
    events: list[IssueChangeKind] | None = None
    description: str | None = None
    is_active: bool | None = strawberry.field(
        default=None, description="An inactive webhook is sent nothing."
    )
    rotate_secret: bool = strawberry.field(default=False, description="Sign from now on with a new secret.")


@strawberry.type
class UpdateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(description="With rotateSecret: the new secret, shown only here.")
    user_errors: list[UserError]


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.type
class DeleteWebhookPayload:
    deleted_webhook_id: strawberry.ID | None
    user_errors: list[UserError]


async def _webhook_row(info: Info, global_id: str):  # noqa: ANN202 - a Row or None
    """The webhook, if it is in an organization where the viewer may change projects."""
    org_ids = ctx(info).orgs("project:write")
    decoded = decode_id(global_id, "Webhook")
    if decoded is None:
        return None
    async with ctx(info).services.engine.connect() as conn:
        return await queries.webhook(conn, org_ids, decoded[1])


async def _fresh_webhook(
    info: Info, organization_id: str, webhook_id: str, position: int | None
) -> Webhook | None:
    """The webhook as the read model shows it once the projector has applied `position`."""
    services = ctx(info).services
    if position is not None:
        await services.projector.wait_for(position, 5.0)
    async with services.engine.connect() as conn:
        row = await queries.webhook(conn, {organization_id}, webhook_id)
    return Webhook.from_row(row) if row else None


@strawberry.type
class Mutation(AlertMutations, ErasureMutations):
    @strawberry.mutation(
        description="Send a project's issue changes to a URL, signed with a secret shown once."
    )
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        context = ctx(info)
        viewer = context.require_viewer("project:write")
        decoded = decode_id(input.project_id, "Project")
        found = {}
        if decoded is not None and decoded[1].isdigit():
            async with context.services.engine.connect() as conn:
                found = await queries.projects_by_ids(conn, viewer.orgs("project:write"), [int(decoded[1])])
        if not found:
            return CreateWebhookPayload(
                webhook=None,
                secret=None,
                user_errors=[UserError(message="project not found", field=["projectId"])],
            )
        project_id, project = next(iter(found.items()))
        config = WebhookConfig(input.url, tuple(kind.value for kind in input.events), input.description)
        try:
            created = await context.services.webhook_commands.create(
                project.organization_id, project_id, config, viewer.actor
            )
        except InvalidCommand as error:
            return CreateWebhookPayload(
                webhook=None, secret=None, user_errors=[user_error(error, _field_of(error))]
            )
        return CreateWebhookPayload(
            webhook=await _fresh_webhook(info, project.organization_id, created.webhook_id, created.position),
            secret=created.secret,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Change a webhook's URL, events, description or activity; or rotate its secret."
    )
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> UpdateWebhookPayload:
        row = await _webhook_row(info, input.id)
        if row is None:
            return UpdateWebhookPayload(
                webhook=None, secret=None, user_errors=[UserError(message="webhook not found", field=["id"])]
            )
        viewer = ctx(info).require_viewer("project:write")
        changes = {
            name: value
            for name, value in (
                ("url", input.url),
                ("description", input.description),
                ("is_active", input.is_active),
                ("events", tuple(kind.value for kind in input.events) if input.events is not None else None),
            )
            if value is not None
        }
        try:
            changed = await ctx(info).services.webhook_commands.change(
                row.id, row.organization_id, changes, input.rotate_secret, viewer.actor
            )
        except InvalidCommand as error:
            return UpdateWebhookPayload(
                webhook=None, secret=None, user_errors=[user_error(error, _field_of(error))]
            )
        return UpdateWebhookPayload(
            webhook=await _fresh_webhook(info, row.organization_id, row.id, changed.position),
            secret=changed.secret,
            user_errors=[],
        )

    @strawberry.mutation(description="Delete a webhook: nothing more is sent to it.")
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
        row = await _webhook_row(info, input.id)
        if row is None:
            return DeleteWebhookPayload(
                deleted_webhook_id=None, user_errors=[UserError(message="webhook not found", field=["id"])]
            )
        viewer = ctx(info).require_viewer("project:write")
        try:
            deleted = await ctx(info).services.webhook_commands.delete(
                row.id, row.organization_id, viewer.actor
            )
        except InvalidCommand as error:
            return DeleteWebhookPayload(deleted_webhook_id=None, user_errors=[user_error(error)])
        if deleted.position is not None:
            await ctx(info).services.projector.wait_for(deleted.position, 5.0)
        return DeleteWebhookPayload(deleted_webhook_id=input.id, user_errors=[])

    @strawberry.mutation(description="Create a project (and its first DSN key) in your organization.")
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectPayload:
        context = ctx(info)
        viewer = context.require_viewer("project:write")
        async with context.services.engine.connect() as conn:
            org = await queries.organization_by_slug(
                conn, viewer.orgs("project:write"), input.organization_slug
            )
        if org is None:
            return CreateProjectPayload(
                project=None,
                user_errors=[UserError(message="organization not found", field=["organizationSlug"])],
            )
        try:
            created = await context.services.commands.create_project(
                input.organization_slug,
                input.slug,
                input.name or input.slug,
                input.platform,
                actor=viewer.actor,
            )
        except InvalidCommand as error:
            return CreateProjectPayload(
                project=None, user_errors=[UserError(message=str(error), field=["slug"])]
            )
        # Commands never write read models: wait for the projector so the answer can show the project.
        services = context.services
        await services.projector.wait_for(await services.store.head_position(), 5.0)
        async with services.engine.connect() as conn:
            rows = await queries.projects_by_ids(conn, [org.id], [created.project_id])
        project = Project.from_row(rows[created.project_id]) if rows else None
        return CreateProjectPayload(project=project, user_errors=[])

    @strawberry.mutation(
        description="Resolve, unresolve, ignore (with conditions), assign or unassign an issue."
    )
    async def update_issue(self, info: Info, input: UpdateIssueInput) -> UpdateIssuePayload:
        row = await _issue_row(info, input.id, "event:write")
        if row is None:
            return UpdateIssuePayload(
                issue=None, user_errors=[UserError(message="issue not found", field=["id"])]
            )
        context = ctx(info)
        viewer = context.require_viewer("event:write")
        assignee: object = UNSET
        async with context.services.engine.connect() as conn:
            if input.unassign:
                assignee = None
            elif input.assignee is not None:
                assignee = input.assignee.strip().lower()
                if not await queries.is_member(conn, row.organization_id, assignee):
                    return UpdateIssuePayload(
                        issue=None,
                        user_errors=[
                            UserError(
                                message="the assignee is not a member of this organization",
                                field=["assignee"],
                            )
                        ],
                    )
            newest = await queries.newest_release_position(conn, row.organization_id, row.project_id)
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
            return UpdateIssuePayload(
                issue=None, user_errors=[UserError(message="use mergeIssues to merge", field=["status"])]
            )
        try:
            position = await context.services.issue_commands.update(
                row.id, input.expected_version, change, viewer.actor
            )
        except InvalidCommand as error:
            return UpdateIssuePayload(issue=None, user_errors=[user_error(error)])
        return UpdateIssuePayload(issue=await _fresh_issue(info, row.id, position), user_errors=[])

    @strawberry.mutation(
        description="Merge issues into one: their fingerprints' future events land on the target."
    )
    async def merge_issues(self, info: Info, input: MergeIssuesInput) -> MergeIssuesPayload:
        ids = list(dict.fromkeys(input.issue_ids))
        target_global = input.target_id or (ids[0] if ids else None)
        if target_global is None or len(set(ids) | {target_global}) < 2:
            return MergeIssuesPayload(
                issue=None, user_errors=[UserError(message="name at least two issues", field=["issueIds"])]
            )
        rows = {}
        for global_id in {*ids, target_global}:
            row = await _issue_row(info, global_id, "event:write")
            if row is None:
                return MergeIssuesPayload(
                    issue=None,
                    user_errors=[UserError(message=f"issue {global_id} not found", field=["issueIds"])],
                )
            rows[global_id] = row
        target = rows[target_global]
        if len({r.project_id for r in rows.values()}) > 1:
            return MergeIssuesPayload(
                issue=None,
                user_errors=[
                    UserError(message="only issues of one project can be merged", field=["issueIds"])
                ],
            )
        versions = {}
        for item in input.expected_versions:
            decoded = decode_id(item.id, "Issue")
            if decoded:
                versions[decoded[1]] = item.version
        viewer = ctx(info).require_viewer("event:write")
        try:
            position = await ctx(info).services.issue_commands.merge(
                [rows[i].id for i in ids if i != target_global], target.id, versions, viewer.actor
            )
        except InvalidCommand as error:
            return MergeIssuesPayload(issue=None, user_errors=[user_error(error)])
        return MergeIssuesPayload(issue=await _fresh_issue(info, target.id, position), user_errors=[])

    @strawberry.mutation(
        description="Split one fingerprint out of a merged issue, back to the issue it first formed."
    )
    async def unmerge_issue(self, info: Info, input: UnmergeIssueInput) -> UnmergeIssuePayload:
        row = await _issue_row(info, input.issue_id, "event:write")
        if row is None:
            return UnmergeIssuePayload(
                issue=None, source=None, user_errors=[UserError(message="issue not found", field=["issueId"])]
            )
        viewer = ctx(info).require_viewer("event:write")
        to_issue_id = issue_id_for(row.project_id, input.hash)
        try:
            position = await ctx(info).services.issue_commands.unmerge(
                row.id, input.hash, to_issue_id, input.expected_version, viewer.actor
            )
        except InvalidCommand as error:
            return UnmergeIssuePayload(issue=None, source=None, user_errors=[user_error(error, ["hash"])])
        restored = await _fresh_issue(info, to_issue_id, position)
        return UnmergeIssuePayload(
            issue=restored, source=await _fresh_issue(info, row.id, None), user_errors=[]
        )

    @strawberry.mutation(description="Change a project's scrubbing, allowed origins and monthly quota.")
    async def update_project_settings(
        self, info: Info, input: UpdateProjectSettingsInput
    ) -> UpdateProjectSettingsPayload:
        viewer = ctx(info).require_viewer("project:write")
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
        return await _change_project(
            info,
            viewer,
            input.organization_slug,
            input.project_slug,
            lambda c: c.change_project_settings(
                input.organization_slug, input.project_slug, changes, viewer.actor
            ),
            UpdateProjectSettingsPayload,
        )

    @strawberry.mutation(description="Enable or disable a DSN key and set its rate limits.")
    async def update_project_key(self, info: Info, input: UpdateProjectKeyInput) -> UpdateProjectKeyPayload:
        viewer = ctx(info).require_viewer("project:write")
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
        return await _change_project(
            info,
            viewer,
            input.organization_slug,
            input.project_slug,
            lambda c: c.change_key_limits(
                input.organization_slug, input.project_slug, input.public_key, changes, viewer.actor
            ),
            UpdateProjectKeyPayload,
        )

    @strawberry.mutation(
        description="Add a member (by email) to your organization, e.g. to assign issues to."
    )
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberPayload:
        context = ctx(info)
        viewer = context.require_viewer("org:write")
        org = await _writable_organization(info, input.organization_slug)
        if org is None:
            return AddMemberPayload(email=None, user_errors=[ORG_NOT_FOUND])
        try:
            position = await context.services.commands.add_member(
                input.organization_slug,
                input.email,
                input.role,
                actor=viewer.actor,
                as_owner=viewer.owns(org.id),
            )
        except InvalidCommand as error:
            return AddMemberPayload(email=None, user_errors=[user_error(error, ["email"])])
        await _settle(info, position)
        return AddMemberPayload(email=input.email.strip().lower(), user_errors=[])

    @strawberry.mutation(
        description="Change a member's role. Only owners make, demote or remove owners; the last owner stays."
    )
    async def update_member(self, info: Info, input: UpdateMemberInput) -> UpdateMemberPayload:
        context = ctx(info)
        viewer = context.require_viewer("org:write")
        org = await _writable_organization(info, input.organization_slug)
        if org is None:
            return UpdateMemberPayload(member=None, user_errors=[ORG_NOT_FOUND])
        email = input.email.strip().lower()
        try:
            position = await context.services.commands.change_member_role(
                input.organization_slug, email, input.role, viewer.actor, as_owner=viewer.owns(org.id)
            )
        except InvalidCommand as error:
            return UpdateMemberPayload(member=None, user_errors=[user_error(error, ["email"])])
        await _settle(info, position)
        async with context.services.engine.connect() as conn:
            row = (await queries.members_by_keys(conn, [org.id], [(org.id, email)])).get((org.id, email))
        return UpdateMemberPayload(member=Member.from_row(row) if row else None, user_errors=[])

    @strawberry.mutation(
        description="Remove a member; their personal tokens lose access to the organization."
    )
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
        context = ctx(info)
        viewer = context.require_viewer("org:write")
        org = await _writable_organization(info, input.organization_slug)
        if org is None:
            return RemoveMemberPayload(removed_email=None, user_errors=[ORG_NOT_FOUND])
        email = input.email.strip().lower()
        try:
            position = await context.services.commands.remove_member(
                input.organization_slug, email, viewer.actor, as_owner=viewer.owns(org.id)
            )
        except InvalidCommand as error:
            return RemoveMemberPayload(removed_email=None, user_errors=[user_error(error, ["email"])])
        await _settle(info, position)
        return RemoveMemberPayload(removed_email=email, user_errors=[])

    @strawberry.mutation(
        description="Create an organization; the caller (a personal token with org:write) becomes its owner."
    )
    async def create_organization(
        self, info: Info, input: CreateOrganizationInput
    ) -> CreateOrganizationPayload:
        context = ctx(info)
        viewer = context.viewer
        if viewer is None:
            raise NotAuthenticated()
        if "org:write" not in viewer.scopes:
            raise PublicError("this API token lacks the 'org:write' scope")
        if not viewer.is_personal:
            raise PublicError("createOrganization needs a personal API token: its user becomes the owner")
        try:
            org = await context.services.commands.create_organization(
                input.slug, input.name or input.slug, actor=viewer.actor, owner=viewer.user_email
            )
        except InvalidCommand as error:
            return CreateOrganizationPayload(organization=None, user_errors=[user_error(error, ["slug"])])
        await _settle(info, await context.services.store.head_position())
        assert org.id is not None  # a created organization has its id
        async with context.services.engine.connect() as conn:
            row = await queries.organization(conn, [org.id], org.id)
        return CreateOrganizationPayload(
            organization=Organization.from_row(row) if row else None, user_errors=[]
        )

    @strawberry.mutation(
        description="Create an API token and show its secret, once. With organizationSlug: an "
        "organization token (owners only); without: a personal token of the caller."
    )
    async def create_api_token(self, info: Info, input: CreateApiTokenInput) -> CreateApiTokenPayload:
        context = ctx(info)
        commands = context.services.commands
        expires_at = input.expires_at.timestamp() if input.expires_at else None
        if input.organization_slug is not None:
            viewer = context.require_viewer("org:write")
            org = await _writable_organization(info, input.organization_slug)
            if org is None:
                return CreateApiTokenPayload(token=None, api_token=None, user_errors=[ORG_NOT_FOUND])
            if not viewer.owns(org.id):
                return CreateApiTokenPayload(
                    token=None,
                    api_token=None,
                    user_errors=[
                        UserError(
                            message="only owners create organization tokens", field=["organizationSlug"]
                        )
                    ],
                )
            held = viewer.grants[org.id]
        else:
            caller = context.viewer
            if caller is None:
                raise NotAuthenticated()
            viewer = caller
            if not viewer.is_personal:
                return CreateApiTokenPayload(
                    token=None,
                    api_token=None,
                    user_errors=[
                        UserError(
                            message=(
                                "a personal token is created with a personal token (or `stackline token`)"
                            ),
                            field=["organizationSlug"],
                        )
                    ],
                )
            held = viewer.scopes
        scopes = [s for s in ALL_SCOPES if s in held] if input.scopes is None else list(input.scopes)
        beyond = sorted((set(scopes) & set(ALL_SCOPES)) - held)
        if beyond:
            return CreateApiTokenPayload(
                token=None,
                api_token=None,
                user_errors=[
                    UserError(
                        message=f"cannot grant scopes the caller does not hold: {', '.join(beyond)}",
                        field=["scopes"],
                    )
                ],
            )
        try:
            if input.organization_slug is not None:
                issued = await commands.issue_token(
                    input.organization_slug, input.label, scopes, viewer.actor, expires_at
                )
            else:
                assert viewer.user_email is not None  # checked above: a personal token
                issued = await commands.issue_personal_token(
                    viewer.user_email, input.label, scopes, expires_at, viewer.actor
                )
        except InvalidCommand as error:
            return CreateApiTokenPayload(
                token=None, api_token=None, user_errors=[user_error(error, ["scopes"])]
            )
        await _settle(info, issued.position)
        async with context.services.engine.connect() as conn:
            row = await queries.api_token(conn, issued.token_id)
        return CreateApiTokenPayload(
            token=issued.token, api_token=ApiToken.from_row(row) if row else None, user_errors=[]
        )

    @strawberry.mutation(
        description="Revoke an API token: your own personal token, or (owners) an organization token."
    )
    async def revoke_api_token(self, info: Info, input: RevokeApiTokenInput) -> RevokeApiTokenPayload:
        context = ctx(info)
        viewer = context.viewer
        if viewer is None:
            raise NotAuthenticated()
        async with context.services.engine.connect() as conn:
            row = await queries.api_token(conn, input.token_id)
        mine = row is not None and (
            (row.user_email is not None and row.user_email == viewer.user_email)
            or (row.organization_id is not None and viewer.owns(row.organization_id))
        )
        if row is None or not mine:
            return RevokeApiTokenPayload(
                api_token=None, user_errors=[UserError(message="token not found", field=["tokenId"])]
            )
        try:
            if row.user_email is not None:
                position = await context.services.commands.revoke_token(
                    row.token_id, email=row.user_email, actor=viewer.actor
                )
            else:
                async with context.services.engine.connect() as conn:
                    org = await queries.organization(conn, [row.organization_id], row.organization_id)
                if org is None:  # the token's organization is not in the read model yet
                    return RevokeApiTokenPayload(
                        api_token=None, user_errors=[UserError(message="token not found", field=["tokenId"])]
                    )
                position = await context.services.commands.revoke_token(
                    row.token_id, org_slug=org.slug, actor=viewer.actor
                )
        except InvalidCommand as error:
            return RevokeApiTokenPayload(api_token=None, user_errors=[user_error(error, ["tokenId"])])
        await _settle(info, position)
        async with context.services.engine.connect() as conn:
            row = await queries.api_token(conn, input.token_id)
        return RevokeApiTokenPayload(api_token=ApiToken.from_row(row) if row else None, user_errors=[])


ORG_NOT_FOUND = UserError(message="organization not found", field=["organizationSlug"])


async def _writable_organization(info: Info, slug: str):  # noqa: ANN202 - a Row or None
    """The organization by slug, if the viewer holds org:write there (else None, as for a missing one)."""
    async with ctx(info).services.engine.connect() as conn:
        return await queries.organization_by_slug(conn, ctx(info).orgs("org:write"), slug)


async def _settle(info: Info, position: int | None) -> None:
    """After a command: wait until the read models show it, and forget cached viewers here (their
    memberships or tokens may have changed; other processes follow within the cache's lifetime)."""
    context = ctx(info)
    services = context.services
    if position is not None:
        await services.projector.wait_for(position, 5.0)
    services.lookups.forget_tokens()
    if context.token is not None:  # the payload is resolved with what the caller may do now
        context.viewer = await services.lookups.viewer(context.token)
        context.loaders.clear()


async def _subscribed_project(info: Info, project_id: str) -> tuple[int, str]:
    """The project's numeric id and organization, if the viewer may read its events."""
    org_ids = ctx(info).orgs("event:read")
    decoded = decode_id(project_id, "Project")
    key = decoded[1] if decoded else project_id
    if not key.isdigit():
        raise PublicError("project not found")
    async with ctx(info).services.engine.connect() as conn:
        found = await queries.projects_by_ids(conn, org_ids, [int(key)])
    if not found:
        raise PublicError("project not found")
    return int(key), found[int(key)].organization_id


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Issues of a project as they are created or change.")
    async def issue_changes(self, info: Info, project_id: strawberry.ID) -> AsyncGenerator[IssueChange, None]:
        numeric_id, org_id = await _subscribed_project(info, project_id)
        context = ctx(info)
        async for change in context.services.bus.subscribe(numeric_id):
            if change.organization_id != org_id:
                continue
            # The token is looked up again (cached briefly): a revoked or expired token, or a
            # member removed or demoted meanwhile, stops receiving. A stream shared by several
            # websockets runs without a token; each member is checked as it is delivered to
            # (stackline/graphql/fanout.py).
            if context.token is not None:
                viewer = await context.services.lookups.viewer(context.token)
                if viewer is None or not viewer.can(org_id, "event:read"):
                    raise PublicError("this API token no longer has access to this project")
            async with context.services.engine.connect() as conn:
                row = await queries.issue(conn, [org_id], change.issue_id)
            if row is not None:
                committed_at = (
                    datetime.fromtimestamp(change.committed_at, UTC)
                    if change.committed_at is not None
                    else None
                )
                yield IssueChange(
                    kind=IssueChangeKind(change.kind), issue=Issue.from_row(row), committed_at=committed_at
                )


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, PublicError)


def _is_client_mistake(error: GraphQLError) -> bool:
    """A bad query, a missing scope, a refused search: the client's to fix, not ours."""
    return error.original_error is None or isinstance(error.original_error, PublicError)


class Schema(strawberry.Schema):
    """Client mistakes are logged at INFO without a traceback; everything else at ERROR with
    one (Strawberry's default logs every error at ERROR with a traceback)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = []
        for error in errors:
            if _is_client_mistake(error):
                client_log.info("GraphQL error for the client: %s (path %s)", error.message, error.path)
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Organization, Project, Issue, Event, Webhook, AlertRule],
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: QueryCostLimiter(),
        lambda: MaskErrors(should_mask_error=_should_mask),
    ],
)
