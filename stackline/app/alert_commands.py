"""Command handlers for alert rules: create, update, delete; and the audit of notifications.

Each rule command loads the rule's stream, lets the `AlertRule` aggregate decide and appends at
the version it decided against (retrying the decision when another writer got there first). The
caller has checked the project or rule belongs to the viewer's organization in the read model,
and passes the ids of the project's webhooks (what WEBHOOK channels may name); the aggregate's
organization is checked again here. Handlers never write read models.

`record_notification` appends what the sender did (`AlertNotificationSent` / `...Failed`) to the
rule's stream, under an id derived from the notification, so recording it twice stores it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stackline.app.stream_commands import append_decided, load_aggregate, retrying
from stackline.domain.alert import AlertRule, RuleConfig, stream_name
from stackline.domain.events import DomainEvent, event_type
from stackline.domain.organization import InvalidCommand
from stackline.eventstore import EventStore, NewEvent, StreamState

AUDIT_NAMESPACE = uuid.UUID("8f3a5d0e-1c2b-4e7f-a6d9-0b5c4e3f2a19")


@dataclass(frozen=True, slots=True)
class AlertRuleResult:
    rule_id: str
    position: int | None  # where the change landed in the log; None when nothing changed


class AlertCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load(self, rule_id: str) -> AlertRule:
        return await load_aggregate(self.store, stream_name(rule_id), AlertRule.from_events)

    async def _append(
        self, rule: AlertRule, rule_id: str, events: Sequence[DomainEvent], actor: str | None
    ) -> int | None:
        return await append_decided(self.store, stream_name(rule_id), rule.version, events, actor)

    async def _load_owned(self, rule_id: str, organization_id: str) -> AlertRule:
        rule = await self.load(rule_id)
        if not rule.exists or rule.organization_id != organization_id:
            raise InvalidCommand("alert rule not found")
        return rule

    async def create(
        self,
        organization_id: str,
        project_id: int,
        config: RuleConfig,
        project_webhooks: Sequence[str],
        actor: str | None,
    ) -> AlertRuleResult:
        rule_id = str(uuid.uuid4())
        rule = AlertRule()
        events = rule.create(rule_id, organization_id, project_id, config, project_webhooks)
        return AlertRuleResult(rule_id, await self._append(rule, rule_id, events, actor))

    async def update(
        self,
        rule_id: str,
        organization_id: str,
        change: Callable[[RuleConfig], RuleConfig],
        project_webhooks: Sequence[str],
        actor: str | None,
    ) -> AlertRuleResult:
        """`change` makes the new configuration from the current one (the fields the caller
        named replaced, the others kept)."""

        async def attempt() -> AlertRuleResult:
            rule = await self._load_owned(rule_id, organization_id)
            assert rule.config is not None
            events = rule.update(change(rule.config), project_webhooks)
            return AlertRuleResult(rule_id, await self._append(rule, rule_id, events, actor))

        return await retrying(attempt)

    async def delete(self, rule_id: str, organization_id: str, actor: str | None) -> AlertRuleResult:
        async def attempt() -> AlertRuleResult:
            rule = await self._load_owned(rule_id, organization_id)
            return AlertRuleResult(rule_id, await self._append(rule, rule_id, rule.delete(), actor))

        return await retrying(attempt)

    async def record_notification(self, rule_id: str, event: DomainEvent) -> int:
        """Append a notification's outcome to its rule's stream (deleted rules included: the
        audit outlives them). Idempotent on the notification and outcome."""
        notification_id = getattr(event, "notification_id")  # noqa: B009 - both outcome types have it
        result = await self.store.append(
            stream_name(rule_id),
            [
                NewEvent(
                    event_type(event),
                    event.to_data(),
                    metadata={"actor": "alerts"},
                    id=uuid.uuid5(AUDIT_NAMESPACE, f"{notification_id}:{event_type(event)}"),
                    schema_version=event.schema_version,
                )
            ],
            StreamState.ANY,
        )
        return result.position
