"""Fast, cached answers to the two questions every request asks: whose key is this, whose token?

Both read the SQL read models. Positive answers are cached briefly; a miss is never cached,
because a project or token created a moment ago may still be on its way through the projector.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.app.commands import token_hash
from stackline.domain.scrub import ScrubConfig
from stackline.readmodels.schema import api_tokens, project_keys, projects

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
    """Who is calling the API: a token of one organization, with its scopes."""

    organization_id: str
    token_id: str
    scopes: frozenset[str]


class Lookups:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._keys: dict[str, tuple[float, ProjectKey]] = {}
        self._tokens: dict[str, tuple[float, Viewer]] = {}

    async def project_key(self, public_key: str) -> ProjectKey | None:
        cached = self._keys.get(public_key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        project_keys.c.project_id, project_keys.c.organization_id, project_keys.c.is_active,
                        project_keys.c.rate_limit_per_second, project_keys.c.rate_limit_per_minute,
                        projects.c.scrub_data, projects.c.scrub_ip_addresses, projects.c.sensitive_fields,
                        projects.c.safe_fields, projects.c.allowed_origins, projects.c.monthly_event_quota,
                    )
                    .join(projects, projects.c.id == project_keys.c.project_id)
                    .where(project_keys.c.public_key == public_key)
                )
            ).first()
        if row is None:
            return None
        key = ProjectKey(
            public_key, row.project_id, row.organization_id, row.is_active, row.rate_limit_per_second,
            row.rate_limit_per_minute,
            ScrubConfig(enabled=row.scrub_data, scrub_ip_addresses=row.scrub_ip_addresses,
                        sensitive_fields=tuple(row.sensitive_fields), safe_fields=tuple(row.safe_fields)),
            keep_ip=not row.scrub_ip_addresses, allowed_origins=tuple(row.allowed_origins),
            monthly_event_quota=row.monthly_event_quota,
        )
        self._keys[public_key] = (time.monotonic() + CACHE_SECONDS, key)
        return key

    def forget_keys(self) -> None:
        """Drop cached keys (after their settings changed in this process)."""
        self._keys.clear()

    async def viewer(self, token: str) -> Viewer | None:
        digest = token_hash(token)
        cached = self._tokens.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(api_tokens.c.organization_id, api_tokens.c.token_id, api_tokens.c.scopes).where(
                        api_tokens.c.token_hash == digest
                    )
                )
            ).first()
        if row is None:
            return None
        viewer = Viewer(row.organization_id, row.token_id, frozenset(row.scopes))
        self._tokens[digest] = (time.monotonic() + CACHE_SECONDS, viewer)
        return viewer
