"""Command handlers for webhooks: create, change, rotate the secret, delete.

Each loads the webhook's stream, lets the `Webhook` aggregate decide and appends at the version
it decided against (retrying the decision when another writer got there first). The caller has
checked the project or webhook belongs to the viewer's organization in the read model; the
aggregate's organization is checked again here. Handlers never write read models.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from stackline.app.stream_commands import append_decided, load_aggregate, retrying
from stackline.domain.events import DomainEvent
from stackline.domain.organization import InvalidCommand
from stackline.domain.webhook import Webhook, WebhookConfig, stream_name
from stackline.eventstore import EventStore


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class WebhookResult:
    webhook_id: str
    position: int | None  # where the change landed in the log; None when nothing changed
    secret: str | None = None  # only when this command made a new one: shown once


class WebhookCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load(self, webhook_id: str) -> Webhook:
        return await load_aggregate(self.store, stream_name(webhook_id), Webhook.from_events)

    async def _append(
        self, webhook: Webhook, webhook_id: str, events: Sequence[DomainEvent], actor: str | None
    ) -> int | None:
        return await append_decided(self.store, stream_name(webhook_id), webhook.version, events, actor)

    async def _retrying(self, attempt: Callable[[], Awaitable[WebhookResult]]) -> WebhookResult:
        return await retrying(attempt)

    async def _load_owned(self, webhook_id: str, organization_id: str) -> Webhook:
        webhook = await self.load(webhook_id)
        if not webhook.exists or webhook.organization_id != organization_id:
            raise InvalidCommand("webhook not found")
        return webhook

    async def create(
        self, organization_id: str, project_id: int, config: WebhookConfig, actor: str | None
    ) -> WebhookResult:
        webhook_id, secret = str(uuid.uuid4()), new_secret()
        webhook = Webhook()
        events = webhook.create(webhook_id, organization_id, project_id, config, secret)
        position = await self._append(webhook, webhook_id, events, actor)
        return WebhookResult(webhook_id, position, secret)

    async def change(
        self,
        webhook_id: str,
        organization_id: str,
        changes: dict[str, Any],
        rotate_secret: bool,
        actor: str | None,
    ) -> WebhookResult:
        """Change the named fields of the configuration (url, events, description, is_active),
        keep the others; with `rotate_secret`, sign from now on with a new secret."""

        async def attempt() -> WebhookResult:
            webhook = await self._load_owned(webhook_id, organization_id)
            assert webhook.config is not None
            events = webhook.change(replace(webhook.config, **changes))
            secret = new_secret() if rotate_secret else None
            if secret is not None:
                events += webhook.rotate_secret(secret)
            return WebhookResult(webhook_id, await self._append(webhook, webhook_id, events, actor), secret)

        return await self._retrying(attempt)

    async def delete(self, webhook_id: str, organization_id: str, actor: str | None) -> WebhookResult:
        async def attempt() -> WebhookResult:
            webhook = await self._load_owned(webhook_id, organization_id)
            return WebhookResult(webhook_id, await self._append(webhook, webhook_id, webhook.delete(), actor))

        return await self._retrying(attempt)
