"""What an accepted envelope (or `/store/` body) becomes: domain events, and attachment blobs.

Every item type has a home: `event` → ErrorEventReceived (issues), `transaction` →
TransactionReceived, `session`/`sessions` → SessionsReceived, `attachment` → AttachmentStored
(the bytes go to the blob store), `check_in` → CheckInReceived (and MonitorConfigured when it
carries a `monitor_config`), `user_report`/`feedback` →
FeedbackReceived, `client_report` → ClientReportReceived, SDK logs (`log`: a batch of records;
`otel_log`: one OpenTelemetry record) → LogsReceived, counted in data category `log_item`.
Other unknown item types are skipped.
Payloads are normalized and scrubbed here, before anything is stored.

Pure: no I/O. The ingest route reads the body, authenticates, asks `plan_envelope` what to do,
stores the blobs, and appends the events in one all-or-nothing append.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from stackline.domain.envelope import Envelope, EnvelopeError, EnvelopeItem
from stackline.domain.error_event import ErrorEventReceived, error_event_received
from stackline.domain.events import (
    AttachmentStored,
    CheckInReceived,
    ClientReportReceived,
    DomainEvent,
    FeedbackReceived,
    LogsReceived,
    SessionsReceived,
    TransactionReceived,
)
from stackline.domain.monitor import MonitorConfigError, parse_monitor_config, schedule_event
from stackline.domain.normalize import normalize_event
from stackline.domain.scrub import ScrubConfig, scrub_event
from stackline.domain.summary import parse_timestamp

# The events counted as an "accepted" outcome, and the data category each counts in; isinstance
# takes the union.
AcceptedEvent = (
    ErrorEventReceived | TransactionReceived | AttachmentStored | CheckInReceived | FeedbackReceived
)
ACCEPTED_CATEGORY: dict[type[DomainEvent], str] = {
    ErrorEventReceived: "error",
    TransactionReceived: "transaction",
    AttachmentStored: "attachment",
    CheckInReceived: "monitor",
    FeedbackReceived: "feedback",
}

INTAKE_NAMESPACE = uuid.UUID("0b5e8f0e-9a51-4c57-a9d4-0d1f3c2e7a61")
EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
SESSION_STATUSES = ("ok", "exited", "crashed", "abnormal", "errored")
MAX_SESSION_AGE_SECONDS = 5 * 86400
FEEDBACK_FIELDS = ("name", "email", "comments")
LOG_CATEGORY = "log_item"  # Sentry's data category for log records, counted per record
# Sentry's log levels; OpenTelemetry's severity numbers 1-24 are six bands of four, one per level.
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
MAX_LOG_BODY = 16 * 1024
MAX_LOG_ATTRIBUTES = 256
ATTRIBUTE_TYPES = ("string", "boolean", "integer", "double", "array")
TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
SPAN_ID = re.compile(r"^[0-9a-f]{16}$")


class IntakeError(ValueError):
    """The request is well-formed but unacceptable; the message is one line for the client."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    """A project's settings that shape what is stored."""

    scrub: ScrubConfig = field(default_factory=ScrubConfig)
    keep_ip: bool = True
    max_event_bytes: int = 1024 * 1024
    max_attachment_bytes: int = 100 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Blob:
    sha256: str
    data: bytes


@dataclass(slots=True)
class Plan:
    """The events to append (with ids that make a retried request idempotent), the blobs to
    store before appending, and the id to answer with. `payloads` holds each error event's
    prepared payload by the event's id, the structure its `payload_json` was written from, so
    that sealing (`PersonalKeys.seal_plan`) need not parse that text again."""

    events: list[tuple[uuid.UUID, DomainEvent]] = field(default_factory=list)
    blobs: list[Blob] = field(default_factory=list)
    response_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # data category -> items accepted
    payloads: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        project_id: int,
        key: str,
        event: DomainEvent,
        category: str,
        quantity: int = 1,
        payload: dict[str, Any] | None = None,
    ) -> None:
        event_id = uuid.uuid5(INTAKE_NAMESPACE, f"{project_id}:{key}")
        self.events.append((event_id, event))
        self.counts[category] = self.counts.get(category, 0) + quantity
        if payload is not None:
            self.payloads[event_id] = payload


