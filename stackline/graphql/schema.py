"""The schema's roots: queries, mutations and subscriptions, and the schema object itself."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

from stackline.domain.organization import InvalidCommand
from stackline.graphql.context import PublicError, ctx, decode_id
from stackline.graphql.types import (
    Event,
    Issue,
    IssueChange,
    IssueChangeKind,
    Node,
    Organization,
    Project,
    resolve_node,
)
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
            return CreateProjectPayload(project=None, user_errors=[UserError("organization not found", ["organizationSlug"])])
        try:
            created = await context.services.commands.create_project(
                input.organization_slug, input.slug, input.name or input.slug, input.platform, actor=viewer.token_id
            )
        except InvalidCommand as error:
            return CreateProjectPayload(project=None, user_errors=[UserError(str(error), ["slug"])])
        # Commands never write read models: wait for the projector so the answer can show the project.
        services = context.services
        await services.projector.wait_for(await services.store.head_position(), 5.0)
        async with services.engine.connect() as conn:
            rows = await queries.projects_by_ids(conn, viewer.organization_id, [created.project_id])
        project = Project.from_row(rows[created.project_id]) if rows else None
        return CreateProjectPayload(project=project, user_errors=[])


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
                yield IssueChange(kind=IssueChangeKind(change.kind), issue=Issue.from_row(row))


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, PublicError)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Organization, Project, Issue, Event],
    extensions=[
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
        MaskErrors(should_mask_error=_should_mask),
    ],
)
