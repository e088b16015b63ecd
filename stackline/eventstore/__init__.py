"""The event store: port (`port.py`) and its engine adapters."""

from stackline.eventstore.port import (
    AppendResult,
    EventStore,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamState,
    WrongExpectedVersion,
)

__all__ = [
    "AppendResult",
    "EventStore",
    "ExpectedVersion",
    "NewEvent",
    "RecordedEvent",
    "StreamState",
    "WrongExpectedVersion",
]
