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
import contextlib
import dataclasses
import fcntl
import gc
import hashlib
import logging
import os
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stackline.bus import Bus, IssueChange
from stackline.domain.events import DomainEvent, event_type
from stackline.eventstore import EventStore, ExpectedVersion, NewEvent, RecordedEvent
from stackline.readmodels.schema import projector_checkpoints

log = logging.getLogger(__name__)
REPLAY_BATCH = 10000
# Events per transaction in a replay. Each window ends by writing its held-back issue rows and
# tag counts, about as many as a whole log of 10 k issues has, so fewer windows replay faster;
# larger ones cost memory (docs/benchmarks.md, "Figures behind choices in the code").
REPLAY_WINDOW = 250_000
CHECKPOINT_POLL_SECONDS = 0.05
LEASE_RETRY_SECONDS = 1.0
TRAIL_WAIT_SECONDS = 60.0
IDLE_POLL_SECONDS = 0.5


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
            metadata={
                "actor": None,
                "causation_id": str(self.caused_by.id),
                "correlation_id": self.caused_by.metadata.get("correlation_id"),
            },
            id=uuid.uuid5(self.caused_by.id, f"{self.stream}:{event_type(self.event)}"),
            schema_version=self.event.schema_version,
        )


@dataclass(slots=True)
class Effects:
    """What applying a batch produced besides rows: notifications and reactions."""

    changes: list[IssueChange] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. wake a sender


class Projection(Protocol):
    """A projection may also define `async flush(conn)`, to write what its `apply_batch` calls
    held back (the runner calls it once per transaction, before the checkpoint), and
    `discard()`, to forget that when the transaction fails."""

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        """Write these events' effects on the read model, in order; note changes and reactions."""


async def load_checkpoint(conn: AsyncConnection, name: str) -> int:
    row = (
        await conn.execute(
            select(projector_checkpoints.c.position).where(projector_checkpoints.c.name == name)
        )
    ).first()
    return row[0] if row else 0


