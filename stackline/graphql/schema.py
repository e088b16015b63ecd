"""The schema's roots: queries, mutations and subscriptions, and the schema object itself.

Each aggregate's module holds its types and its mutations class; `Mutation` combines those
classes by inheritance (their fields appear in the order of the bases), so a new mutation goes
into its aggregate's class, and a new aggregate's class is added to `Mutation`'s bases."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext, Info

from stackline.graphql.alerts import AlertMutations, AlertRule
from stackline.graphql.context import PublicError, ctx, decode_id
from stackline.graphql.erasure import ErasureMutations
from stackline.graphql.events import Event
from stackline.graphql.issues import Issue, IssueChange, IssueChangeKind, IssueMutations
from stackline.graphql.limits import QueryCostLimiter
from stackline.graphql.organizations import ApiTokenKind, Organization, OrganizationMutations, Viewer
from stackline.graphql.permissions import EventRead, IsAuthenticated, OrgRead, ProjectRead
from stackline.graphql.projects import Project, ProjectMutations, ProjectSettingsMutations
from stackline.graphql.relay import Node
from stackline.graphql.webhooks import Webhook, WebhookMutations
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

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Who the API token stands for and the organizations it may see.",
    )
    async def viewer(self, info: Info) -> Viewer:
        viewer = ctx(info).known_viewer
        return Viewer(
            token_id=viewer.token_id,
            kind=ApiTokenKind.PERSONAL if viewer.is_personal else ApiTokenKind.ORGANIZATION,
            email=viewer.user_email,
            scopes=sorted(viewer.scopes),
        )

    @strawberry.field(permission_classes=[OrgRead])
    async def organization(self, info: Info, slug: str) -> Organization | None:
        org_ids = ctx(info).known_viewer.orgs("org:read")
        row = await ctx(info).read(queries.organization_by_slug, org_ids, slug)
        return Organization.from_row(row) if row else None

    @strawberry.field(permission_classes=[ProjectRead])
    async def project(self, info: Info, organization_slug: str, slug: str) -> Project | None:
        org_ids = ctx(info).known_viewer.orgs("project:read")
        row = await ctx(info).read(queries.project_by_slug, org_ids, organization_slug, slug)
        return Project.from_row(row) if row else None

    @strawberry.field(permission_classes=[EventRead])
    async def issue(self, info: Info, id: strawberry.ID) -> Issue | None:
        org_ids = ctx(info).known_viewer.orgs("event:read")
        decoded = decode_id(id, "Issue")
        if decoded is None:
            return None
        row = await ctx(info).read(queries.issue, org_ids, decoded[1])
        return Issue.from_row(row) if row else None


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """Any of our objects by global id, or None (also for another organization's)."""
    decoded = decode_id(global_id)
    if decoded is None:
        return None
    type_name, key = decoded
    context = ctx(info)
    viewer = context.require_viewer("org:read")
    # Each type is looked up among the organizations where the viewer may read that type.
    if type_name == "Organization":
        row = await context.read(queries.organization, viewer.orgs("org:read"), key)
        return Organization.from_row(row) if row else None
    if type_name == "Project" and key.isdigit():
        rows = await context.read(queries.projects_by_ids, viewer.orgs("project:read"), [int(key)])
        return Project.from_row(rows[int(key)]) if rows else None
    if type_name == "Issue":
        row = await context.read(queries.issue, viewer.orgs("event:read"), key)
        return Issue.from_row(row) if row else None
    if type_name == "Webhook":
        row = await context.read(queries.webhook, viewer.orgs("project:read"), key)
        return Webhook.from_row(row) if row else None
    if type_name == "AlertRule":
        from stackline.graphql.alerts import alert_rule_node

        return await alert_rule_node(info, viewer.orgs("project:read"), key)
    if type_name == "Event":
        project_id, _, event_id = key.partition(":")
        if project_id.isdigit():
            row = await context.read(queries.event, viewer.orgs("event:read"), int(project_id), event_id)
            return Event.from_row(row) if row else None
    return None


@strawberry.type
class Mutation(
    AlertMutations,
    WebhookMutations,
    ProjectMutations,
    IssueMutations,
    ProjectSettingsMutations,
    OrganizationMutations,
    ErasureMutations,
):
    """Every aggregate's mutations; the bases' order is the order of the fields in the schema."""


async def _subscribed_project(info: Info, project_id: str) -> tuple[int, str]:
    """The project's numeric id and organization, if the viewer may read its events."""
    org_ids = ctx(info).orgs("event:read")
    decoded = decode_id(project_id, "Project")
    key = decoded[1] if decoded else project_id
    if not key.isdigit():
        raise PublicError("project not found")
    found = await ctx(info).read(queries.projects_by_ids, org_ids, [int(key)])
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
            row = await ctx(info).read(queries.issue, [org_id], change.issue_id)
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
