"""What every aggregate's command handler does alike: read a stream into its aggregate, append
what the aggregate decided at the version it decided against, and decide again when another
writer got there first. Used by the webhook and alert rule handlers. Never writes read models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from stackline.domain.events import DomainEvent, event_type
from stackline.domain.organization import InvalidCommand
from stackline.domain.registry import decode
from stackline.eventstore import EventStore, NewEvent, StreamState, WrongExpectedVersion

RETRIES = 10
Aggregate = TypeVar("Aggregate")
Result = TypeVar("Result")


async def load_aggregate(
    store: EventStore, stream: str, build: Callable[[Iterable[DomainEvent], int], Aggregate]
) -> Aggregate:
    """The aggregate from its stream's known events, with the stream's version (-1: no stream)."""
    recorded = await store.read_stream(stream)
    return build(
        (e for r in recorded if (e := decode(r.type, r.data)) is not None),
        recorded[-1].version if recorded else -1,
    )


async def append_decided(
    store: EventStore, stream: str, version: int, events: Sequence[DomainEvent], actor: str | None
) -> int | None:
    """Append at `version` (the one decided against); where it landed, or None for no events."""
    if not events:
        return None
    result = await store.append(
        stream,
        [
            NewEvent(event_type(e), e.to_data(), metadata={"actor": actor}, schema_version=e.schema_version)
            for e in events
        ],
        version if version >= 0 else StreamState.NO_STREAM,
    )
    return result.position


async def retrying(attempt: Callable[[], Awaitable[Result]]) -> Result:
    """Run `attempt` (load, decide, append) again while a concurrent writer wins the race."""
    for _ in range(RETRIES):
        try:
            return await attempt()
        except WrongExpectedVersion:
            continue
    raise InvalidCommand("too many concurrent changes; try again")
