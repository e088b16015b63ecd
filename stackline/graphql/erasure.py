"""Per-user erasure (`eraseUser`) and what every reader uses to show sealed personal data.

The log and the read models keep a person's data sealed or pseudonymous
(`stackline/domain/personal.py`); the readers here open it with the keys still held and show
`[erased]` where the key is gone. `eraseUser` (owners only) deletes the keys of the subjects
seen under one identifier and records `UserErased`, which names the person by pseudonym only.
"""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from stackline.app.personal_keys import PersonalKeys
from stackline.app.wiring import Services
from stackline.domain.events import event_type
from stackline.domain.personal import UserErased, erasure_stream, identifier
from stackline.eventstore import NewEvent, StreamState
from stackline.graphql.context import ctx
from stackline.graphql.payloads import UserError
from stackline.graphql.permissions import OrgWrite
from stackline.readmodels import queries


def _personal(services: Services) -> PersonalKeys:
    assert services.personal is not None, "open_services opens the key store"
    return services.personal


@strawberry.input(description="Whom to erase: the organization, and exactly one of the identifiers.")
class EraseUserInput:
    organization_slug: str
    email: str | None = None
    id: str | None = None
    username: str | None = None
    ip_address: str | None = None


@strawberry.type
class EraseUserPayload:
    subjects_erased: int = strawberry.field(
        description="How many subjects (people as events named them) lost their key."
    )
    user_errors: list[UserError]


def _user_error(message: str, field: list[str] | None = None) -> UserError:
    return UserError(message=message, field=field)


@strawberry.type
class ErasureMutations:
    @strawberry.mutation(
        permission_classes=[OrgWrite],
        description="Erase one person's data in an organization (owners only): the keys their "
        "personal data was sealed with are deleted, after which it reads `[erased]` everywhere, "
        "in every replay too. Copies sent out before (webhooks, e-mails) are not reached.",
    )
    async def erase_user(self, info: Info, input: EraseUserInput) -> EraseUserPayload:
        context = ctx(info)
        viewer = context.known_viewer
        async with context.services.engine.connect() as conn:
            org = await queries.organization_by_slug(conn, viewer.orgs("org:write"), input.organization_slug)
        if org is None or not viewer.owns(org.id):
            # Another organization's owner learns nothing of this one.
            return EraseUserPayload(
                subjects_erased=0,
                user_errors=[_user_error("organization not found", ["organizationSlug"])],
            )
        given = [
            (field, value)
            for field, value in (
                ("email", input.email),
                ("id", input.id),
                ("username", input.username),
                ("ip_address", input.ip_address),
            )
            if value not in (None, "")
        ]
        if len(given) != 1:
            return EraseUserPayload(
                subjects_erased=0,
                user_errors=[_user_error("give exactly one of email, id, username, ipAddress")],
            )
        field, value = given[0]
        assert value is not None
        pseudonym, key_ids = await _personal(context.services).erase(org.id, identifier(field, value))
        erased = UserErased(org.id, field, pseudonym, len(key_ids), viewer.actor)
        await context.services.store.append(
            erasure_stream(org.id),
            [
                NewEvent(
                    event_type(erased),
                    erased.to_data(),
                    metadata={"organization_id": org.id},
                    id=uuid.uuid4(),
                    schema_version=erased.schema_version,
                )
            ],
            StreamState.ANY,
        )
        return EraseUserPayload(subjects_erased=len(key_ids), user_errors=[])
