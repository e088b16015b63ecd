"""The event store: port (`port.py`) and its engine adapters."""

from stackline.eventstore.port import (
    AppendResult,
    DuplicateEventId,
    EventStore,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamState,
    WrongExpectedVersion,
)

__all__ = [
    "AppendResult",
    "DuplicateEventId",
    "EventStore",
    "ExpectedVersion",
    "NewEvent",
    "RecordedEvent",
    "StreamState",
    "WrongExpectedVersion",
]
