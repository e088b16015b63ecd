"""The read queries that come before any organization is known: whose DSN key, whose API token,
and a token user's roles (`stackline/app/lookups.py` caches their answers). They look up by the
key or the token's hash, which only its holder has. Never writes."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.schema import api_tokens, members, project_keys, projects


async def key_with_project(conn: AsyncConnection, public_key: str) -> Row | None:
    """A DSN key with its limits and its project's scrubbing, origins and quota."""
    query = (
        select(
            project_keys.c.project_id,
            project_keys.c.organization_id,
            project_keys.c.is_active,
            project_keys.c.rate_limit_per_second,
            project_keys.c.rate_limit_per_minute,
            projects.c.scrub_data,
            projects.c.scrub_ip_addresses,
            projects.c.sensitive_fields,
            projects.c.safe_fields,
            projects.c.allowed_origins,
            projects.c.monthly_event_quota,
        )
        .join(projects, projects.c.id == project_keys.c.project_id)
        .where(project_keys.c.public_key == public_key)
    )
    return (await conn.execute(query)).first()


async def unrevoked_token(conn: AsyncConnection, digest: str) -> Row | None:
    """The API token with this hash, unless it was revoked (expiry is the caller's to check)."""
    query = select(
        api_tokens.c.organization_id,
        api_tokens.c.token_id,
        api_tokens.c.scopes,
        api_tokens.c.user_email,
        api_tokens.c.expires_at,
    ).where(api_tokens.c.token_hash == digest, api_tokens.c.revoked_at.is_(None))
    return (await conn.execute(query)).first()


async def roles_of_user(conn: AsyncConnection, email: str) -> dict[str, str]:
    """Organization id -> the user's role there."""
    query = select(members.c.organization_id, members.c.role).where(members.c.email == email)
    return {m.organization_id: m.role for m in await conn.execute(query)}
