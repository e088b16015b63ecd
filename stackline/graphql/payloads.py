"""What every mutation payload shares: `UserError`, a refusal the client can show next to the
input field it is about."""

from __future__ import annotations

import strawberry

from stackline.domain.issue import VersionConflict
from stackline.domain.organization import InvalidCommand
from stackline.usecases.refusals import Refusal


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


def user_errors(refusal: Refusal | None) -> list[UserError]:
    """A use case's refusal as the payload's `userErrors` (none: an empty list)."""
    if refusal is None:
        return []
    return [UserError(message=refusal.message, field=refusal.field, code=refusal.code)]
