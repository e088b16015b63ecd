"""Per-user erasure in GraphQL: `eraseUser` (owners only), which calls its use case in
`stackline/usecases/erasure.py`.

The log and the read models keep a person's data sealed or pseudonymous
(`stackline/domain/personal.py`); the use case deletes the keys of the subjects seen under one
identifier and records `UserErased`, which names the person by pseudonym only. Readers open
sealed data with the keys still held (`personal_keys` in `stackline/graphql/context.py`) and show
`[erased]` where the key is gone.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from stackline.graphql.context import ctx
from stackline.graphql.payloads import UserError, user_errors
from stackline.graphql.permissions import OrgWrite
from stackline.usecases import erasure as usecases


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
        answer = await usecases.erase_user(
            context.services,
            context.known_viewer,
            input.organization_slug,
            {
                "email": input.email,
                "id": input.id,
                "username": input.username,
                "ip_address": input.ip_address,
            },
        )
        return EraseUserPayload(
            subjects_erased=answer.subjects_erased, user_errors=user_errors(answer.refusal)
        )
