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
from stackline.readmodels.schema import api_tokens, project_keys

CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ProjectKey:
    public_key: str
    project_id: int
    organization_id: str
    is_active: bool


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
                        project_keys.c.project_id, project_keys.c.organization_id, project_keys.c.is_active
                    ).where(project_keys.c.public_key == public_key)
                )
            ).first()
        if row is None:
            return None
        key = ProjectKey(public_key, row.project_id, row.organization_id, row.is_active)
        self._keys[public_key] = (time.monotonic() + CACHE_SECONDS, key)
        return key

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
