"""A plan keeps each error event's prepared payload for sealing only when asked: a large body's
intake keeps none, so its payloads are freed as each event is written rather than living on
through the request (where the cyclic GC walks them and stalls every other request)."""

from __future__ import annotations

import json

import orjson
import pytest

from stackline.domain.envelope import parse_envelope
from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.intake import Intake, IntakeSettings, plan_envelope

pytestmark = pytest.mark.unit

EVENT = {
    "event_id": "9ec79c33ec9942ab8353589fcb2e04dc",
    "message": "checkout failed",
    "level": "error",
    "user": {"id": "42", "email": "alice@example.com", "ip_address": "203.0.113.9"},
}
BODY = b"{}\n" + json.dumps({"type": "event"}).encode() + b"\n" + json.dumps(EVENT).encode()


def planned(keep_payloads: bool):  # noqa: ANN201
    intake = Intake("org", 1, 1_700_000_000.0, IntakeSettings(), "198.51.100.1", keep_payloads=keep_payloads)
    return plan_envelope(parse_envelope(BODY), intake)


def test_a_small_bodys_plan_keeps_the_prepared_payload_its_json_was_written_from() -> None:
    plan = planned(keep_payloads=True)
    [(event_id, event)] = plan.events
    assert isinstance(event, ErrorEventReceived)
    assert plan.payloads[event_id]["user"]["email"] == "alice@example.com"
    assert orjson.loads(event.payload_json) == plan.payloads[event_id]


def test_a_large_bodys_plan_keeps_no_payload_and_writes_the_same_event() -> None:
    kept, dropped = planned(keep_payloads=True), planned(keep_payloads=False)
    assert dropped.payloads == {}
    assert dropped.events == kept.events
