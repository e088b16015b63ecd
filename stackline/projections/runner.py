"""Runs projections over a catch-up subscription, one transaction per batch.

The checkpoint is written in the same transaction as the rows, so a crash at any instant
neither loses nor doubles an effect. Bus notifications go out only after the commit, so a
subscriber that reacts by reading the read model always finds what it was told about.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stackline.bus import Bus, IssueChange
from stackline.eventstore import EventStore, RecordedEvent
from stackline.readmodels.schema import projector_checkpoints

log = logging.getLogger(__name__)


class Projection(Protocol):
    async def apply(self, conn: AsyncConnection, event: RecordedEvent) -> list[IssueChange]:
        """Write this event's effect on the read model; return the issue changes it made."""


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
    """One notification per issue per batch; an issue created in the batch stays CREATED."""
    by_issue: dict[str, IssueChange] = {}
    for change in changes:
        first = by_issue.get(change.issue_id)
        if first is None or first.kind != "CREATED":
            by_issue[change.issue_id] = change
    return list(by_issue.values())


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
        changes: list[IssueChange] = []
        async with self.engine.begin() as conn:
            for event in batch:
                for projection in self.projections:
                    changes.extend(await projection.apply(conn, event))
            await save_checkpoint(conn, self.name, batch[-1].position)
        async with self._advanced:
            self.position = batch[-1].position
            self._advanced.notify_all()
        if self.bus is not None:
            for change in collapse(changes):
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