def normalized_event_id(raw: Any) -> str | None:
    if raw is None:
        return None
    event_id = str(raw).replace("-", "").lower()
    if not EVENT_ID.match(event_id):
        raise IntakeError("event_id must be 32 hexadecimal characters")
    return event_id


def parse_item(item: EnvelopeItem, limit: int) -> dict[str, Any]:
    if len(item.payload) > limit:
        raise IntakeError(f"{item.type} item exceeds {limit} bytes", status=413)
    try:
        return item.json()
    except EnvelopeError as error:
        raise IntakeError(f"{item.type} item: {error}") from None


class Intake:
    """Turns one request's items into a Plan for one project."""

    def __init__(
        self,
        organization_id: str,
        project_id: int,
        received_at: float,
        settings: IntakeSettings,
        client_ip: str | None,
        keep_payloads: bool = True,
    ) -> None:
        """`keep_payloads`: keep each error event's prepared payload in the plan (`Plan.payloads`)
        for sealing to read instead of parsing its `payload_json` again. Off for a large body:
        its payloads (millions of objects) would live on through the whole request, and every
        full collection of the cyclic GC meanwhile walks them, holding the GIL: a 50 MiB
        envelope's small POSTs' p99 went from 58-114 ms to 290-413 ms (docs/benchmarks.md)."""
        self.organization_id = organization_id
        self.project_id = project_id
        self.received_at = received_at
        self.settings = settings
        self.client_ip = client_ip
        self.keep_payloads = keep_payloads

    def prepare(self, payload: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        normalized = normalize_event(
            payload,
            received_at=self.received_at,
            client_ip=self.client_ip,
            keep_ip=self.settings.keep_ip,
            event_id=event_id,
            consume=True,  # a payload just decoded for this call; scrub_event copies the result
        )
        return scrub_event(normalized.payload, self.settings.scrub).payload

    def error_event(self, plan: Plan, payload: dict[str, Any], fallback_id: str | None) -> None:
        event_id = normalized_event_id(payload.get("event_id")) or fallback_id or uuid.uuid4().hex
        prepared = self.prepare(payload, event_id)
        plan.add(
            self.project_id,
            f"event:{event_id}",
            error_event_received(self.organization_id, self.project_id, event_id, self.received_at, prepared),
            "error",
            payload=prepared if self.keep_payloads else None,
        )
        plan.response_id = plan.response_id or event_id

    def transaction(self, plan: Plan, payload: dict[str, Any], fallback_id: str | None) -> None:
        event_id = normalized_event_id(payload.get("event_id")) or fallback_id or uuid.uuid4().hex
        prepared = self.prepare({**payload, "type": "transaction"}, event_id)
        plan.add(
            self.project_id,
            f"transaction:{event_id}",
            TransactionReceived(self.organization_id, self.project_id, event_id, self.received_at, prepared),
            "transaction",
        )
        plan.response_id = plan.response_id or event_id

    def sessions(self, plan: Plan, payload: dict[str, Any], index: int, envelope_key: str) -> None:
        updates = session_updates(payload, self.received_at)
        if updates:
            plan.add(
                self.project_id,
                f"sessions:{envelope_key}:{index}",
                SessionsReceived(self.organization_id, self.project_id, self.received_at, updates),
                "session",
            )

    def attachment(self, plan: Plan, item: EnvelopeItem, event_id: str | None, index: int) -> None:
        limit = self.settings.max_attachment_bytes
        if len(item.payload) > limit:
            raise IntakeError(f"attachment exceeds {limit} bytes", status=413)
        digest = hashlib.sha256(item.payload).hexdigest()
        filename = str(item.headers.get("filename") or "attachment")[:200]
        plan.blobs.append(Blob(digest, item.payload))
        plan.add(
            self.project_id,
            f"attachment:{event_id}:{index}:{digest}",
            AttachmentStored(
                self.organization_id,
                self.project_id,
                event_id,
                f"{digest[:16]}{index}",
                filename,
                str(item.headers.get("content_type") or "application/octet-stream")[:100],
                str(item.headers.get("attachment_type") or "event.attachment")[:50],
                len(item.payload),
                digest,
                self.received_at,
            ),
            "attachment",
        )

    def check_in(self, plan: Plan, payload: dict[str, Any]) -> None:
        check_in_id = normalized_event_id(payload.get("check_in_id")) or uuid.uuid4().hex
        slug = payload.get("monitor_slug")
        status = payload.get("status")
        if not isinstance(slug, str) or not slug or status not in ("in_progress", "ok", "error", "timeout"):
            raise IntakeError("check_in needs monitor_slug and a status of in_progress, ok, error or timeout")
        duration = payload.get("duration")
        if payload.get("monitor_config") is not None:
            try:
                schedule = parse_monitor_config(payload["monitor_config"])
            except MonitorConfigError as error:
                raise IntakeError(str(error)) from None
            # Before the check-in, so the check-in is measured against the schedule it came with.
            plan.events.append(
                (
                    uuid.uuid5(INTAKE_NAMESPACE, f"{self.project_id}:monitor_config:{check_in_id}:{status}"),
                    schedule_event(
                        self.organization_id, self.project_id, slug[:128], schedule, self.received_at
                    ),
                )
            )
        plan.add(
            self.project_id,
            f"check_in:{check_in_id}:{status}",
            CheckInReceived(
                self.organization_id,
                self.project_id,
                check_in_id,
                slug[:128],
                status,
                float(duration) if isinstance(duration, int | float) else None,
                _text(payload.get("environment"), 64),
                self.received_at,
            ),
            "monitor",
        )

    def logs(self, plan: Plan, payload: dict[str, Any], kind: str, index: int, envelope_key: str) -> None:
        """A `log` item ({"items": [record, ...]}) or an `otel_log` item (one OpenTelemetry log
        record), each record normalized, then scrubbed as an error's message and extra are."""
        if kind == "otel_log":
            entries: list[Any] = [otel_log_record(payload)]
        else:
            items = payload.get("items")
            entries = items if isinstance(items, list) else [payload]
        records = []
        for number, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            record = log_record(entry, self.received_at)
            record["log_id"] = uuid.uuid5(INTAKE_NAMESPACE, f"log:{envelope_key}:{index}:{number}").hex
            records.append(self.scrub_log(record))
        if records:
            plan.add(
                self.project_id,
                f"logs:{envelope_key}:{index}",
                LogsReceived(self.organization_id, self.project_id, self.received_at, records),
                LOG_CATEGORY,
                len(records),
            )

    def scrub_log(self, record: dict[str, Any]) -> dict[str, Any]:
        """The body as an event's message, the attributes' values as its extra: the same rules
        (sensitive names, passwords and tokens in text, card numbers, IPs if configured)."""
        attributes = record["attributes"]
        scrubbed = scrub_event(
            {"message": record["body"], "extra": {name: a["value"] for name, a in attributes.items()}},
            self.settings.scrub,
        ).payload
        record["body"] = scrubbed["message"]
        for name, value in scrubbed["extra"].items():
            if value != attributes[name]["value"]:
                attributes[name] = {"value": value, "type": "string"}
        return record

    def feedback(self, plan: Plan, payload: dict[str, Any], kind: str, fallback_id: str | None) -> None:
        if kind == "feedback":  # the new shape: an event with contexts.feedback
            context = (payload.get("contexts") or {}).get("feedback") or {}
            fields = {
                "name": context.get("name"),
                "email": context.get("contact_email"),
                "comments": context.get("message"),
            }
            associated = context.get("associated_event_id")
            own_id = normalized_event_id(payload.get("event_id")) or fallback_id or uuid.uuid4().hex
        else:  # user_report: {event_id, name, email, comments}
            fields = {name: payload.get(name) for name in FEEDBACK_FIELDS}
            associated = payload.get("event_id")
            own_id = uuid.uuid5(INTAKE_NAMESPACE, f"user_report:{associated}:{fields}").hex
        comments = _text(fields["comments"], 4096)
        if not comments:
            raise IntakeError(f"{kind} needs a message (comments)")
        scrubbed = scrub_event(
            {"user": {"name": fields["name"], "email": fields["email"]}, "message": comments},
            self.settings.scrub,
        ).payload
        plan.add(
            self.project_id,
            f"feedback:{own_id}",
            FeedbackReceived(
                self.organization_id,
                self.project_id,
                own_id,
                normalized_event_id(associated) if associated else None,
                _text(scrubbed["user"].get("name"), 200),
                _text(scrubbed["user"].get("email"), 254),
                scrubbed["message"],
                self.received_at,
            ),
            "user_report" if kind == "user_report" else "feedback",
        )
        plan.response_id = plan.response_id or own_id

    def client_report(self, plan: Plan, payload: dict[str, Any], index: int, envelope_key: str) -> None:
        discarded = []
        for entry in payload.get("discarded_events") or ():
            if isinstance(entry, dict) and isinstance(entry.get("quantity"), int) and entry["quantity"] > 0:
                discarded.append(
                    {
                        "reason": str(entry.get("reason") or "unknown")[:64],
                        "category": str(entry.get("category") or "default")[:32],
                        "quantity": min(entry["quantity"], 10**9),
                    }
                )
        if discarded:
            plan.add(
                self.project_id,
                f"client_report:{envelope_key}:{index}",
                ClientReportReceived(self.organization_id, self.project_id, self.received_at, discarded),
                "client_report",
            )


def plan_envelope(envelope: Envelope, intake: Intake) -> Plan:
    """Everything the envelope's items become; raises IntakeError when the envelope as a whole is
    unacceptable (then nothing of it is stored)."""
    plan = Plan()
    header_id = normalized_event_id(envelope.headers.get("event_id"))
    # Items without their own id (sessions, reports) are keyed by the envelope, so that a retry
    # of the same envelope is recognized: the header's id, else a digest of the items.
    envelope_key = header_id or hashlib.sha256(b"".join(i.payload for i in envelope.items)).hexdigest()[:32]
    limit = intake.settings.max_event_bytes

    def parse_json_item(item: EnvelopeItem) -> dict[str, Any]:
        return parse_item(item, limit)

    for index, item in enumerate(envelope.items):
        kind = item.type
        if kind == "event":
            intake.error_event(plan, parse_json_item(item), header_id)
        elif kind == "transaction":
            intake.transaction(plan, parse_json_item(item), header_id)
        elif kind in ("session", "sessions"):
            intake.sessions(plan, parse_json_item(item), index, envelope_key)
        elif kind == "attachment":
            intake.attachment(plan, item, header_id, index)
        elif kind == "check_in":
            intake.check_in(plan, parse_json_item(item))
        elif kind in ("user_report", "feedback"):
            intake.feedback(plan, parse_json_item(item), kind, header_id)
        elif kind == "client_report":
            intake.client_report(plan, parse_json_item(item), index, envelope_key)
        elif kind in ("log", "otel_log"):
            intake.logs(plan, parse_json_item(item), kind, index, envelope_key)
        # Anything else (profile, replay_event, statsd, ...) is skipped, never fatal.
    plan.response_id = plan.response_id or header_id
    return plan


def session_updates(payload: dict[str, Any], received_at: float) -> list[dict[str, Any]]:
    """Session updates (`session` items) and pre-aggregated counts (`sessions` items) as one
    shape: {release, environment, status, quantity, started, errors}. A start more than five days
    before arrival, or in the future, is counted as starting on arrival (as Relay limits it)."""

    def started_at(value: Any) -> float:
        started = parse_timestamp(value)
        if started is None or started > received_at + 60 or started < received_at - MAX_SESSION_AGE_SECONDS:
            return received_at
        return started

    attrs = payload.get("attrs")
    if not isinstance(attrs, dict):
        attrs = {}
    release = _text(attrs.get("release"), 250)
    environment = _text(attrs.get("environment"), 64)
    if isinstance(payload.get("aggregates"), list):
        updates = []
        for bucket in payload["aggregates"]:
            if not isinstance(bucket, dict):
                continue
            started = started_at(bucket.get("started"))
            for status in ("exited", "errored", "abnormal", "crashed"):
                quantity = bucket.get(status)
                if isinstance(quantity, int) and quantity > 0:
                    updates.append(
                        {
                            "release": release,
                            "environment": environment,
                            "status": status,
                            "quantity": quantity,
                            "started": started,
                            "errors": quantity if status != "exited" else 0,
                        }
                    )
        return updates
    status = payload.get("status", "ok")
    if status not in SESSION_STATUSES:
        status = "ok"
    errors = payload.get("errors")
    return [
        {
            "release": release,
            "environment": environment,
            "status": status,
            "quantity": 1,
            "started": started_at(payload.get("started")),
            "errors": errors if isinstance(errors, int) and errors >= 0 else 0,
            "sid": _text(payload.get("sid"), 64),
            "init": bool(payload.get("init")),
        }
    ]


def log_record(entry: dict[str, Any], received_at: float) -> dict[str, Any]:
    """One record of a `log` item as stored: what the SDK sent, bounded, with a level always."""
    timestamp = parse_timestamp(entry.get("timestamp"))
    severity = entry.get("severity_number")
    raw = entry.get("attributes")
    if severity is None and isinstance(raw, dict):  # sentry-python sends it as an attribute only
        attribute = raw.get("sentry.severity_number")
        severity = attribute.get("value") if isinstance(attribute, dict) else attribute
    if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 24:
        severity = None
    level = str(entry.get("level") or "").lower()
    level = {"warning": "warn", "critical": "fatal"}.get(level, level)
    if level not in LOG_LEVELS:
        level = LOG_LEVELS[(severity - 1) // 4] if severity is not None else "info"
    attributes: dict[str, dict[str, Any]] = {}
    for name, attribute in raw.items() if isinstance(raw, dict) else ():
        if len(attributes) >= MAX_LOG_ATTRIBUTES:
            break
        if isinstance(attribute, dict) and "value" in attribute:
            kind = attribute.get("type")
            value = attribute["value"]
        else:
            kind, value = None, attribute
        if kind not in ATTRIBUTE_TYPES or not _attribute_value(value):
            kind, value = "string", value if isinstance(value, str) else str(value)
        attributes[str(name)[:256]] = {
            "value": value[:MAX_LOG_BODY] if isinstance(value, str) else value,
            "type": kind,
        }
    body = entry.get("body")
    return {
        "timestamp": timestamp if timestamp is not None else received_at,
        "level": level,
        "severity_number": severity,
        "body": (body if isinstance(body, str) else "" if body is None else str(body))[:MAX_LOG_BODY],
        "attributes": attributes,
        "trace_id": _hex_id(entry.get("trace_id"), TRACE_ID),
        "span_id": _hex_id(entry.get("span_id"), SPAN_ID),
    }


def otel_log_record(payload: dict[str, Any]) -> dict[str, Any]:
    """An OpenTelemetry log record (OTLP JSON: timeUnixNano, severityText, severityNumber,
    body.stringValue, attributes [{key, value: {stringValue|intValue|...}}]) in `log`'s shape."""
    nanos = payload.get("timeUnixNano") or payload.get("observedTimeUnixNano")
    try:
        timestamp: float | None = int(nanos) / 1e9 if nanos is not None else None
    except (TypeError, ValueError):
        timestamp = None
    attributes = {}
    for attribute in payload.get("attributes") or ():
        if isinstance(attribute, dict) and isinstance(attribute.get("key"), str):
            kind, value = _otel_value(attribute.get("value"))
            attributes[attribute["key"]] = {"value": value, "type": kind}
    return {
        "timestamp": timestamp,
        "level": payload.get("severityText"),
        "severity_number": payload.get("severityNumber"),
        "body": _otel_value(payload.get("body"))[1],
        "attributes": attributes,
        "trace_id": payload.get("traceId"),
        "span_id": payload.get("spanId"),
    }


def _otel_value(value: Any) -> tuple[str, Any]:
    if not isinstance(value, dict):
        return "string", "" if value is None else str(value)
    for key, kind in (("stringValue", "string"), ("boolValue", "boolean"), ("doubleValue", "double")):
        if key in value:
            return kind, value[key]
    if "intValue" in value:
        try:
            return "integer", int(value["intValue"])  # OTLP JSON sends 64-bit integers as strings
        except (TypeError, ValueError):
            return "string", str(value["intValue"])
    return "string", str(value)


def _attribute_value(value: Any) -> bool:
    """Whether a value can be stored as it is: a scalar, or a list of one scalar type."""
    if isinstance(value, str | bool | int | float):
        return True
    return isinstance(value, list) and all(isinstance(v, str | bool | int | float) for v in value)


def _hex_id(value: Any, pattern: re.Pattern[str]) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("-", "").lower()
    return value if pattern.match(value) else None


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None
