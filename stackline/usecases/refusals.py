"""A use case's refusal: what the caller can fix, and the input field it is about; or `Denied`,
when the caller may not ask at all."""

from __future__ import annotations

from dataclasses import dataclass

from stackline.domain.issue import VersionConflict
from stackline.domain.organization import InvalidCommand


@dataclass(frozen=True)
class Refusal:
    message: str
    field: list[str] | None = None
    code: str | None = None  # CONFLICT when the object changed since the caller read it

    @classmethod
    def of(cls, error: InvalidCommand, field: list[str] | None = None) -> Refusal:
        """A command's refusal (a version conflict is told apart by its code)."""
        return cls(str(error), field, "CONFLICT" if isinstance(error, VersionConflict) else None)


class Denied(Exception):
    """The viewer may not ask this at all (not a fault of the input): the API answers with an
    error, not a payload's refusal."""
