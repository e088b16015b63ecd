"""An accepted error event and the facts the projectors need from it, decided once, at ingest.

Ingest normalizes and scrubs a payload, then records it as JSON text beside its facts: summary
(title, culprit, level, tags, ...), release, environment, the user who saw it, and its grouping
under the current grouping config. Rebuilding read models reads the facts and never parses a
payload, which is most of what replay would otherwise spend its time on; since schema 3 the
payload is the stored event's body, which following the log does not even read. A replay under
a newer grouping config regroups from the payload, read for the purpose (`needs_payload`).
Events stored before schema 2 (the payload as an object, no facts) are lifted by `upcast_v1` on
read. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from stackline.domain.events import ErrorEventReceived
from stackline.domain.grouping import GROUPING_CONFIG, GroupingResult, group_event
from stackline.domain.summary import EventSummary, summarize


def text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def user_key(payload: dict[str, Any]) -> str | None:
    """Who saw the event, as Sentry counts users: id, else email, else username, else IP."""
    user = payload.get("user")
    if not isinstance(user, dict):
        return None
    for field in ("id", "email", "username", "ip_address"):
        value = user.get(field)
        if value not in (None, ""):
            return f"{field}:{value}"[:254]
    return None


def facts_of(payload: dict[str, Any], received_at: float) -> dict[str, Any]:
    summary = summarize(payload, received_at)
    grouping = group_event(payload)
    return {
        "summary": {
            **{f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)},
            "tags": [list(pair) for pair in summary.tags],
        },
        "release": text(payload.get("release"), 250),
        "environment": text(payload.get("environment"), 64),
        "transaction": text(payload.get("transaction"), 200),
        "user": user_key(payload),
        "grouping": grouping.to_data(),
    }


def error_event_received(
    organization_id: str, project_id: int, event_id: str, received_at: float, payload: dict[str, Any]
) -> ErrorEventReceived:
    return ErrorEventReceived(
        organization_id,
        project_id,
        event_id,
        received_at,
        facts=facts_of(payload, received_at),
        payload_json=orjson.dumps(payload).decode(),
    )


def summary_of(event: ErrorEventReceived) -> EventSummary:
    summary = event.facts["summary"]
    return EventSummary(**{**summary, "tags": tuple(map(tuple, summary["tags"]))})


def needs_payload(event: ErrorEventReceived) -> bool:
    """Whether `grouping_of` must regroup from the payload (the grouping config has changed
    since ingest) and the payload was not read with the event."""
    return event.payload_json is None and event.facts["grouping"]["config"] != GROUPING_CONFIG


def grouping_of(event: ErrorEventReceived) -> GroupingResult:
    """The grouping decided at ingest, or the current config's when it has changed since (that
    needs the payload: see `needs_payload`)."""
    grouping = event.facts["grouping"]
    if grouping["config"] != GROUPING_CONFIG:
        return group_event(event.payload)
    return GroupingResult(grouping["hash"], grouping["variant"], tuple(grouping["components"]))


def upcast_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 stored the payload as an object and no facts."""
    lifted = {k: v for k, v in data.items() if k != "payload"}
    payload = data.get("payload")
    if not isinstance(payload, dict):
        payload = {}
    lifted["payload_json"] = orjson.dumps(payload).decode()
    lifted["facts"] = facts_of(payload, data.get("received_at") or 0.0)
    return lifted


UPCASTERS = {("ErrorEventReceived", 1): upcast_v1}