async def save_checkpoint(conn: AsyncConnection, name: str, position: int) -> None:
    updated = await conn.execute(
        projector_checkpoints.update()
        .where(projector_checkpoints.c.name == name)
        .values(position=position, updated_at=time.time())
    )
    if updated.rowcount == 0:
        await conn.execute(
            projector_checkpoints.insert().values(name=name, position=position, updated_at=time.time())
        )


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
        trails: ProjectorRunner | None = None,
        idle: Callable[[AsyncConnection], Awaitable[bool]] | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.engine = engine
        self.projections = projections
        self.bus = bus
        # A projector that reads another's rows applies a batch only once that one has: the
        # webhook worker looks up which issue an event landed on in the read models.
        self.trails = trails
        self.idle = idle  # with `trails`: True when no event of the log could matter right now
        self.position = 0
        self.running = False
        self._checkpoints = True  # False in `run_until(checkpoints=False)`
        self._advanced = asyncio.Condition()

    async def run(self) -> None:
        """Follow the log forever. Only one process at a time runs a given projector: the
        others wait on its lease and take over when the holder goes away."""
        async with ProjectorLease(self.engine, self.name) as lease:
            await lease.acquired()
            self.running = True
            try:
                async with self.engine.connect() as conn:
                    self.position = await load_checkpoint(conn, self.name)
                log.info("projector %s starting after position %d", self.name, self.position)
                while True:
                    if await self._skipped_while_idle():
                        await asyncio.sleep(IDLE_POLL_SECONDS)
                        continue
                    await self._follow()
            finally:
                self.running = False

    async def _follow(self) -> None:
        """Apply the log as it comes; return when the projector finds itself idle."""
        async with contextlib.aclosing(self.store.subscribe(self.position)) as batches:
            async for batch in batches:
                if self.trails is not None:
                    while not await self.trails.wait_for(batch[-1].position, TRAIL_WAIT_SECONDS):
                        log.info(
                            "projector %s waits for %s to reach position %d",
                            self.name,
                            self.trails.name,
                            batch[-1].position,
                        )
                await self.apply_batch(batch)
                if self.idle is not None and await self._is_idle():
                    return

    async def _is_idle(self) -> bool:
        assert self.idle is not None
        async with self.engine.connect() as conn:
            return await self.idle(conn)

    async def _skipped_while_idle(self) -> bool:
        """A trailing projector with nothing to do (no webhooks at all, say) need not read the
        log: it moves its checkpoint along with the projector it trails instead. The idle
        check reads the same snapshot as that checkpoint, so nothing it could have acted on
        is passed over."""
        if self.idle is None or self.trails is None:
            return False
        async with self.engine.connect() as conn:
            target = await load_checkpoint(conn, self.trails.name)
            if not await self.idle(conn):
                return False
        if target > self.position:
            async with self.engine.begin() as conn:
                await save_checkpoint(conn, self.name, target)
            async with self._advanced:
                self.position = target
                self._advanced.notify_all()
        return True

    async def run_until(
        self, position: int, on_batch: Callable[[int], None] | None = None, checkpoints: bool = True
    ) -> None:
        """Apply the log up to `position` and return (replay); `on_batch` hears each batch's size.
        With `checkpoints=False` no window writes the checkpoint: the caller saves `position`
        when done (a replay of analytics, whose rows live elsewhere, so its windows need not
        queue for the read-model database's write lock)."""
        self._checkpoints = checkpoints
        async with ProjectorLease(self.engine, self.name) as lease:
            if not await lease.try_acquire():
                raise RuntimeError(f"projector {self.name!r} is running in another process; stop it first")
            async with self.engine.connect() as conn:
                self.position = await load_checkpoint(conn, self.name)
            # Batches are applied a window at a time, one transaction each (projections hold
            # counts back until the window's flush), and the next batch is read while one is
            # applied: reading (the store's thread, or its server) and writing overlap.
            batches = self._read_ahead(position)
            try:
                async with contextlib.aclosing(batches):
                    with collecting_per_window():
                        while await self._apply_window(_window(batches, REPLAY_WINDOW, on_batch)):
                            pass
            finally:
                self._checkpoints = True

    async def _read_ahead(self, position: int) -> AsyncGenerator[Sequence[RecordedEvent], None]:
        upcoming = asyncio.ensure_future(self.store.read_all(self.position, REPLAY_BATCH))
        try:
            while batch := await upcoming:
                if batch[-1].position < position:
                    upcoming = asyncio.ensure_future(self.store.read_all(batch[-1].position, REPLAY_BATCH))
                    yield batch
                    continue
                batch = [event for event in batch if event.position <= position]
                if batch:
                    yield batch
                return
        finally:
            upcoming.cancel()

    async def apply_batch(self, batch: Sequence[RecordedEvent]) -> None:
        await self._apply_window(_one(batch))

    async def _apply_window(self, batches: AsyncIterator[Sequence[RecordedEvent]]) -> int:
        """Apply batches in one transaction with the checkpoint; how many events that was."""
        effects = Effects()
        applied, last = 0, self.position
        async with self.engine.begin() as conn:
            try:
                async for batch in batches:
                    for projection in self.projections:
                        await projection.apply_batch(conn, batch, effects)
                    applied, last = applied + len(batch), batch[-1].position
                if not applied:
                    return 0
                for projection in self.projections:
                    if (flush := getattr(projection, "flush", None)) is not None:
                        await flush(conn)
            except BaseException:
                for projection in self.projections:  # the transaction rolls back: so must they
                    if (discard := getattr(projection, "discard", None)) is not None:
                        discard()
                raise
            if effects.reactions:
                # Appended before the checkpoint commits: a crash in between re-applies the
                # batch, whose reactions then carry the same ids and are not stored twice.
                await asyncio.gather(
                    *(self.store.append(r.stream, [r.new_event()], r.expected) for r in effects.reactions)
                )
            if self._checkpoints:
                await save_checkpoint(conn, self.name, last)
        committed_at = time.time()
        async with self._advanced:
            self.position = last
            self._advanced.notify_all()
        for callback in effects.after_commit:
            callback()
        if self.bus is not None:
            for change in collapse(effects.changes):
                await self.bus.publish(dataclasses.replace(change, committed_at=committed_at))
        return applied

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until this projector has applied `position`, here or in the process that runs
        it (then by watching its checkpoint); False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                if self.running:
                    async with self._advanced:
                        await self._advanced.wait_for(lambda: self.position >= position)
                    return True
                while True:
                    async with self.engine.connect() as conn:
                        if await load_checkpoint(conn, self.name) >= position:
                            return True
                    await asyncio.sleep(CHECKPOINT_POLL_SECONDS)
        except TimeoutError:
            return False


