"""Domain events: the vocabulary stackline stores, as small immutable dataclasses.

Names are in the past tense and each has a schema version. The meaning of a stored event never
changes; a new shape gets a new schema version and an upcaster. Each module that defines events
registers them with `@register` and the upcasters of their old shapes with `@upcasts`, beside
them; `stackline.domain.registry` imports every such module and decodes. This module holds the
organizations', users' and ingest's events (but the error event's: `error_event.py`). Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

Upcast = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound="type[DomainEvent]")

# Filled as modules are imported; read through `stackline.domain.registry`, which imports them all.
REGISTERED: dict[str, type[DomainEvent]] = {}
UPCASTS: dict[tuple[str, int], Upcast] = {}


def register(cls: E) -> E:
    """Make a domain event type decodable from the store, under its class name."""
    REGISTERED[cls.__name__] = cls
    return cls


def upcasts(type_name: str, from_version: int) -> Callable[[Upcast], Upcast]:
    """Register a function that lifts a stored event's data from `from_version` to the next."""

    def add(function: Upcast) -> Upcast:
        UPCASTS[(type_name, from_version)] = function
        return function

    return add


@dataclass(frozen=True, slots=True)
class DomainEvent:
    schema_version: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        # Shallow on purpose: asdict() would deep-copy every ingested payload.
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> DomainEvent:
        """The event from its stored data (at its current schema version)."""
        values = {}
        for name, is_tuple in _fields_of(cls):
            if name in data:
                value = data[name]
                # JSON has no tuples; fields declared as tuples come back from lists.
                values[name] = tuple(value) if is_tuple and isinstance(value, list) else value
        return cls(**values)

    def body(self) -> bytes | None:
        """The part stored as the event's body rather than in its data (`NewEvent.body`)."""
        return None


@register
@dataclass(frozen=True, slots=True)
class OrganizationCreated(DomainEvent):
    organization_id: str
    slug: str
    name: str


@register
@dataclass(frozen=True, slots=True)
class OrganizationRetentionChanged(DomainEvent):
    """The organization's retention, for each of its projects without its own (None: the
    server's `STACKLINE_RETENTION_*`): docs/retention.md."""

    organization_id: str
    retention_days: float | None
    retention_max_events: int | None


@register
@dataclass(frozen=True, slots=True)
class ProjectCreated(DomainEvent):
    organization_id: str
    project_id: int
    slug: str
    name: str
    platform: str | None = None


@register
@dataclass(frozen=True, slots=True)
class ProjectKeyCreated(DomainEvent):
    organization_id: str
    project_id: int
    public_key: str
    label: str


@register
@dataclass(frozen=True, slots=True)
class ApiTokenIssued(DomainEvent):
    """Only the token's hash is ever stored; the token itself is shown once, to its creator."""

    organization_id: str
    token_id: str
    token_hash: str
    label: str
    scopes: tuple[str, ...]
    expires_at: float | None = None  # unix time; absent in tokens issued before expiry existed


@register
@dataclass(frozen=True, slots=True)
class ApiTokenRevoked(DomainEvent):
    """In the stream the token was issued in: `organization-{slug}` or `user-{email}`."""

    token_id: str
    organization_id: str | None = None
    email: str | None = None


@register
@dataclass(frozen=True, slots=True)
class MemberAdded(DomainEvent):
    organization_id: str
    email: str
    role: str  # owner | admin | member


@register
@dataclass(frozen=True, slots=True)
class MemberRoleChanged(DomainEvent):
    organization_id: str
    email: str
    role: str


@register
@dataclass(frozen=True, slots=True)
class MemberRemoved(DomainEvent):
    organization_id: str
    email: str


@register
@dataclass(frozen=True, slots=True)
class UserRegistered(DomainEvent):
    """A person, known by email; first in the stream `user-{email}`."""

    user_id: str
    email: str
    name: str


@register
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


@register
@dataclass(frozen=True, slots=True)
class ProjectIdAllocated(DomainEvent):
    """Numeric project ids (the DSN needs one) come from one sequence stream."""

    project_id: int


@register
@dataclass(frozen=True, slots=True)
class TransactionReceived(DomainEvent):
    organization_id: str
    project_id: int
    event_id: str
    received_at: float
    payload: dict[str, Any]


@register
@dataclass(frozen=True, slots=True)
class SessionsReceived(DomainEvent):
    """Release-health session updates, one entry per status: {release, environment, status,
    quantity, started, errors}."""

    organization_id: str
    project_id: int
    received_at: float
    updates: list[dict[str, Any]]


@register
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


@register
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


@register
@dataclass(frozen=True, slots=True)
class LogsReceived(DomainEvent):
    """One `log` (or `otel_log`) item's records, normalized and scrubbed by intake: each a dict
    of log_id, timestamp (seconds), level, severity_number, body, attributes ({name: {value,
    type}}), trace_id, span_id."""

    organization_id: str
    project_id: int
    received_at: float
    logs: list[dict[str, Any]]


@register
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


@register
@dataclass(frozen=True, slots=True)
class ClientReportReceived(DomainEvent):
    """What an SDK says it dropped itself: [{reason, category, quantity}]."""

    organization_id: str
    project_id: int
    received_at: float
    discarded: list[dict[str, Any]]


@register
@dataclass(frozen=True, slots=True)
class OutcomesRecorded(DomainEvent):
    """Ingest's own tally of what it refused over a short window: [{category, outcome, reason,
    quantity}]. Accepted items are counted from their own events."""

    organization_id: str
    project_id: int
    recorded_at: float
    outcomes: list[dict[str, Any]]


@register
@dataclass(frozen=True, slots=True)
class ProjectSettingsChanged(DomainEvent):
    """Schema 2 added the project's retention (None: the server's `STACKLINE_RETENTION_*`)."""

    schema_version: ClassVar[int] = 2
    organization_id: str
    project_id: int
    scrub_data: bool
    scrub_ip_addresses: bool
    sensitive_fields: tuple[str, ...]
    safe_fields: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    monthly_event_quota: int | None
    retention_days: float | None = None
    retention_max_events: int | None = None


@upcasts("ProjectSettingsChanged", 1)
def _settings_without_retention(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "retention_days": None, "retention_max_events": None}


@register
@dataclass(frozen=True, slots=True)
class ProjectKeyLimitsChanged(DomainEvent):
    organization_id: str
    project_id: int
    public_key: str
    is_active: bool
    rate_limit_per_second: int | None
    rate_limit_per_minute: int | None


def event_type(event: DomainEvent) -> str:
    return type(event).__name__


_FIELDS: dict[type[DomainEvent], tuple[tuple[str, bool], ...]] = {}


def _fields_of(cls: type[DomainEvent]) -> tuple[tuple[str, bool], ...]:
    """(name, declared as a tuple) for each field of an event class, computed once per class."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(
            (f.name, str(f.type).startswith("tuple")) for f in dataclasses.fields(cls)
        )
    return fields
