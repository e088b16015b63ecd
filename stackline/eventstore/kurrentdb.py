"""KurrentDB (EventStoreDB) adapter of the event store (`STACKLINE_EVENTSTORE_URL=kurrentdb://…`
or `esdb://…`), through `kurrentdbclient`'s asyncio client.

KurrentDB is an event store already, so this adapter maps one to one: streams and expected
versions are native (KurrentDB's `current_version`), the global log is `$all` and a position is
its commit position, an append is idempotent on its event ids natively. A stackline schema
version travels in the event's metadata. Catch-up reads page through `$all`; a native
subscription from the end of `$all` is the live wake-up signal, so subscribers see events as
soon as they are committed, in `$all` order, never skipping.

A KurrentDB event has only data and metadata, so a body travels in the metadata too (base64,
under `$body`). Reads of `$all` cannot leave it behind in the server; they drop it on arrival.

`namespace` (the URL's `?namespace=` or the constructor argument) prefixes every stream name
and filters `$all` to that prefix, so several stackline installations (or test runs) can share
one KurrentDB without seeing each other's events.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import sys
from collections.abc import AsyncGenerator, Collection, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from kurrentdbclient import AsyncKurrentDBClient
from kurrentdbclient import NewEvent as KurrentNewEvent
from kurrentdbclient import RecordedEvent as KurrentRecordedEvent
from kurrentdbclient import StreamState as KurrentStreamState
from kurrentdbclient.exceptions import NotFoundError, WrongCurrentVersionError

from stackline.eventstore.batching import WakeUp, catch_up
from stackline.eventstore.port import (
    NO_UPCASTERS,
    AppendResult,
    Compaction,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    RetentionUnsupported,
    StreamState,
    Upcasters,
    WrongExpectedVersion,
)

RETENTION_UNSUPPORTED = "retention is not available on KurrentDB yet (STACKLINE_EVENTSTORE_URL)"

SCHEMA_VERSION_KEY = "$stackline_schema_version"
BODY_KEY = "$body"
POLL_SECONDS = 1.0
STATES = {
    StreamState.ANY: KurrentStreamState.ANY,
    StreamState.NO_STREAM: KurrentStreamState.NO_STREAM,
    StreamState.EXISTS: KurrentStreamState.EXISTS,
}


def client_uri(url: str) -> tuple[str, str]:
    """The URI for kurrentdbclient and the namespace, from a stackline setting."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    namespace = query.pop("namespace", "")
    return urlunsplit(parts._replace(query=urlencode(query))), namespace


def stored_metadata(event: NewEvent) -> bytes:
    """The event's metadata plus what KurrentDB has no field for: schema version and body."""
    metadata = {**event.metadata, SCHEMA_VERSION_KEY: event.schema_version}
    if event.body is not None:
        metadata[BODY_KEY] = base64.b64encode(event.body).decode()
    return orjson.dumps(metadata)


