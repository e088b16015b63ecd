"""Use cases on webhooks: create, change (URL, events, description, activity, secret) and delete.

Authorization: the project or webhook must be in an organization where the viewer holds
`project:write` (one elsewhere answers like a missing one). Commands run through
`stackline/app/webhook_commands.py`; the answer shows the webhook once the projector has applied
the change. A secret is only ever in the answer of the change that made it. Never writes read
models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from stackline.domain.organization import InvalidCommand
from stackline.domain.webhook import WebhookConfig
from stackline.readmodels import queries
from stackline.readmodels.reads import read
from stackline.usecases.issues import READ_YOUR_WRITES_TIMEOUT
from stackline.usecases.refusals import Refusal

if TYPE_CHECKING:
    from stackline.app.lookups import Viewer
    from stackline.app.wiring import Services


@dataclass(frozen=True)
class WebhookAnswer:
    webhook: Row | None = None
    secret: str | None = None
    deleted: bool = False
    refusal: Refusal | None = None


def _field_of(error: InvalidCommand) -> list[str] | None:
    """The input field a webhook command's refusal is about (its message starts with it)."""
    first = str(error).split(" ", 1)[0]
    return [first] if first in ("url", "description") else (["events"] if "kind" in str(error) else None)


async def writable_webhook(services: Services, viewer: Viewer, webhook_id: str | None) -> Row | None:
    """The webhook, if it is in an organization where the viewer may change projects."""
    if webhook_id is None:
        return None
    return await read(services.engine, queries.webhook, viewer.orgs("project:write"), webhook_id)


async def fresh_webhook(
    services: Services, organization_id: str, webhook_id: str, position: int | None
) -> Row | None:
    """The webhook as the read model shows it once the projector has applied `position`."""
    if position is not None:
        await services.projector.wait_for(position, READ_YOUR_WRITES_TIMEOUT)
    return await read(services.engine, queries.webhook, {organization_id}, webhook_id)


async def create_webhook(
    services: Services,
    viewer: Viewer,
    project_key: str | None,
    url: str,
    events: tuple[str, ...],
    description: str,
) -> WebhookAnswer:
    found = {}
    if project_key is not None and project_key.isdigit():
        found = await read(
            services.engine, queries.projects_by_ids, viewer.orgs("project:write"), [int(project_key)]
        )
    if not found:
        return WebhookAnswer(refusal=Refusal("project not found", ["projectId"]))
    project_id, project = next(iter(found.items()))
    try:
        created = await services.webhook_commands.create(
            project.organization_id, project_id, WebhookConfig(url, events, description), viewer.actor
        )
    except InvalidCommand as error:
        return WebhookAnswer(refusal=Refusal.of(error, _field_of(error)))
    return WebhookAnswer(
        webhook=await fresh_webhook(services, project.organization_id, created.webhook_id, created.position),
        secret=created.secret,
    )


async def change_webhook(
    services: Services, viewer: Viewer, webhook_id: str | None, changes: dict[str, Any], rotate_secret: bool
) -> WebhookAnswer:
    """Apply `changes` (url, description, is_active, events: only those given)."""
    row = await writable_webhook(services, viewer, webhook_id)
    if row is None:
        return WebhookAnswer(refusal=Refusal("webhook not found", ["id"]))
    try:
        changed = await services.webhook_commands.change(
            row.id, row.organization_id, changes, rotate_secret, viewer.actor
        )
    except InvalidCommand as error:
        return WebhookAnswer(refusal=Refusal.of(error, _field_of(error)))
    return WebhookAnswer(
        webhook=await fresh_webhook(services, row.organization_id, row.id, changed.position),
        secret=changed.secret,
    )


async def delete_webhook(services: Services, viewer: Viewer, webhook_id: str | None) -> WebhookAnswer:
    row = await writable_webhook(services, viewer, webhook_id)
    if row is None:
        return WebhookAnswer(refusal=Refusal("webhook not found", ["id"]))
    try:
        deleted = await services.webhook_commands.delete(row.id, row.organization_id, viewer.actor)
    except InvalidCommand as error:
        return WebhookAnswer(refusal=Refusal.of(error))
    if deleted.position is not None:
        await services.projector.wait_for(deleted.position, READ_YOUR_WRITES_TIMEOUT)
    return WebhookAnswer(deleted=True)
