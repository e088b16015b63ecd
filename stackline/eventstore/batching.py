"""Group commit and catch-up subscriptions, shared by the engine adapters.

Group commit: appends that arrive while the previous transaction is being written wait
together and go into the next single transaction. Nobody waits for a timer: under low load an
append is written at once, under high load many share one durable commit. Each caller still
learns its own outcome (a result, or the error of its own append only).

Catch-up subscription: read the global log in batches from a checkpoint; when caught up, wait
for the adapter's wake-up signal (or a poll interval, for writers in other processes).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from stackline.eventstore.port import (
    AppendResult,
    DuplicateEventId,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    WrongExpectedVersion,
    check_expected_version,
)


@dataclass(slots=True)
class PendingAppend:
    stream: str
    events: Sequence[NewEvent]
    expected: ExpectedVersion
    future: asyncio.Future[AppendResult]


class RetryInNextBatch(Exception):
    """An outcome meaning: this append could not be decided in this batch, queue it again."""


@dataclass(frozen=True, slots=True)
class StoredId:
    """Where an event id already sits in the store."""

    stream: str
    version: int
    position: int


@dataclass(frozen=True, slots=True)
class Planned:
    """An append that passed its checks; its positions are known once the insert returns."""

    version: int
    count: int


@dataclass(frozen=True, slots=True)
class NewRow:
    event: NewEvent
    stream: str
    version: int


def decide_batch(
    batch: Sequence[PendingAppend], versions: dict[str, int], stored: dict[uuid.UUID, StoredId]
) -> tuple[list[Planned | AppendResult | Exception], list[NewRow]]:
    """Check every append of a batch against the streams' current versions and the ids already
    stored, in order, as if they were applied one after the other; the engine then inserts the
    rows of those that passed in one statement. `versions` is updated as appends pass."""
    outcomes: list[Planned | AppendResult | Exception] = []
    rows: list[NewRow] = []
    ids_in_batch: set[uuid.UUID] = set()
    for pending in batch:
        ids = [e.id for e in pending.events]
        if ids_in_batch.intersection(ids):  # a concurrent retry of an append in this batch
            outcomes.append(RetryInNextBatch())
            continue
        if any(i in stored for i in ids):
            found = [stored.get(i) for i in ids]
            known = [f for f in found if f is not None]
            if len(known) == len(found) and all(f.stream == pending.stream for f in known):  # a retry
                last = max(known, key=lambda f: f.position)
                outcomes.append(AppendResult(version=last.version, position=last.position))
            else:
                outcomes.append(DuplicateEventId(pending.stream, [f.stream for f in known]))
            continue
        actual = versions.get(pending.stream, -1)
        try:
            check_expected_version(pending.stream, pending.expected, actual)
        except WrongExpectedVersion as error:
            outcomes.append(error)
            continue
        rows.extend(
            NewRow(event, pending.stream, actual + 1 + offset) for offset, event in enumerate(pending.events)
        )
        versions[pending.stream] = actual + len(pending.events)
        ids_in_batch.update(ids)
        outcomes.append(Planned(version=versions[pending.stream], count=len(pending.events)))
    return outcomes, rows


def place(
    outcomes: list[Planned | AppendResult | Exception], positions: Sequence[int]
) -> list[AppendResult | Exception]:
    """Turn the planned appends into results once the insert has handed out `positions`."""
    placed = iter(positions)
    results: list[AppendResult | Exception] = []
    for outcome in outcomes:
        if isinstance(outcome, Planned):
            last = [next(placed) for _ in range(outcome.count)][-1]
            results.append(AppendResult(version=outcome.version, position=last))
        else:
            results.append(outcome)
    return results


WriteBatch = Callable[[list[PendingAppend]], Awaitable[list[AppendResult | Exception]]]


class GroupCommit:
    def __init__(self, write_batch: WriteBatch, max_batch: int = 2000) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._pending: list[PendingAppend] = []
        self._flushing = False
        self.committed = WakeUp()

    async def append(
        self, stream: str, events: Sequence[NewEvent], expected: ExpectedVersion
    ) -> AppendResult:
        if not events:
            raise ValueError("append needs at least one event")
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._pending.append(PendingAppend(stream, events, expected, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                try:
                    outcomes = await self._write_batch(batch)
                except Exception as error:  # the whole transaction failed: everyone in it hears so
                    outcomes = [error] * len(batch)
                retry: list[PendingAppend] = []
                for pending, outcome in zip(batch, outcomes, strict=True):
                    if pending.future.done():
                        continue
                    if isinstance(outcome, RetryInNextBatch):
                        retry.append(pending)
                    elif isinstance(outcome, Exception):
                        pending.future.set_exception(outcome)
                    else:
                        pending.future.set_result(outcome)
                self._pending[:0] = retry
                self.committed.fire()
        finally:
            self._flushing = False


class WakeUp:
    """A level-free signal: every waiter that started waiting before `fire()` wakes up."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        return self._event


ReadAll = Callable[[int, int], Awaitable[list[RecordedEvent]]]


async def catch_up(
    read_all: ReadAll,
    wake: WakeUp,
    after_position: int,
    batch_size: int,
    poll_seconds: float,
    stream_prefix: str | None = None,
    event_types: Collection[str] | None = None,
) -> AsyncGenerator[Sequence[RecordedEvent], None]:
    position = after_position
    types = frozenset(event_types) if event_types is not None else None
    while True:
        signal = wake.waiter()  # taken before reading, so an append during the read is not missed
        batch = await read_all(position, batch_size)
        if batch:
            position = batch[-1].position
            if stream_prefix is not None or types is not None:
                batch = [
                    e
                    for e in batch
                    if (stream_prefix is None or e.stream.startswith(stream_prefix))
                    and (types is None or e.type in types)
                ]
            if batch:
                yield batch
            continue
        try:
            await asyncio.wait_for(signal.wait(), poll_seconds)
        except TimeoutError:
            pass
