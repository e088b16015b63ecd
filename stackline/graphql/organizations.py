"""Organizations, members and API tokens in GraphQL: `Organization`, `Member`, `ApiToken`, the
caller (`Viewer`), and the mutations that add, change and remove members, create organizations
and create or revoke tokens (`OrganizationMutations`, part of the schema's `Mutation`).

Mutations append through `stackline/app/commands.py` and answer once the read model shows the
change (`_settle`). Never writes read models."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from stackline.domain.organization import ALL_SCOPES, InvalidCommand
from stackline.graphql.context import NotAuthenticated, PublicError, ctx, encode_id
from stackline.graphql.payloads import UserError, user_error
from stackline.graphql.permissions import IsAuthenticated, OrgRead, OrgWrite, ProjectRead
from stackline.graphql.relay import Node
from stackline.readmodels import queries
from stackline.readmodels.queries import aware

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


ORG_NOT_FOUND = UserError(message="organization not found", field=["organizationSlug"])


async def _writable_organization(info: Info, slug: str):  # noqa: ANN202 - a Row or None
    """The organization by slug, if the viewer holds org:write there (else None, as for a missing one)."""
    return await ctx(info).read(queries.organization_by_slug, ctx(info).orgs("org:write"), slug)


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


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Change an organization's retention, the default of its projects without their own "
        "(owners and admins: org:write).",
    )
    async def update_organization_settings(
        self, info: Info, input: UpdateOrganizationSettingsInput
    ) -> UpdateOrganizationSettingsPayload:
        context = ctx(info)
        org = await _writable_organization(info, input.organization_slug)
        if org is None:
            return UpdateOrganizationSettingsPayload(organization=None, user_errors=[ORG_NOT_FOUND])
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("retention_days", input.retention_days),
                ("retention_max_events", input.retention_max_events),
            )
            if value is not None
        }
        if input.clear_retention_days:
            changes["retention_days"] = None
        if input.clear_retention_max_events:
            changes["retention_max_events"] = None
        try:
            position = await context.services.commands.change_organization_retention(
                input.organization_slug, changes, context.known_viewer.actor
            )
        except InvalidCommand as error:
            return UpdateOrganizationSettingsPayload(organization=None, user_errors=[user_error(error)])
        await _settle(info, position)
        row = await _writable_organization(info, input.organization_slug)
        return UpdateOrganizationSettingsPayload(
            organization=Organization.from_row(row) if row else None, user_errors=[]
        )

    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Add a member (by email) to your organization, e.g. to assign issues to.",
    )
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberPayload:
        context = ctx(info)
        viewer = context.known_viewer
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
        permission_classes=[OrgWrite],
        description="Change a member's role. Only owners make, demote or remove owners; "
        "the last owner stays.",
    )
    async def update_member(self, info: Info, input: UpdateMemberInput) -> UpdateMemberPayload:
        context = ctx(info)
        viewer = context.known_viewer
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
        row = (await context.read(queries.members_by_keys, [org.id], [(org.id, email)])).get((org.id, email))
        return UpdateMemberPayload(member=Member.from_row(row) if row else None, user_errors=[])

    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Remove a member; their personal tokens lose access to the organization.",
    )
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
        context = ctx(info)
        viewer = context.known_viewer
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
        row = await ctx(info).read(queries.organization, [org.id], org.id)
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
        row = await ctx(info).read(queries.api_token, issued.token_id)
        return CreateApiTokenPayload(
            token=issued.token, api_token=ApiToken.from_row(row) if row else None, user_errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Revoke an API token: your own personal token, or (owners) an organization token.",
    )
    async def revoke_api_token(self, info: Info, input: RevokeApiTokenInput) -> RevokeApiTokenPayload:
        context = ctx(info)
        viewer = context.known_viewer
        row = await ctx(info).read(queries.api_token, input.token_id)
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
                org = await ctx(info).read(queries.organization, [row.organization_id], row.organization_id)
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
        row = await ctx(info).read(queries.api_token, input.token_id)
        return RevokeApiTokenPayload(api_token=ApiToken.from_row(row) if row else None, user_errors=[])
