"""Use cases on organizations, their members and API tokens: create an organization, change its
retention, add, change and remove members, create and revoke tokens.

Authorization: changing an organization needs `org:write` there (one elsewhere answers like a
missing one); making, demoting or removing owners and organization tokens need ownership. A token
never grants scopes its creator lacks. Commands run through `stackline/app/commands.py`; the answer
waits until the projector has applied the change, and this process's token cache forgets every
viewer at once (memberships or tokens may have changed; other processes follow within the cache's
lifetime). Never writes read models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from stackline.domain.organization import ALL_SCOPES, InvalidCommand
from stackline.readmodels import queries
from stackline.readmodels.reads import read
from stackline.usecases.issues import READ_YOUR_WRITES_TIMEOUT
from stackline.usecases.refusals import Denied, Refusal

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from stackline.app.commands import IssuedToken
    from stackline.app.lookups import Viewer
    from stackline.app.wiring import Services

ORGANIZATION_NOT_FOUND = Refusal("organization not found", ["organizationSlug"])
TOKEN_NOT_FOUND = Refusal("token not found", ["tokenId"])


@dataclass(frozen=True)
class OrganizationAnswer:
    organization: Row | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class MemberAnswer:
    """The member after the change (`member`, when it is still one) and the normalized email."""

    email: str | None = None
    member: Row | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class TokenAnswer:
    """The token's metadata; `secret` only in the answer of the change that created it."""

    api_token: Row | None = None
    secret: str | None = None
    refusal: Refusal | None = None


async def writable_organization(services: Services, viewer: Viewer, slug: str) -> Row | None:
    """The organization by slug, if the viewer holds org:write there (else None, as for a missing one)."""
    return await read(services.engine, queries.organization_by_slug, viewer.orgs("org:write"), slug)


async def _settle(services: Services, position: int | None) -> None:
    """After a command: wait until the read models show it, and forget this process's cached viewers."""
    if position is not None:
        await services.projector.wait_for(position, READ_YOUR_WRITES_TIMEOUT)
    services.lookups.forget_tokens()


async def change_organization_retention(
    services: Services,
    viewer: Viewer,
    org_slug: str,
    retention_days: float | None,
    retention_max_events: int | None,
    clear_retention_days: bool,
    clear_retention_max_events: bool,
) -> OrganizationAnswer:
    """Set the retention given (None: unchanged), or clear it back to the server's setting."""
    if await writable_organization(services, viewer, org_slug) is None:
        return OrganizationAnswer(refusal=ORGANIZATION_NOT_FOUND)
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("retention_days", retention_days),
            ("retention_max_events", retention_max_events),
        )
        if value is not None
    }
    if clear_retention_days:
        changes["retention_days"] = None
    if clear_retention_max_events:
        changes["retention_max_events"] = None
    try:
        position = await services.commands.change_organization_retention(org_slug, changes, viewer.actor)
    except InvalidCommand as error:
        return OrganizationAnswer(refusal=Refusal.of(error))
    await _settle(services, position)
    return OrganizationAnswer(organization=await writable_organization(services, viewer, org_slug))


async def create_organization(
    services: Services, viewer: Viewer, slug: str, name: str | None
) -> OrganizationAnswer:
    """The caller's user becomes the owner, so only a personal token with org:write may create one
    (`Denied` otherwise)."""
    if "org:write" not in viewer.scopes:
        raise Denied("this API token lacks the 'org:write' scope")
    if not viewer.is_personal:
        raise Denied("createOrganization needs a personal API token: its user becomes the owner")
    try:
        org = await services.commands.create_organization(
            slug, name or slug, actor=viewer.actor, owner=viewer.user_email
        )
    except InvalidCommand as error:
        return OrganizationAnswer(refusal=Refusal.of(error, ["slug"]))
    await _settle(services, await services.store.head_position())
    assert org.id is not None  # a created organization has its id
    return OrganizationAnswer(
        organization=await read(services.engine, queries.organization, [org.id], org.id)
    )


async def add_member(
    services: Services, viewer: Viewer, org_slug: str, email: str, role: str
) -> MemberAnswer:
    org = await writable_organization(services, viewer, org_slug)
    if org is None:
        return MemberAnswer(refusal=ORGANIZATION_NOT_FOUND)
    try:
        position = await services.commands.add_member(
            org_slug, email, role, actor=viewer.actor, as_owner=viewer.owns(org.id)
        )
    except InvalidCommand as error:
        return MemberAnswer(refusal=Refusal.of(error, ["email"]))
    await _settle(services, position)
    return MemberAnswer(email=email.strip().lower())


