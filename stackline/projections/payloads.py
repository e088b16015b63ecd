"""Error payloads for the projections that regroup: the log's events carry their facts, and the
payload, stored as each event's body, is read only when the grouping config has changed since
ingest (`error_event.needs_payload`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from stackline.domain.error_event import ErrorEventReceived, needs_payload
from stackline.domain.events import DomainEvent
from stackline.eventstore import EventStore, RecordedEvent

Decoded = TypeVar("Decoded", bound=DomainEvent | None)


async def with_payloads(
    store: EventStore | None, run: Sequence[tuple[RecordedEvent, Decoded]]
) -> list[tuple[RecordedEvent, Decoded]]:
    """The decoded events, those error events that must be regrouped with their payloads (one
    read for all); the others as they are."""
    wanted = [
        event.position
        for event, decoded in run
        if isinstance(decoded, ErrorEventReceived) and needs_payload(decoded)
    ]
    if not wanted:
        return list(run)
    if store is None:
        raise RuntimeError("error events from an older grouping config need the event store to regroup")
    bodies = {recorded.position: recorded.body for recorded in await store.read_positions(wanted)}
    return [
        (
            event,
            decoded.with_payload(bodies.get(event.position))  # type: ignore[misc]
            if isinstance(decoded, ErrorEventReceived)
            else decoded,
        )
        for event, decoded in run
    ]
