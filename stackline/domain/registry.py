"""Every domain event type and every upcaster, for whoever reads the event store.

Each domain module registers its own events (`@register`) and the upcasters of their old shapes
(`@upcasts`), beside them; this module imports every such module, so that `decode` knows every
type whatever else the reading process imported. A module that defines events must be imported
here: `tests/domain/test_event_registry.py` fails for an event type this module does not bring.

A stored type the code does not know (a newer version wrote it, or a type was retired) is
skipped by the reader, but never silently: it is counted (`unknown_event_types`, shown by
`/healthz`) and logged once per type. Apart from that log line, pure: no I/O.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from stackline.domain import (  # noqa: F401 - each registers its events
    alert,
    error_event,
    events,
    issue,
    monitor,
    personal,
    release,
    retention,
    webhook,
)
from stackline.domain.events import REGISTERED, UPCASTS, DomainEvent

log = logging.getLogger(__name__)

EVENT_TYPES: Mapping[str, type[DomainEvent]] = REGISTERED
_unknown: Counter[str] = Counter()
_lock = threading.Lock()  # readers decode in several threads (the event stores' workers)


def decode(type_name: str, data: dict[str, Any]) -> DomainEvent | None:
    """The domain event for a stored type and data (already upcast to the current schema);
    None, counted and logged, for a type this code does not know."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        with _lock:
            _unknown[type_name] += 1
            first = _unknown[type_name] == 1
        if first:
            log.warning(
                "skipping events of type %r: this version of stackline does not know it "
                "(counted in /healthz, unknown_event_types)",
                type_name,
            )
        return None
    return cls.from_data(data)


def unknown_event_types() -> dict[str, int]:
    """How many events of each unknown type this process skipped."""
    with _lock:
        return dict(_unknown)


def upcasters() -> dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]]:
    """(type, schema version it lifts from) -> the function lifting that version's data by one."""
    return dict(UPCASTS)
