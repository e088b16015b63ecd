"""Use cases on projects: create one (with its first DSN key), change its settings, change a key.

Authorization: the organization (or the project) must be one where the viewer holds
`project:write` (one elsewhere answers like a missing one). Commands run through
`stackline/app/commands.py`; the answer waits until the projector has applied the change, and a
changed project or key is forgotten by this process's key cache at once. Never writes read models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from stackline.domain.organization import InvalidCommand
from stackline.readmodels import queries
from stackline.readmodels.reads import read
from stackline.usecases.issues import READ_YOUR_WRITES_TIMEOUT
from stackline.usecases.refusals import Refusal

if TYPE_CHECKING:
    from stackline.app.commands import Commands
    from stackline.app.lookups import Viewer
    from stackline.app.wiring import Services


@dataclass(frozen=True)
class ProjectAnswer:
    project: Row | None = None
    refusal: Refusal | None = None


async def create_project(
    services: Services, viewer: Viewer, org_slug: str, slug: str, name: str | None, platform: str | None
) -> ProjectAnswer:
    org = await read(services.engine, queries.organization_by_slug, viewer.orgs("project:write"), org_slug)
    if org is None:
        return ProjectAnswer(refusal=Refusal("organization not found", ["organizationSlug"]))
    try:
        created = await services.commands.create_project(
            org_slug, slug, name or slug, platform, actor=viewer.actor
        )
    except InvalidCommand as error:
        return ProjectAnswer(refusal=Refusal(str(error), ["slug"]))
    # Commands never write read models: wait for the projector so the answer can show the project.
    await services.projector.wait_for(await services.store.head_position(), READ_YOUR_WRITES_TIMEOUT)
    rows = await read(services.engine, queries.projects_by_ids, [org.id], [created.project_id])
    return ProjectAnswer(project=rows[created.project_id] if rows else None)


async def change_project_settings(
    services: Services, viewer: Viewer, org_slug: str, project_slug: str, changes: dict[str, Any]
) -> ProjectAnswer:
    """Apply `changes` (only the settings given; None clears a quota or retention)."""
    return await _change_project(
        services,
        viewer,
        org_slug,
        project_slug,
        lambda commands: commands.change_project_settings(org_slug, project_slug, changes, viewer.actor),
    )


async def change_project_key(
    services: Services,
    viewer: Viewer,
    org_slug: str,
    project_slug: str,
    public_key: str,
    changes: dict[str, Any],
) -> ProjectAnswer:
    """Apply `changes` to a DSN key (is_active, rate limits; None clears a limit)."""
    return await _change_project(
        services,
        viewer,
        org_slug,
        project_slug,
        lambda commands: commands.change_key_limits(
            org_slug, project_slug, public_key, changes, viewer.actor
        ),
    )


async def _change_project(
    services: Services,
    viewer: Viewer,
    org_slug: str,
    project_slug: str,
    change: Callable[[Commands], Awaitable[int | None]],
) -> ProjectAnswer:
    """Run a project-changing command in the viewer's organization, then answer with the project
    once the read model shows the change."""
    row = await read(
        services.engine, queries.project_by_slug, viewer.orgs("project:write"), org_slug, project_slug
    )
    if row is None:
        return ProjectAnswer(refusal=Refusal("project not found", ["projectSlug"]))
    try:
        position = await change(services.commands)
    except InvalidCommand as error:
        return ProjectAnswer(refusal=Refusal.of(error))
    if position is not None:
        await services.projector.wait_for(position, READ_YOUR_WRITES_TIMEOUT)
    services.lookups.forget_keys()
    return ProjectAnswer(project=row)
