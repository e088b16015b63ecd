"""Organizations, members and API tokens in GraphQL: `Organization`, `Member`, `ApiToken`, the
caller (`Viewer`), and the mutations that add, change and remove members, create organizations
and create or revoke tokens (`OrganizationMutations`, part of the schema's `Mutation`).

Mutations call their use cases (`stackline/usecases/organizations.py`), which run the commands
and answer once the read model shows the change. Never writes read models."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from stackline.graphql.context import PublicError, ctx, encode_id
from stackline.graphql.payloads import UserError, user_errors
from stackline.graphql.permissions import IsAuthenticated, OrgRead, OrgWrite, ProjectRead
from stackline.graphql.relay import Node
from stackline.readmodels import queries
from stackline.readmodels.queries import aware
from stackline.usecases import organizations as usecases
from stackline.usecases.refusals import Denied

if TYPE_CHECKING:
    from stackline.graphql.projects import Project


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

    @strawberry.field(
        permission_classes=[OrgRead], description="The person, once they have a personal API token."
    )
    async def user(self, info: Info) -> User | None:
        async def fetch(conn, org_ids, emails):  # noqa: ANN001, ANN202 - users are shared, members were checked
            return await queries.users_by_emails(conn, emails)

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
class OrganizationSettings:
    retention_days: float | None = strawberry.field(
        description="Days error events are kept in projects without their own; None: the server's setting."
    )
    retention_max_events: int | None = strawberry.field(
        description="Error events kept per project without its own; None: the server's setting."
    )


@strawberry.type
class Organization(Node):
    slug: str
    name: str
    organization_id: strawberry.Private[str]
    retention: strawberry.Private[tuple[float | None, int | None]]

    @classmethod
    def from_row(cls, row: Row) -> Organization:
        return cls(
            id=strawberry.ID(encode_id("Organization", row.id)),
            slug=row.slug,
            name=row.name,
            organization_id=row.id,
            retention=(row.retention_days, row.retention_max_events),
        )

    @strawberry.field(
        permission_classes=[OrgRead], description="The organization's defaults for its projects (retention)."
    )
    def settings(self) -> OrganizationSettings:
        return OrganizationSettings(retention_days=self.retention[0], retention_max_events=self.retention[1])

    @strawberry.field(permission_classes=[ProjectRead])
    async def projects(
        self, info: Info
    ) -> list[Annotated[Project, strawberry.lazy("stackline.graphql.projects")]]:
        from stackline.graphql.projects import Project

        rows = await ctx(info).read(queries.projects_of, self.organization_id)
        return [Project.from_row(row) for row in rows]

    @strawberry.field(permission_classes=[OrgRead], description="People in the organization and their roles.")
    async def members(self, info: Info) -> list[Member]:
        rows = await ctx(info).read(queries.members_of, self.organization_id)
        return [Member.from_row(row) for row in rows]

    @strawberry.field(
        permission_classes=[OrgWrite],
        description="The organization's own API tokens (not members' personal ones); needs ownership.",
    )
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        if not ctx(info).known_viewer.owns(self.organization_id):
            raise PublicError("only owners and organization tokens can see organization tokens")
        rows = await ctx(info).read(queries.api_tokens_of, self.organization_id)
        return [ApiToken.from_row(row) for row in rows]

    @strawberry.field(
        permission_classes=[OrgRead],
        description="The caller's role here: owner, admin or member; null for an organization token.",
    )
    def viewer_role(self, info: Info) -> str | None:
        return ctx(info).known_viewer.roles.get(self.organization_id)


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
        rows = await ctx(info).read(queries.organizations_by_ids, org_ids)
        return [Organization.from_row(row) for row in rows]

    @strawberry.field(description="The personal tokens of this user (personal tokens only).")
    async def personal_tokens(self, info: Info) -> list[ApiToken]:
        viewer = ctx(info).viewer
        if viewer is None or viewer.user_email is None:
            return []
        rows = await ctx(info).read(queries.personal_tokens_of, viewer.user_email)
        return [ApiToken.from_row(row) for row in rows]


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


@strawberry.input
class UpdateOrganizationSettingsInput:
    organization_slug: str
    retention_days: float | None = strawberry.field(
        default=None,
        description="Days error events are kept in the projects without their own; see clearRetentionDays "
        "(unset: the server's setting).",
    )
    clear_retention_days: bool = False
    retention_max_events: int | None = strawberry.field(
        default=None,
        description="Error events kept per project without its own (the oldest go first, never an "
        "issue's first or latest); see clearRetentionMaxEvents (unset: the server's setting).",
    )
    clear_retention_max_events: bool = False


@strawberry.type
class UpdateOrganizationSettingsPayload:
    organization: Organization | None
    user_errors: list[UserError]


async def _refresh_viewer(info: Info) -> None:
    """After a change: the rest of the payload is resolved with what the caller may do now."""
    context = ctx(info)
    if context.token is not None:
        context.viewer = await context.services.lookups.viewer(context.token)
        context.loaders.clear()


def _organization_of(row: Row | None) -> Organization | None:
    return Organization.from_row(row) if row else None


def _token_of(row: Row | None) -> ApiToken | None:
    return ApiToken.from_row(row) if row else None


@strawberry.type
class OrganizationMutations:
    """Each mutation calls its use case in `stackline/usecases/organizations.py`, then resolves the
    rest of its payload with the caller's viewer as it is after the change."""

    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Change an organization's retention, the default of its projects without their own "
        "(owners and admins: org:write).",
    )
    async def update_organization_settings(
        self, info: Info, input: UpdateOrganizationSettingsInput
    ) -> UpdateOrganizationSettingsPayload:
        context = ctx(info)
        answer = await usecases.change_organization_retention(
            context.services,
            context.known_viewer,
            input.organization_slug,
            input.retention_days,
            input.retention_max_events,
            input.clear_retention_days,
            input.clear_retention_max_events,
        )
        if answer.refusal is None:
            await _refresh_viewer(info)
        return UpdateOrganizationSettingsPayload(
            organization=_organization_of(answer.organization), user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Add a member (by email) to your organization, e.g. to assign issues to.",
    )
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberPayload:
        context = ctx(info)
        answer = await usecases.add_member(
            context.services, context.known_viewer, input.organization_slug, input.email, input.role
        )
        if answer.refusal is None:
            await _refresh_viewer(info)
        return AddMemberPayload(email=answer.email, user_errors=user_errors(answer.refusal))

    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Change a member's role. Only owners make, demote or remove owners; "
        "the last owner stays.",
    )
    async def update_member(self, info: Info, input: UpdateMemberInput) -> UpdateMemberPayload:
        context = ctx(info)
        answer = await usecases.change_member_role(
            context.services, context.known_viewer, input.organization_slug, input.email, input.role
        )
        if answer.refusal is None:
            await _refresh_viewer(info)
        return UpdateMemberPayload(
            member=Member.from_row(answer.member) if answer.member else None,
            user_errors=user_errors(answer.refusal),
        )

    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Remove a member; their personal tokens lose access to the organization.",
    )
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
        context = ctx(info)
        answer = await usecases.remove_member(
            context.services, context.known_viewer, input.organization_slug, input.email
        )
        if answer.refusal is None:
            await _refresh_viewer(info)
        return RemoveMemberPayload(removed_email=answer.email, user_errors=user_errors(answer.refusal))

    @strawberry.mutation(
        description="Create an organization; the caller (a personal token with org:write) becomes its owner."
    )
    async def create_organization(
        self, info: Info, input: CreateOrganizationInput
    ) -> CreateOrganizationPayload:
        context = ctx(info)
        try:
            answer = await usecases.create_organization(
                context.services, context.known_viewer, input.slug, input.name
            )
        except Denied as denied:
            raise PublicError(str(denied)) from None
        if answer.refusal is None:
            await _refresh_viewer(info)
        return CreateOrganizationPayload(
            organization=_organization_of(answer.organization), user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        description="Create an API token and show its secret, once. With organizationSlug: an "
        "organization token (owners only); without: a personal token of the caller."
    )
    async def create_api_token(self, info: Info, input: CreateApiTokenInput) -> CreateApiTokenPayload:
        context = ctx(info)
        viewer = (
            context.known_viewer if input.organization_slug is None else context.require_viewer("org:write")
        )
        answer = await usecases.create_api_token(
            context.services,
            viewer,
            input.organization_slug,
            input.label,
            input.scopes,
            input.expires_at,
        )
        if answer.refusal is None:
            await _refresh_viewer(info)
        return CreateApiTokenPayload(
            token=answer.secret,
            api_token=_token_of(answer.api_token),
            user_errors=user_errors(answer.refusal),
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Revoke an API token: your own personal token, or (owners) an organization token.",
    )
    async def revoke_api_token(self, info: Info, input: RevokeApiTokenInput) -> RevokeApiTokenPayload:
        context = ctx(info)
        answer = await usecases.revoke_api_token(context.services, context.known_viewer, input.token_id)
        if answer.refusal is None:
            await _refresh_viewer(info)
        return RevokeApiTokenPayload(
            api_token=_token_of(answer.api_token), user_errors=user_errors(answer.refusal)
        )
