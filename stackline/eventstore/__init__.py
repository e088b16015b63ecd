"""The event store: port (`port.py`) and its engine adapters."""

from stackline.eventstore.port import (
    AppendResult,
    Compaction,
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
    "Compaction",
    "DuplicateEventId",
    "EventStore",
    "ExpectedVersion",
    "NewEvent",
    "RecordedEvent",
    "StreamState",
    "WrongExpectedVersion",
]
