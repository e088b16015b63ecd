"""Alert rules in GraphQL: the `AlertRule` type with its notification log, and the mutations that
create, update and delete rules (`AlertMutations`, part of the schema's `Mutation`).

Reading rules needs `project:read` in the rule's organization, changing them `project:write`;
another organization's rule answers like a missing one. Mutations call their use cases
(`stackline/usecases/alerts.py`), which run the commands and answer with the rule as the read model
shows it once the projector has applied the change. Never writes read models.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import orjson
import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from stackline.domain.alert import Condition, RuleConfig
from stackline.graphql.context import ctx, encode_id, key_of
from stackline.graphql.payloads import UserError, user_errors
from stackline.graphql.permissions import ProjectRead, ProjectWrite
from stackline.graphql.relay import (
    Connection,
    Node,
    connection,
    encode_cursor,
    forward_page,
    page_size,
    position_id_cursor,
)
from stackline.readmodels import alert_queries
from stackline.readmodels.queries import aware
from stackline.usecases import alerts as usecases


@strawberry.enum(description="What fires an alert rule (any one of its conditions does).")
class AlertConditionKind(enum.Enum):
    NEW_ISSUE = strawberry.enum_value("NEW_ISSUE", description="An issue is created.")
    REGRESSION = strawberry.enum_value("REGRESSION", description="A resolved issue sees a new event.")
    ESCALATION = strawberry.enum_value(
        "ESCALATION", description="An ignored issue's ignore condition ends (count, users or time)."
    )
    EVENT_FREQUENCY = strawberry.enum_value(
        "EVENT_FREQUENCY", description="An issue is seen more than `threshold` times in `windowMinutes`."
    )
    USER_FREQUENCY = strawberry.enum_value(
        "USER_FREQUENCY", description="More than `threshold` distinct users see an issue in `windowMinutes`."
    )
    MONITOR_MISSED = strawberry.enum_value(
        "MONITOR_MISSED",
        description="A cron monitor's check-in did not come by its expected time plus margin.",
    )
    MONITOR_TIMED_OUT = strawberry.enum_value(
        "MONITOR_TIMED_OUT", description="A cron monitor's run stayed in progress past its maximum runtime."
    )
    MONITOR_FAILED = strawberry.enum_value(
        "MONITOR_FAILED", description="A cron monitor's run checked in with status error."
    )


@strawberry.enum(description="Where an alert rule's notifications go.")
class AlertChannelKind(enum.Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="E-mail over SMTP (STACKLINE_SMTP_*) to `emails`.")
    SLACK = strawberry.enum_value(
        "SLACK", description="A Slack-compatible incoming webhook `url` (Mattermost; Discord's /slack URL)."
    )
    WEBHOOK = strawberry.enum_value(
        "WEBHOOK", description="One of the project's signed webhooks (`webhookId`)."
    )


@strawberry.enum
class AlertNotificationStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type
class AlertCondition:
    kind: AlertConditionKind
    threshold: int | None
    window_minutes: int | None


@strawberry.type(description="All must hold for a trigger to notify.")
class AlertFilters:
    levels: list[str] = strawberry.field(
        description="The triggering event's level is one of these (empty: any)."
    )
    environment: str | None = strawberry.field(
        description="The triggering event's environment (`*` wildcards)."
    )
    release: str | None = strawberry.field(description="The triggering event's release (`*` wildcards).")
    tags: list[str] = strawberry.field(description="`key:value` tags the triggering event carries.")
    query: str = strawberry.field(description="Issue search syntax the issue must match (docs/search.md).")
    monitor_slugs: list[str] = strawberry.field(
        description="The monitor kinds: the monitors whose slugs are listed (empty: any monitor)."
    )


@strawberry.type
class AlertChannel:
    kind: AlertChannelKind
    emails: list[str]
    url: str | None
    webhook_id: strawberry.ID | None


@strawberry.type(description="One trigger told to one channel, and how sending it went.")
class AlertNotification:
    notification_id: str = strawberry.field(description="The same on every attempt (X-Stackline-Delivery).")
    trigger: AlertConditionKind
    channel: AlertChannelKind
    target: str = strawberry.field(description="Who is told: addresses, URL or webhook.")
    issue_id: strawberry.ID | None = strawberry.field(
        description="The global id of the issue; null for a monitor's trigger."
    )
    monitor_slug: str | None = strawberry.field(description="The monitor kinds: the monitor's slug.")
    status: AlertNotificationStatus
    attempts: int
    last_error: str | None = strawberry.field(description="Why the latest attempt failed, if it did.")
    triggered_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(description="When PENDING: the next attempt's time.")
    sent_at: datetime | None
    finished_at: datetime | None
    payload: JSON = strawberry.field(description="What the notification says about the issue and trigger.")

    @classmethod
    def from_row(cls, row: Row) -> AlertNotification:
        subject = orjson.loads(row.subject)
        monitor = subject.get("monitor")
        return cls(
            notification_id=row.id,
            trigger=AlertConditionKind(row.trigger),
            channel=AlertChannelKind(row.channel_kind),
            target=row.target,
            issue_id=None if monitor else strawberry.ID(encode_id("Issue", row.issue_id)),
            monitor_slug=monitor["slug"] if monitor else None,
            status=AlertNotificationStatus(row.status),
            attempts=row.attempts,
            last_error=row.last_error,
            triggered_at=datetime.fromtimestamp(row.triggered_at, UTC),
            created_at=aware(row.created_at),
            last_attempt_at=aware(row.last_attempt_at) if row.last_attempt_at else None,
            next_attempt_at=datetime.fromtimestamp(row.next_attempt_at, UTC) if row.next_attempt_at else None,
            sent_at=aware(row.sent_at) if row.sent_at else None,
            finished_at=aware(row.finished_at) if row.finished_at else None,
            payload=subject,
        )


@strawberry.type(description="When a project's issues reach a human, and through which channels.")
class AlertRule(Node):
    name: str
    conditions: list[AlertCondition] = strawberry.field(description="Any one of them fires the rule.")
    filters: AlertFilters
    action_interval_minutes: int = strawberry.field(
        description="At most one notification per issue (or monitor) per interval."
    )
    channels: list[AlertChannel]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    rule_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> AlertRule:
        config = RuleConfig.from_data(dict(row._mapping))
        return cls(
            id=strawberry.ID(encode_id("AlertRule", row.id)),
            name=config.name,
            conditions=[
                AlertCondition(
                    kind=AlertConditionKind(c.kind), threshold=c.threshold, window_minutes=c.window_minutes
                )
                for c in config.conditions
            ],
            filters=AlertFilters(
                levels=list(config.filters.levels),
                environment=config.filters.environment,
                release=config.filters.release,
                tags=[f"{k}:{v}" for k, v in config.filters.tags],
                query=config.filters.query,
                monitor_slugs=list(config.filters.monitor_slugs),
            ),
            action_interval_minutes=config.action_interval_minutes,
            channels=[
                AlertChannel(
                    kind=AlertChannelKind(c.kind),
                    emails=list(c.emails),
                    url=c.url,
                    webhook_id=strawberry.ID(encode_id("Webhook", c.webhook_id)) if c.webhook_id else None,
                )
                for c in config.channels
            ],
            enabled=config.enabled,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            rule_id=row.id,
            organization_id=row.organization_id,
        )

    @strawberry.field(
        permission_classes=[ProjectRead],
        description="The notifications this rule queued, newest trigger first.",
    )
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AlertNotification]:
        limit = page_size(first)
        cursor = position_id_cursor(after)
        rows = await ctx(info).read(
            alert_queries.notifications_page,
            self.organization_id,
            self.rule_id,
            first=limit + 1,
            after=cursor,
        )
        total = await ctx(info).read(alert_queries.notification_count, self.organization_id, self.rule_id)
        edges, more = forward_page(
            rows, limit, AlertNotification.from_row, lambda r: encode_cursor(r.position, r.id)
        )
        return connection(edges, more, after, total)


async def alert_rules_of_project(info: Info, organization_id: str, project_id: int) -> list[AlertRule]:
    """`Project.alertRules` (its permission class has checked project:read there)."""
    rows = await ctx(info).read(alert_queries.alert_rules_of, organization_id, project_id)
    return [AlertRule.from_row(row) for row in rows]


async def alert_rule_node(info: Info, org_ids: frozenset[str], rule_id: str) -> AlertRule | None:
    """`node(id:)` for an AlertRule, among the organizations where the viewer reads projects."""
    row = await ctx(info).read(alert_queries.alert_rule, org_ids, rule_id)
    return AlertRule.from_row(row) if row else None


# -- mutations ---------------------------------------------------------------------------------


@strawberry.input
class AlertConditionInput:
    kind: AlertConditionKind
    threshold: int | None = strawberry.field(
        default=None, description="Frequency kinds: more than this many."
    )
    window_minutes: int | None = strawberry.field(
        default=None, description="Frequency kinds: within these minutes."
    )


@strawberry.input
class AlertFiltersInput:
    levels: list[str] = strawberry.field(default_factory=list)
    environment: str | None = None
    release: str | None = None
    tags: list[str] = strawberry.field(default_factory=list, description="`key:value` each.")
    query: str = ""
    monitor_slugs: list[str] = strawberry.field(
        default_factory=list, description="The monitor kinds: only these monitors (empty: any)."
    )


@strawberry.input
class AlertChannelInput:
    kind: AlertChannelKind
    emails: list[str] = strawberry.field(default_factory=list, description="EMAIL: the recipients.")
    url: str | None = strawberry.field(default=None, description="SLACK: the incoming webhook URL.")
    webhook_id: strawberry.ID | None = strawberry.field(
        default=None, description="WEBHOOK: the webhook's id."
    )


@strawberry.input
class CreateAlertRuleInput:
    project_id: strawberry.ID
    name: str
    conditions: list[AlertConditionInput]
    channels: list[AlertChannelInput]
    filters: AlertFiltersInput | None = None
    action_interval_minutes: int = 60
    enabled: bool = True


@strawberry.type
class CreateAlertRulePayload:
    alert_rule: AlertRule | None
    user_errors: list[UserError]


@strawberry.input
class UpdateAlertRuleInput:
    id: strawberry.ID
    name: str | None = None
    conditions: list[AlertConditionInput] | None = None
    channels: list[AlertChannelInput] | None = None
    filters: AlertFiltersInput | None = None
    action_interval_minutes: int | None = None
    enabled: bool | None = None


@strawberry.type
class UpdateAlertRulePayload:
    alert_rule: AlertRule | None
    user_errors: list[UserError]


@strawberry.input
class DeleteAlertRuleInput:
    id: strawberry.ID


@strawberry.type
class DeleteAlertRulePayload:
    deleted_alert_rule_id: strawberry.ID | None
    user_errors: list[UserError]


def _conditions(inputs: list[AlertConditionInput]) -> tuple[Condition, ...]:
    return tuple(Condition(c.kind.name, c.threshold, c.window_minutes) for c in inputs)


def _filters(given: AlertFiltersInput | None) -> usecases.FiltersRequest | None:
    if given is None:
        return None
    return usecases.FiltersRequest(
        tuple(given.levels),
        given.environment,
        given.release,
        tuple(given.tags),
        given.query,
        tuple(given.monitor_slugs),
    )


def _channels(inputs: list[AlertChannelInput]) -> tuple[usecases.ChannelRequest, ...]:
    return tuple(
        usecases.ChannelRequest(
            c.kind.name,
            tuple(c.emails),
            c.url,
            key_of(c.webhook_id, "Webhook") if c.webhook_id is not None else None,
            names_no_webhook=c.webhook_id is not None and key_of(c.webhook_id, "Webhook") is None,
        )
        for c in inputs
    )


def _rule_of(row: Row | None) -> AlertRule | None:
    return AlertRule.from_row(row) if row else None


@strawberry.type
class AlertMutations:
    """Each mutation decodes its ids and calls its use case in `stackline/usecases/alerts.py`."""

    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Create an alert rule on a project: when its issues reach whom.",
    )
    async def create_alert_rule(self, info: Info, input: CreateAlertRuleInput) -> CreateAlertRulePayload:
        context = ctx(info)
        request = usecases.AlertRuleRequest(
            name=input.name,
            conditions=_conditions(input.conditions),
            filters=_filters(input.filters),
            action_interval_minutes=input.action_interval_minutes,
            channels=_channels(input.channels),
            enabled=input.enabled,
        )
        answer = await usecases.create_alert_rule(
            context.services, context.known_viewer, key_of(input.project_id, "Project"), request
        )
        return CreateAlertRulePayload(
            alert_rule=_rule_of(answer.rule), user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Change an alert rule: the fields given replace the rule's, the others stay.",
    )
    async def update_alert_rule(self, info: Info, input: UpdateAlertRuleInput) -> UpdateAlertRulePayload:
        context = ctx(info)
        request = usecases.AlertRuleRequest(
            name=input.name,
            conditions=_conditions(input.conditions) if input.conditions is not None else None,
            filters=_filters(input.filters),
            action_interval_minutes=input.action_interval_minutes,
            channels=_channels(input.channels) if input.channels is not None else None,
            enabled=input.enabled,
        )
        answer = await usecases.change_alert_rule(
            context.services, context.known_viewer, key_of(input.id, "AlertRule"), request
        )
        return UpdateAlertRulePayload(
            alert_rule=_rule_of(answer.rule), user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Delete an alert rule: it notifies nobody any more (its audit stays).",
    )
    async def delete_alert_rule(self, info: Info, input: DeleteAlertRuleInput) -> DeleteAlertRulePayload:
        context = ctx(info)
        answer = await usecases.delete_alert_rule(
            context.services, context.known_viewer, key_of(input.id, "AlertRule")
        )
        return DeleteAlertRulePayload(
            deleted_alert_rule_id=input.id if answer.deleted else None,
            user_errors=user_errors(answer.refusal),
        )