async def change_member_role(
    services: Services, viewer: Viewer, org_slug: str, email: str, role: str
) -> MemberAnswer:
    org = await writable_organization(services, viewer, org_slug)
    if org is None:
        return MemberAnswer(refusal=ORGANIZATION_NOT_FOUND)
    email = email.strip().lower()
    try:
        position = await services.commands.change_member_role(
            org_slug, email, role, viewer.actor, as_owner=viewer.owns(org.id)
        )
    except InvalidCommand as error:
        return MemberAnswer(refusal=Refusal.of(error, ["email"]))
    await _settle(services, position)
    members = await read(services.engine, queries.members_by_keys, [org.id], [(org.id, email)])
    return MemberAnswer(email=email, member=members.get((org.id, email)))


async def remove_member(services: Services, viewer: Viewer, org_slug: str, email: str) -> MemberAnswer:
    org = await writable_organization(services, viewer, org_slug)
    if org is None:
        return MemberAnswer(refusal=ORGANIZATION_NOT_FOUND)
    email = email.strip().lower()
    try:
        position = await services.commands.remove_member(
            org_slug, email, viewer.actor, as_owner=viewer.owns(org.id)
        )
    except InvalidCommand as error:
        return MemberAnswer(refusal=Refusal.of(error, ["email"]))
    await _settle(services, position)
    return MemberAnswer(email=email)


async def create_api_token(
    services: Services,
    viewer: Viewer,
    org_slug: str | None,
    label: str,
    scopes: list[str] | None,
    expires_at: datetime | None,
) -> TokenAnswer:
    """With `org_slug`: an organization token (owners only); without: a personal token of the
    caller (a personal token itself). `scopes` default to every scope the caller holds."""
    held: Collection[str]
    if org_slug is not None:
        org = await writable_organization(services, viewer, org_slug)
        if org is None:
            return TokenAnswer(refusal=ORGANIZATION_NOT_FOUND)
        if not viewer.owns(org.id):
            return TokenAnswer(
                refusal=Refusal("only owners create organization tokens", ["organizationSlug"])
            )
        held = viewer.grants[org.id]
    else:
        if not viewer.is_personal:
            return TokenAnswer(
                refusal=Refusal(
                    "a personal token is created with a personal token (or `stackline token`)",
                    ["organizationSlug"],
                )
            )
        held = viewer.scopes
    granted = [s for s in ALL_SCOPES if s in held] if scopes is None else list(scopes)
    beyond = sorted((set(granted) & set(ALL_SCOPES)) - set(held))
    if beyond:
        return TokenAnswer(
            refusal=Refusal(f"cannot grant scopes the caller does not hold: {', '.join(beyond)}", ["scopes"])
        )
    expires = expires_at.timestamp() if expires_at else None
    issued: IssuedToken
    try:
        if org_slug is not None:
            issued = await services.commands.issue_token(org_slug, label, granted, viewer.actor, expires)
        else:
            assert viewer.user_email is not None  # checked above: a personal token
            issued = await services.commands.issue_personal_token(
                viewer.user_email, label, granted, expires, viewer.actor
            )
    except InvalidCommand as error:
        return TokenAnswer(refusal=Refusal.of(error, ["scopes"]))
    await _settle(services, issued.position)
    return TokenAnswer(
        api_token=await read(services.engine, queries.api_token, issued.token_id), secret=issued.token
    )


async def revoke_api_token(services: Services, viewer: Viewer, token_id: str) -> TokenAnswer:
    """The viewer's own personal token, or (owners) an organization token; any other answers like
    a missing one."""
    row = await read(services.engine, queries.api_token, token_id)
    mine = row is not None and (
        (row.user_email is not None and row.user_email == viewer.user_email)
        or (row.organization_id is not None and viewer.owns(row.organization_id))
    )
    if row is None or not mine:
        return TokenAnswer(refusal=TOKEN_NOT_FOUND)
    try:
        if row.user_email is not None:
            position = await services.commands.revoke_token(
                row.token_id, email=row.user_email, actor=viewer.actor
            )
        else:
            org = await read(
                services.engine, queries.organization, [row.organization_id], row.organization_id
            )
            if org is None:  # the token's organization is not in the read model yet
                return TokenAnswer(refusal=TOKEN_NOT_FOUND)
            position = await services.commands.revoke_token(
                row.token_id, org_slug=org.slug, actor=viewer.actor
            )
    except InvalidCommand as error:
        return TokenAnswer(refusal=Refusal.of(error, ["tokenId"]))
    await _settle(services, position)
    return TokenAnswer(api_token=await read(services.engine, queries.api_token, token_id))
