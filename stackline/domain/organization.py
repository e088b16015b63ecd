"""The Organization aggregate: an organization, its projects, their keys, its members and its
organization API tokens.

Memberships live here, not in the user's stream, because their invariant is the organization's:
it always keeps at least one owner, and only owners make, demote or remove owners. One stream
and its expected version decide that even under concurrent commands.

It decides whether a command may happen, given the events of its stream, and answers with the
new events; it never stores anything itself. Slugs are unique inside the aggregate, which the
stream's expected version guarantees even under concurrent commands. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from stackline.domain.events import (
    ApiTokenIssued,
    ApiTokenRevoked,
    DomainEvent,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrganizationCreated,
    OrganizationRetentionChanged,
    ProjectCreated,
    ProjectKeyCreated,
    ProjectKeyLimitsChanged,
    ProjectSettingsChanged,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
ROLES = ("owner", "admin", "member")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
ALL_SCOPES = ("org:read", "org:write", "project:read", "project:write", "event:read", "event:write")
MEMBER_SCOPES = frozenset({"org:read", "project:read", "event:read", "event:write"})
# What a personal token may do in an organization, by the user's role there. Admins hold
# org:write but not ownership (making, demoting, removing owners; organization tokens).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "member": MEMBER_SCOPES,
    "admin": MEMBER_SCOPES | {"project:write", "org:write"},
    "owner": frozenset(ALL_SCOPES),
}


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(scopes))
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise InvalidCommand(f"unknown scopes: {', '.join(unknown)} (known: {', '.join(ALL_SCOPES)})")
    return scopes


def check_expiry(expires_at: float | None, now: float) -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidCommand("expiresAt must be in the future")


class InvalidCommand(ValueError):
    """A command the aggregate refuses; the message is shown to the user."""


def stream_name(slug: str) -> str:
    return f"organization-{slug}"


def check_slug(slug: str, what: str) -> None:
    if not SLUG.match(slug):
        raise InvalidCommand(
            f"{what} slug {slug!r} must be 1-50 lowercase letters, digits, '-' or '_', starting with a "
            "letter or digit"
        )


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    scrub_data: bool = True
    scrub_ip_addresses: bool = False
    sensitive_fields: tuple[str, ...] = ()
    safe_fields: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    monthly_event_quota: int | None = None
    retention_days: float | None = None  # None: the organization's, else STACKLINE_RETENTION_MAX_AGE
    retention_max_events: int | None = None  # None: the organization's, else STACKLINE_RETENTION_MAX_EVENTS


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """An organization's retention, for its projects without their own (None: the server's)."""

    retention_days: float | None = None
    retention_max_events: int | None = None


def check_retention(retention_days: float | None, retention_max_events: int | None) -> None:
    if retention_days is not None and not retention_days > 0:
        raise InvalidCommand("retentionDays must be positive")
    if retention_max_events is not None and retention_max_events <= 0:
        raise InvalidCommand("retentionMaxEvents must be positive")


@dataclass(frozen=True, slots=True)
class KeyLimits:
    is_active: bool = True
    rate_limit_per_second: int | None = None
    rate_limit_per_minute: int | None = None


@dataclass(slots=True)
class ProjectState:
    project_id: int
    slug: str
    name: str
    public_keys: list[str] = field(default_factory=list)
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    key_limits: dict[str, KeyLimits] = field(default_factory=dict)


@dataclass(slots=True)
class Organization:
    id: str | None = None
    slug: str | None = None
    name: str | None = None
    projects: dict[str, ProjectState] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)  # email -> role
    tokens: dict[str, bool] = field(default_factory=dict)  # token id -> revoked
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)

    @classmethod
    def from_events(cls, events: Iterable[DomainEvent]) -> Organization:
        org = cls()
        for event in events:
            org.apply(event)
        return org

    @property
    def exists(self) -> bool:
        return self.id is not None

    def apply(self, event: DomainEvent) -> None:
        match event:
            case OrganizationCreated(organization_id=org_id, slug=slug, name=name):
                self.id, self.slug, self.name = org_id, slug, name
            case OrganizationRetentionChanged(retention_days=days, retention_max_events=cap):
                self.retention = RetentionPolicy(days, cap)
            case ProjectCreated(project_id=project_id, slug=slug, name=name):
                self.projects[slug] = ProjectState(project_id, slug, name)
            case MemberAdded(email=email, role=role) | MemberRoleChanged(email=email, role=role):
                self.members[email] = role
            case MemberRemoved(email=email):
                self.members.pop(email, None)
            case ApiTokenIssued(token_id=token_id):
                self.tokens[token_id] = False
            case ApiTokenRevoked(token_id=token_id):
                self.tokens[token_id] = True
            case ProjectKeyCreated(project_id=project_id, public_key=key):
                for project in self.projects.values():
                    if project.project_id == project_id:
                        project.public_keys.append(key)
                        project.key_limits[key] = KeyLimits()
            case ProjectSettingsChanged() as e:
                changed = self._project_by_id(e.project_id)
                if changed is not None:
                    changed.settings = ProjectSettings(
                        e.scrub_data,
                        e.scrub_ip_addresses,
                        e.sensitive_fields,
                        e.safe_fields,
                        e.allowed_origins,
                        e.monthly_event_quota,
                        e.retention_days,
                        e.retention_max_events,
                    )
            case ProjectKeyLimitsChanged() as e:
                limited = self._project_by_id(e.project_id)
                if limited is not None:
                    limited.key_limits[e.public_key] = KeyLimits(
                        e.is_active, e.rate_limit_per_second, e.rate_limit_per_minute
                    )

    def _project_by_id(self, project_id: int) -> ProjectState | None:
        return next((p for p in self.projects.values() if p.project_id == project_id), None)

    def create(
        self, organization_id: str, slug: str, name: str, owner: str | None = None
    ) -> list[DomainEvent]:
        """A new organization; `owner` (an email) becomes its first owner."""
        check_slug(slug, "organization")
        if self.exists:
            raise InvalidCommand(f"organization {slug!r} already exists")
        events: list[DomainEvent] = [
            OrganizationCreated(organization_id=organization_id, slug=slug, name=name or slug)
        ]
        if owner is not None:
            events.append(MemberAdded(organization_id, owner, "owner"))
        return events

    def create_project(
        self, project_id: int, slug: str, name: str, public_key: str, platform: str | None = None
    ) -> list[DomainEvent]:
        if self.id is None:
            raise InvalidCommand("organization does not exist")
        check_slug(slug, "project")
        if slug in self.projects:
            raise InvalidCommand(f"project {slug!r} already exists in organization {self.slug!r}")
        return [
            ProjectCreated(self.id, project_id, slug, name or slug, platform),
            ProjectKeyCreated(self.id, project_id, public_key, "Default"),
        ]

    def change_project_settings(self, slug: str, settings: ProjectSettings) -> list[DomainEvent]:
        project = self.projects.get(slug)
        if self.id is None or project is None:
            raise InvalidCommand("project not found")
        if settings.monthly_event_quota is not None and settings.monthly_event_quota < 0:
            raise InvalidCommand("monthlyEventQuota must not be negative")
        check_retention(settings.retention_days, settings.retention_max_events)
        for origin in settings.allowed_origins:
            if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
                raise InvalidCommand(f"allowed origin {origin!r} must look like https://example.com, or be *")
        if settings == project.settings:
            return []
        return [
            ProjectSettingsChanged(
                self.id,
                project.project_id,
                settings.scrub_data,
                settings.scrub_ip_addresses,
                settings.sensitive_fields,
                settings.safe_fields,
                settings.allowed_origins,
                settings.monthly_event_quota,
                settings.retention_days,
                settings.retention_max_events,
            )
        ]

    def change_retention(self, policy: RetentionPolicy) -> list[DomainEvent]:
        """The organization's retention, for its projects that have none of their own."""
        if self.id is None:
            raise InvalidCommand("organization does not exist")
        check_retention(policy.retention_days, policy.retention_max_events)
        if policy == self.retention:
            return []
        return [OrganizationRetentionChanged(self.id, policy.retention_days, policy.retention_max_events)]

    def change_key_limits(self, slug: str, public_key: str, limits: KeyLimits) -> list[DomainEvent]:
        project = self.projects.get(slug)
        if self.id is None or project is None or public_key not in project.key_limits:
            raise InvalidCommand("project key not found")
        for name, value in (
            ("rateLimitPerSecond", limits.rate_limit_per_second),
            ("rateLimitPerMinute", limits.rate_limit_per_minute),
        ):
            if value is not None and value < 0:
                raise InvalidCommand(f"{name} must not be negative")
        if project.key_limits[public_key] == limits:
            return []
        return [
            ProjectKeyLimitsChanged(
                self.id,
                project.project_id,
                public_key,
                limits.is_active,
                limits.rate_limit_per_second,
                limits.rate_limit_per_minute,
            )
        ]

    def add_member(self, email: str, role: str, as_owner: bool = True) -> list[DomainEvent]:
        """Add a member, or change an existing member's role (same rules as change_member_role).
        `as_owner`: whether the caller holds ownership (an owner, or an organization token)."""
        if self.id is None:
            raise InvalidCommand("organization does not exist")
        email = email.strip().lower()
        if not EMAIL.match(email):
            raise InvalidCommand(f"{email!r} is not an email address")
        if email in self.members:
            return self.change_member_role(email, role, as_owner)
        self._check_role(role)
        if role == "owner" and not as_owner:
            raise InvalidCommand("only an owner can make an owner")
        return [MemberAdded(self.id, email, role)]

    def change_member_role(self, email: str, role: str, as_owner: bool) -> list[DomainEvent]:
        email = email.strip().lower()
        current = self._member(email)
        self._check_role(role)
        if current == role:
            return []
        if "owner" in (current, role) and not as_owner:
            raise InvalidCommand("only an owner can make, demote or remove an owner")
        if current == "owner" and self._owner_count() == 1:
            raise InvalidCommand("the last owner cannot be demoted; make someone else owner first")
        return [MemberRoleChanged(self.id, email, role)]  # type: ignore[arg-type]

    def remove_member(self, email: str, as_owner: bool) -> list[DomainEvent]:
        email = email.strip().lower()
        current = self._member(email)
        if current == "owner" and not as_owner:
            raise InvalidCommand("only an owner can make, demote or remove an owner")
        if current == "owner" and self._owner_count() == 1:
            raise InvalidCommand("the last owner cannot be removed; make someone else owner first")
        return [MemberRemoved(self.id, email)]  # type: ignore[arg-type]

    def _member(self, email: str) -> str:
        if self.id is None:
            raise InvalidCommand("organization does not exist")
        role = self.members.get(email)
        if role is None:
            raise InvalidCommand("member not found")
        return role

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise InvalidCommand(f"role must be one of {', '.join(ROLES)}")

    def _owner_count(self) -> int:
        return sum(1 for role in self.members.values() if role == "owner")

    def issue_token(
        self,
        token_id: str,
        token_hash: str,
        label: str,
        scopes: Iterable[str],
        expires_at: float | None = None,
        now: float = 0.0,
    ) -> list[DomainEvent]:
        if self.id is None:
            raise InvalidCommand("organization does not exist")
        scopes = check_scopes(scopes)
        check_expiry(expires_at, now)
        return [ApiTokenIssued(self.id, token_id, token_hash, label, scopes, expires_at)]

    def revoke_token(self, token_id: str) -> list[DomainEvent]:
        if self.id is None or token_id not in self.tokens:
            raise InvalidCommand("token not found")
        if self.tokens[token_id]:
            return []
        return [ApiTokenRevoked(token_id, organization_id=self.id)]
