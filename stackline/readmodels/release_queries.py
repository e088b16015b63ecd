"""Read queries for the Sentry REST API's releases (`stackline/entrypoints/sentry_api.py`):
an organization's releases with the projects they name, their deploys and their uploaded files.
Every one filters by the organization the caller was found to hold the scope in. Never writes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.queries import projects_of
from stackline.readmodels.schema import artifact_files, deploys, org_releases, projects

# A release with its projects by id (id, slug, name), for the release's JSON.
ReleaseWithProjects = tuple[Row, dict[int, Row]]


async def release(conn: AsyncConnection, org_id: str, version: str) -> ReleaseWithProjects | None:
    query = select(org_releases).where(
        org_releases.c.organization_id == org_id, org_releases.c.version == version
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    names = select(projects.c.id, projects.c.slug, projects.c.name).where(
        projects.c.id.in_(list(row.project_ids))
    )
    return row, {p.id: p for p in await conn.execute(names)}


async def releases(
    conn: AsyncConnection, org_id: str, project_id: int | None, limit: int = 1000
) -> tuple[list[Row], dict[int, Row]]:
    """The newest `limit` releases of the organization (those naming `project_id`, when given),
    newest first, and the organization's projects by id."""
    query = (
        select(org_releases)
        .where(org_releases.c.organization_id == org_id)
        .order_by(org_releases.c.created_at.desc())
        .limit(limit)
    )
    rows = list(await conn.execute(query))
    if project_id is not None:
        rows = [row for row in rows if project_id in row.project_ids]
    return rows, {p.id: p for p in await projects_of(conn, org_id)}


async def deploys_of(conn: AsyncConnection, org_id: str, version: str) -> Sequence[Row]:
    """A release's deploys, newest first."""
    query = (
        select(deploys)
        .where(deploys.c.organization_id == org_id, deploys.c.version == version)
        .order_by(deploys.c.position.desc())
    )
    return (await conn.execute(query)).all()


async def release_files(conn: AsyncConnection, org_id: str, version: str) -> Sequence[Row]:
    """The files uploaded for a release, in upload order."""
    query = (
        select(artifact_files)
        .where(artifact_files.c.organization_id == org_id, artifact_files.c.release == version)
        .order_by(artifact_files.c.position, artifact_files.c.url)
    )
    return (await conn.execute(query)).all()
