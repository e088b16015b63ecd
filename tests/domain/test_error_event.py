"""Error events carry their facts from ingest; old shapes are lifted on read."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from stackline.domain.error_event import (
    ErrorEventFacts,
    ErrorEventReceived,
    error_event_received,
    grouping_of,
    needs_payload,
    summary_of,
    upcast_v1,
)
from stackline.domain.grouping import GroupingResult, group_event
from stackline.domain.registry import decode
from stackline.domain.summary import summarize
from tests.corpus import load_json

RECEIVED = 1_700_000_000.0


def sample() -> dict:
    payload = load_json("sentry-samples/python.json")
    payload["user"] = {"email": "ada@example.com"}
    payload["release"] = "web@1.2.3"
    return payload


def test_facts_are_what_the_payload_says() -> None:
    payload = sample()
    event = error_event_received("org", 1, "a" * 32, RECEIVED, payload)
    assert event.payload == orjson.loads(orjson.dumps(payload))
    assert summary_of(event) == summarize(payload, RECEIVED)
    assert grouping_of(event) == group_event(payload)
    assert (event.facts.release, event.facts.user) == ("web@1.2.3", "email:ada@example.com")


def test_a_schema_1_event_reads_as_schema_2_with_the_same_facts() -> None:
    payload = sample()
    v1 = {
        "organization_id": "org",
        "project_id": 1,
        "event_id": "b" * 32,
        "received_at": RECEIVED,
        "payload": payload,
    }
    lifted = decode("ErrorEventReceived", upcast_v1(v1))
    assert isinstance(lifted, ErrorEventReceived)
    fresh = error_event_received("org", 1, "b" * 32, RECEIVED, payload)
    assert lifted == fresh


def test_a_newer_grouping_config_regroups_from_the_payload() -> None:
    payload = sample()
    event = error_event_received("org", 1, "c" * 32, RECEIVED, payload)
    stale = dataclasses.replace(
        event,
        facts=dataclasses.replace(
            event.facts, grouping=GroupingResult("0" * 32, "fallback", ()), grouping_config="older:0"
        ),
    )
    assert grouping_of(stale) == group_event(payload)
    # As decoded from the log, without its body, the event says it needs its payload first.
    logged = decode("ErrorEventReceived", stale.to_data())
    assert isinstance(logged, ErrorEventReceived) and needs_payload(logged) and not needs_payload(stale)
    assert not needs_payload(decode("ErrorEventReceived", event.to_data()))
    assert grouping_of(logged.with_payload(stale.body())) == group_event(payload)


def test_the_payload_is_the_body_not_the_data() -> None:
    event = error_event_received("org", 1, "d" * 32, RECEIVED, sample())
    assert "payload_json" not in event.to_data()
    assert orjson.loads(event.body()) == event.payload
    logged = decode("ErrorEventReceived", event.to_data())
    with pytest.raises(LookupError):
        _ = logged.payload
    assert logged.with_payload(event.body()) == event


def test_the_facts_are_typed_and_stored_as_before() -> None:
    """Typed in memory, the same JSON in the log: events stored before the facts were typed
    decode to the same facts, and an event's data round-trips."""
    event = error_event_received("org", 1, "e" * 32, RECEIVED, sample())
    assert isinstance(event.facts, ErrorEventFacts)
    data = event.to_data()
    assert set(data["facts"]) == {"summary", "release", "environment", "transaction", "user", "grouping"}
    assert data["facts"]["summary"]["tags"] == [list(pair) for pair in summary_of(event).tags]
    assert decode("ErrorEventReceived", orjson.loads(orjson.dumps(data))) == dataclasses.replace(
        event, payload_json=None
    )
