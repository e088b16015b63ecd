"""The bus port: publish issue changes after a projector commits, subscribe per project.

The bus carries notifications, never the truth: a subscriber that misses one can always read
the read model. Adapters: `memory.py` (one process); NATS comes later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class IssueChange:
    kind: str  # CREATED | UPDATED (more kinds come with the issue lifecycle)
    organization_id: str
    project_id: int
    issue_id: str
    position: int  # the event-store position that caused it
    # Wall-clock time (time.time()) at which the projector's transaction committed; set by the
    # runner just before publishing, so clients can measure fan-out latency. None if unknown.
    committed_at: float | None = None


class Bus(Protocol):
    async def publish(self, change: IssueChange) -> None: ...

    def subscribe(self, project_id: int) -> AsyncIterator[IssueChange]:
        """Changes of one project from now on, until the iterator is closed."""

    async def close(self) -> None: ...
