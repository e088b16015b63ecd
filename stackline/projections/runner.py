"""Runs projections over a catch-up subscription, one transaction per batch.

Projections only write rows. Some facts follow from the log by themselves (a resolved issue
that sees a new event has regressed); a projection may note such a reaction, and the runner,
not the projection, appends it.

The checkpoint is written in the same transaction as the rows, so a crash at any instant
neither loses nor doubles an effect. Bus notifications go out only after the commit, so a
subscriber that reacts by reading the read model always finds what it was told about.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stackline.bus import Bus, IssueChange
from stackline.domain.events import DomainEvent, event_type
from stackline.eventstore import EventStore, ExpectedVersion, NewEvent, RecordedEvent
from stackline.readmodels.schema import projector_checkpoints

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reaction:
    """An event a projection decided must follow from what it saw (an issue regressed, ...).

    Its id is derived from the event that caused it, so applying the same batch twice (after a
    crash, or in a replay) appends nothing twice.
    """

    stream: str
    event: DomainEvent
    caused_by: RecordedEvent
    expected: ExpectedVersion

    def new_event(self) -> NewEvent:
        return NewEvent(
            event_type(self.event),
            self.event.to_data(),
            metadata={"actor": None, "causation_id": str(self.caused_by.id),
                      "correlation_id": self.caused_by.metadata.get("correlation_id")},
            id=uuid.uuid5(self.caused_by.id, f"{self.stream}:{event_type(self.event)}"),
            schema_version=self.event.schema_version,
        )


@dataclass(slots=True)
class Effects:
    """What applying a batch produced besides rows: notifications and reactions."""

    changes: list[IssueChange] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)


class Projection(Protocol):
    async def apply_batch(self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects) -> None:
        """Write these events' effects on the read model, in order; note changes and reactions."""


async def load_checkpoint(conn: AsyncConnection, name: str) -> int:
    row = (
        await conn.execute(select(projector_checkpoints.c.position).where(projector_checkpoints.c.name == name))
    ).first()
    return row[0] if row else 0


async def save_checkpoint(conn: AsyncConnection, name: str, position: int) -> None:
    updated = await conn.execute(
        projector_checkpoints.update()
        .where(projector_checkpoints.c.name == name)
        .values(position=position, updated_at=time.time())
    )
    if updated.rowcount == 0:
        await conn.execute(projector_checkpoints.insert().values(name=name, position=position, updated_at=time.time()))


def collapse(changes: Sequence[IssueChange]) -> list[IssueChange]:
    """One notification per issue and kind per batch (a burst of events is one UPDATED), and
    none of UPDATED for an issue CREATED in the same batch."""
    seen: dict[tuple[str, str], IssueChange] = {}
    created = {c.issue_id for c in changes if c.kind == "CREATED"}
    for change in changes:
        if change.kind == "UPDATED" and change.issue_id in created:
            continue
        seen.setdefault((change.issue_id, change.kind), change)
    return list(seen.values())


class ProjectorRunner:
    def __init__(
        self,
        name: str,
        store: EventStore,
        engine: AsyncEngine,
        projections: Sequence[Projection],
        bus: Bus | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.engine = engine
        self.projections = projections
        self.bus = bus
        self.position = 0
        self._advanced = asyncio.Condition()

    async def run(self) -> None:
        async with self.engine.connect() as conn:
            self.position = await load_checkpoint(conn, self.name)
        log.info("projector %s starting after position %d", self.name, self.position)
        async for batch in self.store.subscribe(self.position):
            await self.apply_batch(batch)

    async def apply_batch(self, batch: Sequence[RecordedEvent]) -> None:
        effects = Effects()
        async with self.engine.begin() as conn:
            for projection in self.projections:
                await projection.apply_batch(conn, batch, effects)
            if effects.reactions:
                # Appended before the checkpoint commits: a crash in between re-applies the
                # batch, whose reactions then carry the same ids and are not stored twice.
                await asyncio.gather(*(
                    self.store.append(r.stream, [r.new_event()], r.expected) for r in effects.reactions
                ))
            await save_checkpoint(conn, self.name, batch[-1].position)
        async with self._advanced:
            self.position = batch[-1].position
            self._advanced.notify_all()
        if self.bus is not None:
            for change in collapse(effects.changes):
                await self.bus.publish(change)

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until this projector has applied `position`; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                async with self._advanced:
                    await self._advanced.wait_for(lambda: self.position >= position)
            return True
        except TimeoutError:
            return False
