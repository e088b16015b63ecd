"""A use case's refusal: what the caller can fix, and the input field it is about."""

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
