"""Fast, cached answers to the two questions every request asks: whose key is this, whose token?

Both read the SQL read models. Positive answers are cached briefly (CACHE_SECONDS); a miss is
never cached, because a project or token created a moment ago may still be on its way through
the projector. A token's answer includes what it may do in each organization, so a revoked
token, or a personal token whose user was demoted or removed, loses that power within
CACHE_SECONDS in every process; expiry is checked on every use.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.app.commands import token_hash
from stackline.domain.organization import ROLE_SCOPES
from stackline.domain.scrub import ScrubConfig
from stackline.readmodels import credentials
from stackline.readmodels.queries import aware
from stackline.readmodels.reads import read

CACHE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ProjectKey:
    """A DSN key with what ingest needs to know about it and its project."""

    public_key: str
    project_id: int
    organization_id: str
    is_active: bool
    rate_limit_per_second: int | None = None
    rate_limit_per_minute: int | None = None
    scrub: ScrubConfig = ScrubConfig()
    keep_ip: bool = True
    allowed_origins: tuple[str, ...] = ()
    monthly_event_quota: int | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is calling the API, and what they may do in which organization.

    An organization token acts for its one organization with its own scopes, and holds that
    organization's ownership (it was issued by the operator or by an owner). A personal token acts
    for its user in every organization the user is a member of, with the token's scopes cut down
    to what the user's role allows there.
    """

    token_id: str
    scopes: frozenset[str]  # the token's own scopes
    grants: Mapping[str, frozenset[str]]  # organization id -> effective scopes there
    user_email: str | None = None  # set for personal tokens
    roles: Mapping[str, str] = field(default_factory=dict)  # organization id -> the user's role
    expires_at: float | None = None

    @property
    def is_personal(self) -> bool:
        return self.user_email is not None

    @property
    def actor(self) -> str:
        """Who the event store records as having done something."""
        return self.user_email or self.token_id

    def orgs(self, scope: str) -> frozenset[str]:
        """The organizations in which this viewer holds `scope`."""
        return frozenset(org for org, scopes in self.grants.items() if scope in scopes)

    def can(self, organization_id: str, scope: str) -> bool:
        return scope in self.grants.get(organization_id, ())

    def owns(self, organization_id: str) -> bool:
        """Ownership: making, demoting and removing owners; organization tokens."""
        if not self.can(organization_id, "org:write"):
            return False
        return self.roles.get(organization_id) == "owner" if self.is_personal else True

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class Lookups:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._keys: dict[str, tuple[float, ProjectKey]] = {}
        self._tokens: dict[str, tuple[float, Viewer]] = {}
        self.cache_seconds = CACHE_SECONDS

    async def project_key(self, public_key: str) -> ProjectKey | None:
        cached = self._keys.get(public_key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        row = await read(self.engine, credentials.key_with_project, public_key)
        if row is None:
            return None
        key = ProjectKey(
            public_key,
            row.project_id,
            row.organization_id,
            row.is_active,
            row.rate_limit_per_second,
            row.rate_limit_per_minute,
            ScrubConfig(
                enabled=row.scrub_data,
                scrub_ip_addresses=row.scrub_ip_addresses,
                sensitive_fields=tuple(row.sensitive_fields),
                safe_fields=tuple(row.safe_fields),
            ),
            keep_ip=not row.scrub_ip_addresses,
            allowed_origins=tuple(row.allowed_origins),
            monthly_event_quota=row.monthly_event_quota,
        )
        self._keys[public_key] = (time.monotonic() + CACHE_SECONDS, key)
        return key

    def forget_keys(self) -> None:
        """Drop cached keys (after their settings changed in this process)."""
        self._keys.clear()

    def forget_tokens(self) -> None:
        """Drop cached viewers (after a token, membership or role changed in this process)."""
        self._tokens.clear()

    async def viewer(self, token: str) -> Viewer | None:
        """The viewer a bearer token stands for; None for an unknown, revoked or expired token."""
        digest = token_hash(token)
        now = time.time()
        cached = self._tokens.get(digest)
        if cached and cached[0] > time.monotonic():
            return None if cached[1].expired(now) else cached[1]
        row = await read(self.engine, credentials.unrevoked_token, digest)
        if row is None:
            return None
        scopes = frozenset(row.scopes)
        roles: dict[str, str] = {}
        if row.user_email is not None:
            roles = await read(self.engine, credentials.roles_of_user, row.user_email)
            grants = {org: scopes & ROLE_SCOPES.get(role, frozenset()) for org, role in roles.items()}
        else:
            grants = {row.organization_id: scopes}
        expires_at = aware(row.expires_at).timestamp() if row.expires_at is not None else None
        viewer = Viewer(row.token_id, scopes, grants, row.user_email, roles, expires_at)
        if viewer.expired(now):
            return None
        self._tokens[digest] = (time.monotonic() + self.cache_seconds, viewer)
        return viewer


def bearer_token(value: str | None) -> str | None:
    """The API token of an `Authorization: Bearer <token>` header (GraphQL, the Sentry REST
    endpoints and attachment downloads all take it so)."""
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None
