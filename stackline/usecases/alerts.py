"""Use cases on alert rules: create, change and delete a project's rule.

Authorization: the project or rule must be in an organization where the viewer holds
`project:write` (one elsewhere answers like a missing one). The request's filters and channels
become the domain's `RuleConfig` here (a malformed tag filter or webhook id is a refusal); commands
run through `stackline/app/alert_commands.py` with the ids of the project's webhooks (what WEBHOOK
channels may name); the answer shows the rule once the projector has applied the change. Never
writes read models.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from stackline.domain.alert import Channel, Condition, Filters, RuleConfig, parse_tag_filter
from stackline.domain.organization import InvalidCommand
from stackline.readmodels import alert_queries, queries
from stackline.readmodels.reads import read
from stackline.usecases.issues import READ_YOUR_WRITES_TIMEOUT
from stackline.usecases.refusals import Refusal

if TYPE_CHECKING:
    from stackline.app.lookups import Viewer
    from stackline.app.wiring import Services


@dataclass(frozen=True)
class FiltersRequest:
    levels: tuple[str, ...] = ()
    environment: str | None = None
    release: str | None = None
    tags: tuple[str, ...] = ()  # `key:value` each
    query: str = ""
    monitor_slugs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelRequest:
    kind: str
    emails: tuple[str, ...] = ()
    url: str | None = None
    webhook_id: str | None = None
    names_no_webhook: bool = False  # a webhook id was given that is no webhook's id at all


@dataclass(frozen=True)
class AlertRuleRequest:
    """A rule to create (every field given) or the fields of a change (None: unchanged)."""

    name: str | None = None
    conditions: tuple[Condition, ...] | None = None
    filters: FiltersRequest | None = None
    action_interval_minutes: int | None = None
    channels: tuple[ChannelRequest, ...] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class AlertRuleAnswer:
    rule: Row | None = None
    deleted: bool = False
    refusal: Refusal | None = None


RULE_NOT_FOUND = Refusal("alert rule not found", ["id"])


def _refusal(error: InvalidCommand) -> Refusal:
    """A command's refusal, with the input field it is about (its message starts with it)."""
    first = str(error).split(" ", 1)[0].rstrip(":").split(".", 1)[0]
    known = ("name", "conditions", "channels", "filters", "actionIntervalMinutes")
    return Refusal(str(error), [first] if first in known else None)


def _filters(given: FiltersRequest | None) -> Filters:
    if given is None:
        return Filters()
    return Filters(
        given.levels,
        given.environment,
        given.release,
        tuple(parse_tag_filter(tag) for tag in given.tags),
        given.query,
        given.monitor_slugs,
    )


def _channels(requests: tuple[ChannelRequest, ...]) -> tuple[Channel, ...]:
    channels = []
    for c in requests:
        if c.names_no_webhook:
            raise InvalidCommand("channels: webhookId names no webhook of this project")
        channels.append(Channel(c.kind, c.emails, c.url, c.webhook_id))
    return tuple(channels)


async def _project_webhooks(services: Services, organization_id: str, project_id: int) -> list[str]:
    return [row.id for row in await read(services.engine, queries.webhooks_of, organization_id, project_id)]


async def writable_rule(services: Services, viewer: Viewer, rule_id: str | None) -> Row | None:
    """The rule, if it is in an organization where the viewer may change projects."""
    if rule_id is None:
        return None
    return await read(services.engine, alert_queries.alert_rule, viewer.orgs("project:write"), rule_id)


async def fresh_rule(
    services: Services, organization_id: str, rule_id: str, position: int | None
) -> Row | None:
    """The rule as the read model shows it once the projector has applied `position`."""
    if position is not None:
        await services.projector.wait_for(position, READ_YOUR_WRITES_TIMEOUT)
    return await read(services.engine, alert_queries.alert_rule, {organization_id}, rule_id)


async def create_alert_rule(
    services: Services, viewer: Viewer, project_key: str | None, request: AlertRuleRequest
) -> AlertRuleAnswer:
    """`request` gives every field but `filters` (None: no filters)."""
    found = {}
    if project_key is not None and project_key.isdigit():
        found = await read(
            services.engine, queries.projects_by_ids, viewer.orgs("project:write"), [int(project_key)]
        )
    if not found:
        return AlertRuleAnswer(refusal=Refusal("project not found", ["projectId"]))
    project_id, project = next(iter(found.items()))
    assert request.name is not None and request.conditions is not None and request.channels is not None
    assert request.action_interval_minutes is not None and request.enabled is not None
    try:
        config = RuleConfig(
            request.name,
            request.conditions,
            _filters(request.filters),
            request.action_interval_minutes,
            _channels(request.channels),
            request.enabled,
        )
        created = await services.alert_commands.create(
            project.organization_id,
            project_id,
            config,
            await _project_webhooks(services, project.organization_id, project_id),
            viewer.actor,
        )
    except InvalidCommand as error:
        return AlertRuleAnswer(refusal=_refusal(error))
    return AlertRuleAnswer(
        rule=await fresh_rule(services, project.organization_id, created.rule_id, created.position)
    )


async def change_alert_rule(
    services: Services, viewer: Viewer, rule_id: str | None, request: AlertRuleRequest
) -> AlertRuleAnswer:
    """The fields `request` gives replace the rule's, the others stay."""
    row = await writable_rule(services, viewer, rule_id)
    if row is None:
        return AlertRuleAnswer(refusal=RULE_NOT_FOUND)
    try:
        changes: dict[str, Any] = {}
        if request.name is not None:
            changes["name"] = request.name
        if request.conditions is not None:
            changes["conditions"] = request.conditions
        if request.channels is not None:
            changes["channels"] = _channels(request.channels)
        if request.filters is not None:
            changes["filters"] = _filters(request.filters)
        if request.action_interval_minutes is not None:
            changes["action_interval_minutes"] = request.action_interval_minutes
        if request.enabled is not None:
            changes["enabled"] = request.enabled
        updated = await services.alert_commands.update(
            row.id,
            row.organization_id,
            lambda config: replace(config, **changes),
            await _project_webhooks(services, row.organization_id, row.project_id),
            viewer.actor,
        )
    except InvalidCommand as error:
        return AlertRuleAnswer(refusal=_refusal(error))
    return AlertRuleAnswer(rule=await fresh_rule(services, row.organization_id, row.id, updated.position))


async def delete_alert_rule(services: Services, viewer: Viewer, rule_id: str | None) -> AlertRuleAnswer:
    """The rule notifies nobody any more; its audit stays."""
    row = await writable_rule(services, viewer, rule_id)
    if row is None:
        return AlertRuleAnswer(refusal=RULE_NOT_FOUND)
    try:
        deleted = await services.alert_commands.delete(row.id, row.organization_id, viewer.actor)
    except InvalidCommand as error:
        return AlertRuleAnswer(refusal=_refusal(error))
    if deleted.position is not None:
        await services.projector.wait_for(deleted.position, READ_YOUR_WRITES_TIMEOUT)
    return AlertRuleAnswer(deleted=True)
