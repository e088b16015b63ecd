"""An accepted error event and the facts the projectors need from it, decided once, at ingest.

Ingest normalizes and scrubs a payload, then records it as JSON text beside its facts: summary
(title, culprit, level, tags, ...), release, environment, the user who saw it, and its grouping
under the current grouping config. Rebuilding read models reads the facts and never parses a
payload, which is most of what replay would otherwise spend its time on; since schema 3 the
payload is the stored event's body, which following the log does not even read. A replay under
a newer grouping config regroups from the payload, read for the purpose (`needs_payload`).
Events stored before schema 2 (the payload as an object, no facts) are lifted by `upcast_v1` on
read; the upcaster is registered here, beside the event. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from stackline.domain.events import DomainEvent, register, upcasts
from stackline.domain.grouping import GROUPING_CONFIG as GROUPING_CONFIG  # read by analytics_replay
from stackline.domain.grouping import GroupingResult, group_event
from stackline.domain.summary import EventSummary, summarize


@dataclass(frozen=True, slots=True)
class ErrorEventFacts:
    """What the projectors need from an error event, decided from its payload at ingest."""

    summary: EventSummary
    release: str | None
    environment: str | None
    transaction: str | None
    user: str | None  # who saw it (`user_key`)
    grouping: GroupingResult
    grouping_config: str  # the config that grouped it: another one regroups (`grouping_of`)

    def to_data(self) -> dict[str, Any]:
        summary = self.summary
        return {
            "summary": {
                "title": summary.title,
                "culprit": summary.culprit,
                "level": summary.level,
                "message": summary.message,
                "platform": summary.platform,
                "timestamp": summary.timestamp,
                "tags": [list(pair) for pair in summary.tags],
                "exception_type": summary.exception_type,
                "exception_value": summary.exception_value,
            },
            "release": self.release,
            "environment": self.environment,
            "transaction": self.transaction,
            "user": self.user,
            "grouping": {
                "config": self.grouping_config,
                "hash": self.grouping.hash,
                "variant": self.grouping.variant,
                "components": list(self.grouping.components),
            },
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ErrorEventFacts:
        summary, grouping = data["summary"], data["grouping"]
        return cls(
            EventSummary(
                summary["title"],
                summary["culprit"],
                summary["level"],
                summary["message"],
                summary["platform"],
                summary["timestamp"],
                tuple((key, value) for key, value in summary["tags"]),
                summary.get("exception_type"),
                summary.get("exception_value"),
            ),
            data["release"],
            data["environment"],
            data.get("transaction"),  # facts from before transactions were recorded lack it
            data["user"],
            GroupingResult(grouping["hash"], grouping["variant"], tuple(grouping["components"])),
            grouping["config"],
        )


@register
@dataclass(frozen=True, slots=True)
class ErrorEventReceived(DomainEvent):
    """An SDK's error or message event, as accepted by ingest: the normalized, scrubbed payload
    as JSON text, and the facts decided from it.

    Since schema 3 the payload is stored as the event's body, apart from its data: following
    the log reads the facts only. An event decoded from the log therefore has no payload
    (`payload_json` None) unless it was read with its body (`with_payload`); schema 2 events
    kept it in their data (and decode as they are); schema 1 is lifted by `upcast_v1`."""

    schema_version: ClassVar[int] = 3
    organization_id: str
    project_id: int
    event_id: str
    received_at: float
    facts: ErrorEventFacts
    payload_json: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        if self.payload_json is None:
            raise LookupError(
                f"event {self.event_id}: its payload is the stored event's body, not read with it"
            )
        payload: dict[str, Any] = orjson.loads(self.payload_json)
        return payload

    def to_data(self) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "project_id": self.project_id,
            "event_id": self.event_id,
            "received_at": self.received_at,
            "facts": self.facts.to_data(),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ErrorEventReceived:
        return cls(
            data["organization_id"],
            data["project_id"],
            data["event_id"],
            data["received_at"],
            ErrorEventFacts.from_data(data["facts"]),
            data.get("payload_json"),
        )

    def body(self) -> bytes | None:
        return None if self.payload_json is None else self.payload_json.encode()

    def with_payload(self, body: bytes | None) -> ErrorEventReceived:
        """This event with the payload from its stored body (read by `read_positions`)."""
        return self if body is None else dataclasses.replace(self, payload_json=body.decode())


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


def facts_of(payload: dict[str, Any], received_at: float) -> ErrorEventFacts:
    return ErrorEventFacts(
        summarize(payload, received_at),
        text(payload.get("release"), 250),
        text(payload.get("environment"), 64),
        text(payload.get("transaction"), 200),
        user_key(payload),
        group_event(payload),
        GROUPING_CONFIG,
    )


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
    return event.facts.summary


def needs_payload(event: ErrorEventReceived) -> bool:
    """Whether `grouping_of` must regroup from the payload (the grouping config has changed
    since ingest) and the payload was not read with the event."""
    return event.payload_json is None and event.facts.grouping_config != GROUPING_CONFIG


def grouping_of(event: ErrorEventReceived) -> GroupingResult:
    """The grouping decided at ingest, or the current config's when it has changed since (that
    needs the payload: see `needs_payload`)."""
    if event.facts.grouping_config != GROUPING_CONFIG:
        return group_event(event.payload)
    return event.facts.grouping


@upcasts("ErrorEventReceived", 1)
def upcast_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 stored the payload as an object and no facts."""
    lifted = {k: v for k, v in data.items() if k != "payload"}
    payload = data.get("payload")
    if not isinstance(payload, dict):
        payload = {}
    lifted["payload_json"] = orjson.dumps(payload).decode()
    lifted["facts"] = facts_of(payload, data.get("received_at") or 0.0).to_data()
    return lifted