_collecting = 0


@contextlib.contextmanager
def collecting_per_window() -> Iterator[None]:
    """Turn the automatic cyclic GC off; the caller collects now and then (`gc.collect(0)`).

    A bulk read allocates a few million objects per batch, and the GC, triggered by allocation
    counts, traversed them over and over as they accumulated (measured: a fifth of a replay's
    time). Collecting the youngest generation once in a while visits each object once."""
    global _collecting
    if _collecting == 0:
        gc.freeze()  # what was there before: long-lived, never garbage of this loop's
        gc.disable()
    _collecting += 1
    try:
        yield
    finally:
        _collecting -= 1
        if _collecting == 0:
            gc.enable()
            gc.unfreeze()


async def _one(batch: Sequence[RecordedEvent]) -> AsyncIterator[Sequence[RecordedEvent]]:
    yield batch


async def _window(
    batches: AsyncIterator[Sequence[RecordedEvent]], events: int, on_batch: Callable[[int], None] | None
) -> AsyncIterator[Sequence[RecordedEvent]]:
    """The next batches, up to about `events` events; then their cyclic garbage is collected.
    (Once per window, not per batch: a collection traverses every object still alive, the batch
    read ahead among them, and that cost a twentieth of a replay when done per batch.)"""
    seen = 0
    async for batch in batches:
        yield batch
        seen += len(batch)
        if on_batch is not None:
            on_batch(len(batch))
        if seen >= events:
            break
    gc.collect(0)


class ProjectorLease:
    """Who runs a projector: at most one process per projector name and read-model database.

    PostgreSQL: a session advisory lock held on a connection of its own (it dies with the
    process). SQLite: an exclusive `flock` on a file beside the database (likewise).
    """

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._conn: AsyncConnection | None = None
        self._file: int | None = None
        self._held = 0  # PostgreSQL: times this session took the (re-entrant) lock

    def _key(self) -> int:
        return int.from_bytes(
            hashlib.sha256(f"stackline-projector:{self.name}".encode()).digest()[:8], "big", signed=True
        )

    async def __aenter__(self) -> ProjectorLease:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            try:
                # Closing only hands the session back to the pool, lock and all: unlock it first.
                for _ in range(self._held):
                    await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key()})
                await self._conn.commit()
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                # The server dropped the session, and its locks with it: nothing left to unlock.
            finally:
                await self._conn.close()
        if self._file is not None:
            os.close(self._file)  # releases the flock

    async def try_acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            if self._conn is None:
                self._conn = await self.engine.connect()
            got = (
                await self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key()})
            ).scalar()
            await self._conn.commit()
            self._held += bool(got)
            return bool(got)
        database = self.engine.url.database or ":memory:"
        if self._file is None:
            self._file = os.open(f"{database}.{self.name}.lease", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    async def acquired(self) -> None:
        """Wait as a standby until this process holds the lease."""
        announced = False
        while not await self.try_acquire():
            if not announced:
                log.info("projector %s runs in another process; standing by", self.name)
                announced = True
            await asyncio.sleep(LEASE_RETRY_SECONDS)