class KurrentDBEventStore:
    def __init__(self, uri: str, namespace: str = "", upcasters: Upcasters = NO_UPCASTERS) -> None:
        self.client = AsyncKurrentDBClient(uri=uri)
        self.prefix = f"{namespace}/" if namespace else ""
        self.upcasters = upcasters
        self._wake = WakeUp()
        self._live: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, upcasters: Upcasters = NO_UPCASTERS) -> KurrentDBEventStore:
        uri, namespace = client_uri(url)
        store = cls(uri, namespace, upcasters)
        await store.client.connect()
        store._live = asyncio.get_running_loop().create_task(store._follow_live())
        return store

    def _filter(self) -> dict[str, Any]:
        if not self.prefix:
            return {}
        return {"filter_include": [self.prefix], "filter_by_stream_name": True, "filter_by_prefix": True}

    async def _follow_live(self) -> None:
        """Fire the wake-up signal for every event committed from now on."""
        while True:
            try:
                subscription = await self.client.subscribe_to_all(from_end=True, **self._filter())
                async for _ in subscription:
                    self._wake.fire()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect; catch-up polling covers the gap
                await asyncio.sleep(POLL_SECONDS)

    def _recorded(self, event: KurrentRecordedEvent, *, with_body: bool = False) -> RecordedEvent:
        metadata = orjson.loads(event.metadata) if event.metadata else {}
        schema_version = metadata.pop(SCHEMA_VERSION_KEY, 1)
        body = metadata.pop(BODY_KEY, None)
        return self.upcasters.upcast(
            RecordedEvent(
                id=event.id,
                stream=event.stream_name.removeprefix(self.prefix),
                version=event.stream_position,
                position=event.commit_position,
                type=event.type,
                schema_version=schema_version,
                data=orjson.loads(event.data),
                metadata=metadata,
                recorded_at=(event.recorded_at or datetime.now(UTC)).astimezone(UTC),
                body=base64.b64decode(body) if with_body and body is not None else None,
            )
        )

    async def _current_version(self, stream: str) -> int:
        version = await self.client.get_current_version(self.prefix + stream)
        return -1 if version is KurrentStreamState.NO_STREAM else version

    async def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: ExpectedVersion
    ) -> AppendResult:
        if not events:
            raise ValueError("append needs at least one event")
        name = self.prefix + stream
        current = STATES[expected_version] if isinstance(expected_version, StreamState) else expected_version
        try:
            position = await self.client.append_to_stream(
                name,
                current_version=current,
                events=[
                    KurrentNewEvent(
                        type=e.type,
                        data=orjson.dumps(e.data),
                        metadata=stored_metadata(e),
                        id=e.id,
                    )
                    for e in events
                ],
            )
        except WrongCurrentVersionError:
            raise WrongExpectedVersion(
                stream, expected_version, await self._current_version(stream)
            ) from None
        # The append answers only the commit position; find our last event's stream version.
        last_id = events[-1].id
        recent = await self.client.get_stream(name, backwards=True, limit=len(events) + 100)
        version = next((e.stream_position for e in recent if e.id == last_id), None)
        if version is None:
            version = await self._current_version(stream)
        return AppendResult(version=version, position=position)

    async def read_stream(
        self, stream: str, from_version: int = 0, *, backwards: bool = False, limit: int | None = None
    ) -> list[RecordedEvent]:
        start = None if backwards and from_version < 0 else from_version
        try:
            found = await self.client.get_stream(
                self.prefix + stream, stream_position=start, backwards=backwards, limit=limit or sys.maxsize
            )
        except NotFoundError:
            return []
        return [self._recorded(e, with_body=True) for e in found]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        read: list[RecordedEvent] = []
        # A read from a commit position includes the event at it: ask for one more, drop it.
        response = await self.client.read_all(
            commit_position=after_position or None, limit=limit + 1, **self._filter()
        )
        async with response:
            async for event in response:
                if event.commit_position is not None and event.commit_position > after_position:
                    read.append(self._recorded(event))
                    if len(read) == limit:
                        break
        return read

    async def read_positions(self, positions: Collection[int]) -> list[RecordedEvent]:
        found: list[RecordedEvent] = []
        for position in sorted(set(positions)):
            # A read from a commit position starts with the event at it, when there is one.
            response = await self.client.read_all(commit_position=position, limit=1, **self._filter())
            async with response:
                async for event in response:
                    if event.commit_position == position:
                        found.append(self._recorded(event, with_body=True))
        return found

    async def head_position(self) -> int:
        response = await self.client.read_all(backwards=True, limit=1, **self._filter())
        async with response:
            async for event in response:
                return event.commit_position or 0
        return 0

    def subscribe(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        stream_prefix: str | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncGenerator[Sequence[RecordedEvent], None]:
        return catch_up(
            self.read_all, self._wake, after_position, batch_size, POLL_SECONDS, stream_prefix, event_types
        )

    # Retention rewrites the log in place, which KurrentDB's immutable `$all` does not allow: it
    # would need `$maxAge`/`$tb` stream metadata and scavenging (docs/retention.md, not built).

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
        raise RetentionUnsupported(RETENTION_UNSUPPORTED)

    async def compact(self, compactions: Sequence[Compaction]) -> None:
        raise RetentionUnsupported(RETENTION_UNSUPPORTED)

    async def reclaim_space(self) -> None:
        raise RetentionUnsupported(RETENTION_UNSUPPORTED)

    async def close(self) -> None:
        if self._live is not None:
            self._live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._live
        await self.client.close()
