"""Domain events: the vocabulary stackline stores, as small immutable dataclasses.

Names are in the past tense and each has a schema version. The meaning of a stored event never
changes; a new shape gets a new schema version and an upcaster. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson


@dataclass(frozen=True, slots=True)
class DomainEvent:
    schema_version: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        # Shallow on purpose: asdict() would deep-copy every ingested payload.
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def body(self) -> bytes | None:
        """The part stored as the event's body rather than in its data (`NewEvent.body`)."""
        return None


@dataclass(frozen=True, slots=True)
class OrganizationCreated(DomainEvent):
    organization_id: str
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class ProjectCreated(DomainEvent):
    organization_id: str
    project_id: int
    slug: str
    name: str
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectKeyCreated(DomainEvent):
    organization_id: str
    project_id: int
    public_key: str
    label: str


@dataclass(frozen=True, slots=True)
class ApiTokenIssued(DomainEvent):
    """Only the token's hash is ever stored; the token itself is shown once, to its creator."""

    organization_id: str
    token_id: str
    token_hash: str
    label: str
    scopes: tuple[str, ...]
    expires_at: float | None = None  # unix time; absent in tokens issued before expiry existed


@dataclass(frozen=True, slots=True)
class ApiTokenRevoked(DomainEvent):
    """In the stream the token was issued in: `organization-{slug}` or `user-{email}`."""

    token_id: str
    organization_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class MemberAdded(DomainEvent):
    organization_id: str
    email: str
    role: str  # owner | admin | member


@dataclass(frozen=True, slots=True)
class MemberRoleChanged(DomainEvent):
    organization_id: str
    email: str
    role: str


@dataclass(frozen=True, slots=True)
class MemberRemoved(DomainEvent):
    organization_id: str
    email: str


@dataclass(frozen=True, slots=True)
class UserRegistered(DomainEvent):
    """A person, known by email; first in the stream `user-{email}`."""

    user_id: str
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class PersonalTokenIssued(DomainEvent):
    """A user's own API token: its scopes in an organization are limited by the user's role there.
    Only the hash is stored."""

    user_id: str
    email: str
    token_id: str
    token_hash: str
    label: str
    scopes: tuple[str, ...]
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class ProjectIdAllocated(DomainEvent):
    """Numeric project ids (the DSN needs one) come from one sequence stream."""

    project_id: int


@dataclass(frozen=True, slots=True)
class ErrorEventReceived(DomainEvent):
    """An SDK's error or message event, as accepted by ingest: the normalized, scrubbed payload
    as JSON text, and the facts decided from it (see `stackline.domain.error_event`).

    Since schema 3 the payload is stored as the event's body, apart from its data: following
    the log reads the facts only. An event decoded from the log therefore has no payload
    (`payload_json` None) unless it was read with its body (`with_payload`); schema 2 events
    kept it in their data."""

    schema_version: ClassVar[int] = 3
    organization_id: str
    project_id: int
    event_id: str
    received_at: float
    facts: dict[str, Any]
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
            "facts": self.facts,
        }

    def body(self) -> bytes | None:
        return None if self.payload_json is None else self.payload_json.encode()

    def with_payload(self, body: bytes | None) -> ErrorEventReceived:
        """This event with the payload from its stored body (read by `read_positions`)."""
        return self if body is None else dataclasses.replace(self, payload_json=body.decode())


def register(cls: type[DomainEvent]) -> type[DomainEvent]:
    """Make a domain event type decodable from the store (aggregate modules register theirs)."""
    EVENT_TYPES[cls.__name__] = cls
    return cls


@dataclass(frozen=True, slots=True)
class TransactionReceived(DomainEvent):
    organization_id: str
    project_id: int
    event_id: str
    received_at: float
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SessionsReceived(DomainEvent):
    """Release-health session updates, one entry per status: {release, environment, status,
    quantity, started, errors}."""

    organization_id: str
    project_id: int
    received_at: float
    updates: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AttachmentStored(DomainEvent):
    """The bytes live in the blob store under `sha256`, written before this event was appended."""

    organization_id: str
    project_id: int
    event_id: str | None
    attachment_id: str
    filename: str
    content_type: str
    attachment_type: str
    size: int
    sha256: str
    received_at: float


@dataclass(frozen=True, slots=True)
class CheckInReceived(DomainEvent):
    organization_id: str
    project_id: int
    check_in_id: str
    monitor_slug: str
    status: str
    duration: float | None
    environment: str | None
    received_at: float


@dataclass(frozen=True, slots=True)
class FeedbackReceived(DomainEvent):
    organization_id: str
    project_id: int
    feedback_id: str
    associated_event_id: str | None
    name: str | None
    email: str | None
    comments: str
    received_at: float


@dataclass(frozen=True, slots=True)
class ClientReportReceived(DomainEvent):
    """What an SDK says it dropped itself: [{reason, category, quantity}]."""

    organization_id: str
    project_id: int
    received_at: float
    discarded: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class OutcomesRecorded(DomainEvent):
    """Ingest's own tally of what it refused over a short window: [{category, outcome, reason,
    quantity}]. Accepted items are counted from their own events."""

    organization_id: str
    project_id: int
    recorded_at: float
    outcomes: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ProjectSettingsChanged(DomainEvent):
    organization_id: str
    project_id: int
    scrub_data: bool
    scrub_ip_addresses: bool
    sensitive_fields: tuple[str, ...]
    safe_fields: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    monthly_event_quota: int | None


@dataclass(frozen=True, slots=True)
class ProjectKeyLimitsChanged(DomainEvent):
    organization_id: str
    project_id: int
    public_key: str
    is_active: bool
    rate_limit_per_second: int | None
    rate_limit_per_minute: int | None


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.__name__: cls
    for cls in (
        OrganizationCreated,
        ProjectCreated,
        ProjectKeyCreated,
        ApiTokenIssued,
        ApiTokenRevoked,
        MemberAdded,
        MemberRoleChanged,
        MemberRemoved,
        UserRegistered,
        PersonalTokenIssued,
        ProjectIdAllocated,
        ErrorEventReceived,
        TransactionReceived,
        SessionsReceived,
        AttachmentStored,
        CheckInReceived,
        FeedbackReceived,
        ClientReportReceived,
        OutcomesRecorded,
        ProjectSettingsChanged,
        ProjectKeyLimitsChanged,
    )
}

# Each accepted item's data category, as quotas and outcomes count it (sessions count their
# quantity, under "session"). Every one of these types carries `organization_id`, `project_id`
# and `received_at` in its data.
# The events counted as an "accepted" outcome; isinstance takes the union.
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


def event_type(event: DomainEvent) -> str:
    return type(event).__name__


def decode(type_name: str, data: dict[str, Any]) -> DomainEvent | None:
    """The domain event for a stored type and data; None for a type this code does not know."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        return None
    values = {}
    for name, is_tuple in _fields_of(cls):
        if name in data:
            value = data[name]
            # JSON has no tuples; fields declared as tuples come back from lists.
            values[name] = tuple(value) if is_tuple and isinstance(value, list) else value
    return cls(**values)


_FIELDS: dict[type[DomainEvent], tuple[tuple[str, bool], ...]] = {}


def _fields_of(cls: type[DomainEvent]) -> tuple[tuple[str, bool], ...]:
    """(name, declared as a tuple) for each field of an event class, computed once per class."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(
            (f.name, str(f.type).startswith("tuple")) for f in dataclasses.fields(cls)
        )
    return fields
