"""The event store port: the one interface every engine adapter implements.

The event store is stackline's only source of truth. Everything else (read models, the bus)
is derived from it and can be rebuilt by replaying it. This module defines the vocabulary
(new and recorded events, expected versions, errors) and the contract; it never touches an
engine. Adapters live beside it (`sqlite.py`, ...), and only `stackline.app.wiring` picks one.

Numbering follows KurrentDB: a stream's first event has version 0, an absent stream has
version -1; the global log's positions start at 1 and a checkpoint is the last position a
reader has handled (0 = nothing yet).
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import AsyncGenerator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class StreamState(enum.Enum):
    """Expected versions that are not a number."""

    ANY = "any"
    NO_STREAM = "no_stream"
    EXISTS = "exists"


ExpectedVersion = int | StreamState


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command wants to append. `id` makes a retried append idempotent.

    `body` is the event's bulky part, if it has one (an SDK's whole payload), as bytes: stored
    with the event, in the same append, but kept apart from `data`, because most readers never
    need it. `read_stream` and `read_positions` return it; `read_all` and `subscribe`, which
    projectors follow the log with, do not (their events' `body` is None)."""

    type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    schema_version: int = 1
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored: where it sits in its stream and in the global log."""

    id: uuid.UUID
    stream: str
    version: int
    position: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    body: bytes | None = None  # only from `read_stream` and `read_positions` (see `NewEvent`)


@dataclass(frozen=True, slots=True)
class AppendResult:
    """The stream's version and the global position of the last event appended."""

    version: int
    position: int


@dataclass(frozen=True, slots=True)
class Compaction:
    """Retention's rewrite of the log: the event at `position` becomes a snapshot (`type`,
    `data`, `schema_version`, at stream version `version`, without a body; its id and stream
    stay), and the events at `deleted`, with their bodies, are removed. Only for events every
    reader has passed (docs/retention.md)."""

    position: int
    type: str
    data: dict[str, Any]
    schema_version: int
    version: int
    deleted: tuple[int, ...]


class RetentionUnsupported(Exception):
    """This engine cannot delete events (yet)."""


class WrongExpectedVersion(Exception):
    """The stream is not at the version the command decided against."""

    def __init__(self, stream: str, expected: ExpectedVersion, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        shown = expected.value if isinstance(expected, StreamState) else expected
        super().__init__(f"stream {stream!r} is at version {actual}, expected {shown}")


class DuplicateEventId(Exception):
    """Some of an append's event ids are already stored, but not as that same append."""

    def __init__(self, stream: str, existing_streams: list[str]) -> None:
        super().__init__(
            f"events appended to {stream!r} reuse ids already in {sorted(set(existing_streams))}"
        )


class EventStore(Protocol):
    async def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        """Append all of `events` or none; returns only once they are durable."""

    async def read_stream(
        self, stream: str, from_version: int = 0, *, backwards: bool = False, limit: int | None = None
    ) -> list[RecordedEvent]:
        """Events of one stream from `from_version` (inclusive), forwards or backwards, with
        their bodies."""

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """The global log in commit order, from just after `after_position`; without bodies."""

    async def read_positions(self, positions: Collection[int]) -> list[RecordedEvent]:
        """The events at these global positions, in log order, with their bodies; positions
        holding none are left out."""

    async def head_position(self) -> int:
        """The position of the last committed event (0 when empty)."""

    async def read_recorded_before(
        self,
        before: datetime,
        *,
        through_position: int,
        stream_prefix: str,
        event_types: Collection[str],
        after_position: int = 0,
        limit: int = 1000,
    ) -> list[RecordedEvent]:
        """Events of `event_types` in streams starting with `stream_prefix`, recorded before
        `before`, at positions after `after_position` and up to `through_position`, in log
        order; without bodies. What retention looks for."""

    async def compact(self, compactions: Sequence[Compaction]) -> None:
        """Apply all of `compactions` in one transaction, or none."""

    async def reclaim_space(self) -> None:
        """Give the space of deleted events back (SQLite: incremental vacuum); may be a no-op."""

    def subscribe(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        stream_prefix: str | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncGenerator[Sequence[RecordedEvent], None]:
        """Catch-up subscription over the global log: batches in order, then live, forever;
        optionally only events of streams starting with `stream_prefix` or of `event_types`.
        Without bodies."""

    async def close(self) -> None: ...


# An event as a store that keeps JSON rows holds it: position, type, schema version, and its
# data as the JSON text stored (not upcast).
EncodedEvent = tuple[int, str, int, bytes]


@runtime_checkable
class ReadsEncoded(Protocol):
    """What the SQLite and PostgreSQL stores offer besides the port (KurrentDB does not): the log
    as stored, for a reader that parses the data elsewhere (an analytics replay hands it to the
    engine: `projections/analytics_replay.py`)."""

    async def read_all_encoded(self, after_position: int = 0, limit: int = 1000) -> list[EncodedEvent]:
        """`read_all`'s events, undecoded."""


def encoded_log(store: object) -> ReadsEncoded | None:
    """`store` as a `ReadsEncoded`, or None when it offers only the port."""
    return store if isinstance(store, ReadsEncoded) else None


def check_expected_version(stream: str, expected: ExpectedVersion, actual: int) -> None:
    """The rule every adapter applies before writing; `actual` is -1 for an absent stream."""
    if expected is StreamState.ANY:
        return
    if expected is StreamState.NO_STREAM:
        ok = actual == -1
    elif expected is StreamState.EXISTS:
        ok = actual >= 0
    else:
        ok = actual == expected
    if not ok:
        raise WrongExpectedVersion(stream, expected, actual)


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Functions that lift a stored event's data from one schema version to the next.

    Stored events never change; readers see them at the newest schema version because each
    adapter passes what it reads through `upcast`.
    """

    def __init__(self) -> None:
        self._by_version: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        def add(function: Upcaster) -> Upcaster:
            self._by_version[(event_type, from_version)] = function
            return function

        return add

    def upcast(self, event: RecordedEvent) -> RecordedEvent:
        data, version = event.data, event.schema_version
        while (function := self._by_version.get((event.type, version))) is not None:
            data, version = function(data), version + 1
        if version == event.schema_version:
            return event
        return dataclasses.replace(event, data=data, schema_version=version)


NO_UPCASTERS = Upcasters()
