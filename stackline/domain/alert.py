"""The AlertRule aggregate: when a project's issues should reach a human, and through what.

A rule has conditions (any one of them fires it: a new issue, a regression, an ignored issue
escalating, more than N events or N users in T minutes; a cron monitor that missed a check-in,
whose run timed out or failed), filters that must all hold (level,
environment, release, tags `key:value`, and a query in the issue search syntax), an action
interval (at most one notification per issue per interval) and channels (e-mail, a
Slack-compatible incoming webhook, one of the project's signed webhooks).

The stream `alert-rule-{id}` holds the rule's configuration and, appended by the sender, every
notification sent or given up on: the audit of who was told what, and when. This module decides
what commands mean and what a triggering event's facts match; it never does I/O.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from stackline.domain.events import CheckInReceived, DomainEvent, register, upcasts
from stackline.domain.monitor import MonitorCheckInMissed, MonitorCheckInTimedOut
from stackline.domain.organization import InvalidCommand
from stackline.domain.search import LEVELS, SearchSyntaxError, parse_query
from stackline.domain.webhook import check_url

NEW_ISSUE, REGRESSION, ESCALATION = "NEW_ISSUE", "REGRESSION", "ESCALATION"
EVENT_FREQUENCY, USER_FREQUENCY = "EVENT_FREQUENCY", "USER_FREQUENCY"
MONITOR_MISSED, MONITOR_TIMED_OUT, MONITOR_FAILED = "MONITOR_MISSED", "MONITOR_TIMED_OUT", "MONITOR_FAILED"
MONITOR_KINDS = (MONITOR_MISSED, MONITOR_TIMED_OUT, MONITOR_FAILED)
CONDITION_KINDS = (NEW_ISSUE, REGRESSION, ESCALATION, EVENT_FREQUENCY, USER_FREQUENCY, *MONITOR_KINDS)
FREQUENCY_KINDS = (EVENT_FREQUENCY, USER_FREQUENCY)
EMAIL, SLACK, WEBHOOK = "EMAIL", "SLACK", "WEBHOOK"
CHANNEL_KINDS = (EMAIL, SLACK, WEBHOOK)

MAX_NAME_LENGTH = 200
MAX_CONDITIONS = 10
MAX_CHANNELS = 10
MAX_RECIPIENTS = 50
MAX_TAG_FILTERS = 20
MAX_MONITOR_SLUGS = 50
MAX_MONITOR_SLUG_LENGTH = 128  # the monitors read model's slug column
MAX_QUERY_LENGTH = 1000
MAX_WINDOW_MINUTES = 30 * 24 * 60  # 30 days: the counts are read from the stored events
MAX_INTERVAL_MINUTES = 30 * 24 * 60
DEFAULT_INTERVAL_MINUTES = 60
_EMAIL = re.compile(r"[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+")


def stream_name(rule_id: str) -> str:
    return f"alert-rule-{rule_id}"


# -- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """`threshold` and `window_minutes` only for the frequency kinds: more than `threshold`
    events (or distinct users) of the issue within the last `window_minutes`."""

    kind: str
    threshold: int | None = None
    window_minutes: int | None = None

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "threshold": self.threshold, "window_minutes": self.window_minutes}


@dataclass(frozen=True, slots=True)
class Filters:
    """All must hold. Levels, environment, release and tags are the triggering event's (`*` is a
    wildcard); `query` is the issue search syntax, asked of the issue (docs/search.md). Those
    look at issues only; `monitor_slugs` (empty: any monitor) is the one filter of the monitor
    kinds."""

    levels: tuple[str, ...] = ()
    environment: str | None = None
    release: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    query: str = ""
    monitor_slugs: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {
            "levels": list(self.levels),
            "environment": self.environment,
            "release": self.release,
            "tags": [list(pair) for pair in self.tags],
            "query": self.query,
            "monitor_slugs": list(self.monitor_slugs),
        }


@dataclass(frozen=True, slots=True)
class Channel:
    """EMAIL: `emails`; SLACK: `url` (Slack, Mattermost, Discord's `/slack` endpoint);
    WEBHOOK: `webhook_id`, one of the project's signed webhooks."""

    kind: str
    emails: tuple[str, ...] = ()
    url: str | None = None
    webhook_id: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "emails": list(self.emails),
            "url": self.url,
            "webhook_id": self.webhook_id,
        }

    @property
    def target(self) -> str:
        """Who is told, as the audit names them."""
        if self.kind == EMAIL:
            return ", ".join(self.emails)
        if self.kind == SLACK:
            return self.url or ""
        return f"webhook {self.webhook_id}"


@dataclass(frozen=True, slots=True)
class RuleConfig:
    name: str
    conditions: tuple[Condition, ...]
    filters: Filters = Filters()
    action_interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    channels: tuple[Channel, ...] = ()
    enabled: bool = True

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "conditions": [c.to_data() for c in self.conditions],
            "filters": self.filters.to_data(),
            "action_interval_minutes": self.action_interval_minutes,
            "channels": [c.to_data() for c in self.channels],
            "enabled": self.enabled,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RuleConfig:
        """The configuration as an event (or a read-model row) stored it."""
        filters = data.get("filters") or {}
        return cls(
            name=data["name"],
            conditions=tuple(
                Condition(c["kind"], c.get("threshold"), c.get("window_minutes")) for c in data["conditions"]
            ),
            filters=Filters(
                tuple(filters.get("levels") or ()),
                filters.get("environment"),
                filters.get("release"),
                tuple((k, v) for k, v in filters.get("tags") or ()),
                filters.get("query") or "",
                tuple(filters.get("monitor_slugs") or ()),
            ),
            action_interval_minutes=data["action_interval_minutes"],
            channels=tuple(
                Channel(c["kind"], tuple(c.get("emails") or ()), c.get("url"), c.get("webhook_id"))
                for c in data["channels"]
            ),
            enabled=data.get("enabled", True),
        )


def parse_tag_filter(text: str) -> tuple[str, str]:
    """`key:value` (the value may hold `:`) as a pair; a clear refusal otherwise."""
    key, colon, value = text.strip().partition(":")
    if not colon or not key.strip() or not value.strip():
        raise InvalidCommand(f"filters.tags: {text!r} must be key:value")
    return key.strip(), value.strip()


def check_condition(condition: Condition) -> Condition:
    if condition.kind not in CONDITION_KINDS:
        raise InvalidCommand(
            f"conditions: unknown kind {condition.kind!r}; use one of {', '.join(CONDITION_KINDS)}"
        )
    if condition.kind not in FREQUENCY_KINDS:
        if condition.threshold is not None or condition.window_minutes is not None:
            raise InvalidCommand(f"conditions: {condition.kind} takes no threshold or windowMinutes")
        return condition
    if condition.threshold is None or condition.window_minutes is None:
        raise InvalidCommand(f"conditions: {condition.kind} needs a threshold and windowMinutes")
    if condition.threshold < 0:
        raise InvalidCommand("conditions: threshold must not be negative")
    if not 1 <= condition.window_minutes <= MAX_WINDOW_MINUTES:
        raise InvalidCommand(f"conditions: windowMinutes must be between 1 and {MAX_WINDOW_MINUTES}")
    return condition


def check_filters(filters: Filters) -> Filters:
    levels = tuple(level.lower() for level in filters.levels)
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown:
        raise InvalidCommand(f"filters.levels: unknown levels {', '.join(unknown)}; use {', '.join(LEVELS)}")
    if len(filters.tags) > MAX_TAG_FILTERS:
        raise InvalidCommand(f"filters.tags: at most {MAX_TAG_FILTERS}")
    if len(filters.query) > MAX_QUERY_LENGTH:
        raise InvalidCommand(f"filters.query: at most {MAX_QUERY_LENGTH} characters")
    try:
        parse_query(filters.query)  # stored as written; the search module is its one parser
    except SearchSyntaxError as error:
        raise InvalidCommand(f"filters.query: {error}") from None
    slugs = tuple(dict.fromkeys(slug.strip() for slug in filters.monitor_slugs if slug.strip()))
    if len(slugs) > MAX_MONITOR_SLUGS:
        raise InvalidCommand(f"filters.monitorSlugs: at most {MAX_MONITOR_SLUGS}")
    for slug in slugs:
        if len(slug) > MAX_MONITOR_SLUG_LENGTH:
            raise InvalidCommand(f"filters.monitorSlugs: {slug[:40]!r}... is longer than a monitor slug")
    return Filters(
        tuple(level for level in LEVELS if level in levels),
        (filters.environment or "").strip() or None,
        (filters.release or "").strip() or None,
        tuple(filters.tags),
        filters.query.strip(),
        slugs,
    )


def check_channel(channel: Channel) -> Channel:
    if channel.kind == EMAIL:
        emails = tuple(dict.fromkeys(e.strip().lower() for e in channel.emails if e.strip()))
        if not emails:
            raise InvalidCommand("channels: an EMAIL channel needs at least one address in emails")
        if len(emails) > MAX_RECIPIENTS:
            raise InvalidCommand(f"channels: at most {MAX_RECIPIENTS} addresses per EMAIL channel")
        for email in emails:
            if not _EMAIL.fullmatch(email):
                raise InvalidCommand(f"channels: {email!r} is not an e-mail address")
        return Channel(EMAIL, emails=emails)
    if channel.kind == SLACK:
        if not channel.url:
            raise InvalidCommand("channels: a SLACK channel needs the incoming webhook's url")
        try:
            return Channel(SLACK, url=check_url(channel.url))
        except InvalidCommand as error:
            raise InvalidCommand(f"channels: {error}") from None
    if channel.kind == WEBHOOK:
        if not channel.webhook_id:
            raise InvalidCommand(
                "channels: a WEBHOOK channel needs the webhookId of one of the project's webhooks"
            )
        return Channel(WEBHOOK, webhook_id=channel.webhook_id)
    raise InvalidCommand(f"channels: unknown kind {channel.kind!r}; use one of {', '.join(CHANNEL_KINDS)}")


def check_config(config: RuleConfig) -> RuleConfig:
    name = config.name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidCommand(f"name must be 1 to {MAX_NAME_LENGTH} characters")
    if not config.conditions:
        raise InvalidCommand("conditions: name at least one")
    if len(config.conditions) > MAX_CONDITIONS:
        raise InvalidCommand(f"conditions: at most {MAX_CONDITIONS}")
    if not config.channels:
        raise InvalidCommand("channels: name at least one, or nobody is told")
    if len(config.channels) > MAX_CHANNELS:
        raise InvalidCommand(f"channels: at most {MAX_CHANNELS}")
    if not 1 <= config.action_interval_minutes <= MAX_INTERVAL_MINUTES:
        raise InvalidCommand(f"actionIntervalMinutes must be between 1 and {MAX_INTERVAL_MINUTES}")
    return RuleConfig(
        name,
        tuple(dict.fromkeys(check_condition(c) for c in config.conditions)),
        check_filters(config.filters),
        config.action_interval_minutes,
        tuple(dict.fromkeys(check_channel(c) for c in config.channels)),
        config.enabled,
    )


# -- events ------------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class AlertRuleCreated(DomainEvent):
    rule_id: str
    organization_id: str
    project_id: int
    config: dict[str, Any]  # RuleConfig.to_data()


@register
@dataclass(frozen=True, slots=True)
class AlertRuleUpdated(DomainEvent):
    """The rule's whole configuration after the change (not a diff)."""

    rule_id: str
    config: dict[str, Any]


@register
@dataclass(frozen=True, slots=True)
class AlertRuleDeleted(DomainEvent):
    rule_id: str


@register
@dataclass(frozen=True, slots=True)
class AlertNotificationSent(DomainEvent):
    """Who was told (`channel`, `target`), about what (`issue_id`, `trigger`; for the monitor
    kinds `monitor_slug`, and `issue_id` is the monitor's key, `monitor_key`), after how many
    attempts. The event's own time is when. Schema 2 added `monitor_slug`."""

    schema_version: ClassVar[int] = 2

    rule_id: str
    notification_id: str
    issue_id: str
    trigger: str
    channel: str
    target: str
    attempts: int
    monitor_slug: str | None = None


@register
@dataclass(frozen=True, slots=True)
class AlertNotificationFailed(DomainEvent):
    """A notification given up on: nobody was told, and why. Schema 2 added `monitor_slug`."""

    schema_version: ClassVar[int] = 2

    rule_id: str
    notification_id: str
    issue_id: str
    trigger: str
    channel: str
    target: str
    attempts: int
    error: str
    monitor_slug: str | None = None


@upcasts("AlertNotificationSent", 1)
def upcast_sent_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 knew issue notifications only."""
    return {**data, "monitor_slug": None}


@upcasts("AlertNotificationFailed", 1)
def upcast_failed_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 knew issue notifications only."""
    return {**data, "monitor_slug": None}


# -- the aggregate -----------------------------------------------------------------------------


@dataclass(slots=True)
class AlertRule:
    id: str | None = None
    organization_id: str | None = None
    project_id: int | None = None
    config: RuleConfig | None = None
    deleted: bool = False
    version: int = -1

    @classmethod
    def from_events(cls, events: Iterable[DomainEvent], version: int = -1) -> AlertRule:
        rule = cls(version=version)
        for event in events:
            rule.apply(event)
        return rule

    @property
    def exists(self) -> bool:
        return self.id is not None and not self.deleted

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AlertRuleCreated() as e:
                self.id, self.organization_id, self.project_id = e.rule_id, e.organization_id, e.project_id
                self.config = RuleConfig.from_data(e.config)
            case AlertRuleUpdated() as e:
                self.config = RuleConfig.from_data(e.config)
            case AlertRuleDeleted():
                self.deleted = True

    def create(
        self,
        rule_id: str,
        organization_id: str,
        project_id: int,
        config: RuleConfig,
        project_webhooks: Sequence[str],
    ) -> list[DomainEvent]:
        """`project_webhooks`: the ids of the project's webhooks, which WEBHOOK channels may name."""
        if self.id is not None:
            raise InvalidCommand("alert rule already exists")
        config = _check_with_webhooks(config, project_webhooks)
        return [AlertRuleCreated(rule_id, organization_id, project_id, config.to_data())]

    def update(self, config: RuleConfig, project_webhooks: Sequence[str]) -> list[DomainEvent]:
        self._require_existing()
        config = _check_with_webhooks(config, project_webhooks)
        if config == self.config:
            return []
        return [AlertRuleUpdated(self.id, config.to_data())]  # type: ignore[arg-type]

    def delete(self) -> list[DomainEvent]:
        self._require_existing()
        return [AlertRuleDeleted(self.id)]  # type: ignore[arg-type]

    def _require_existing(self) -> None:
        if not self.exists:
            raise InvalidCommand("alert rule not found")


def _check_with_webhooks(config: RuleConfig, project_webhooks: Sequence[str]) -> RuleConfig:
    config = check_config(config)
    for channel in config.channels:
        if channel.kind == WEBHOOK and channel.webhook_id not in project_webhooks:
            raise InvalidCommand("channels: webhookId names no webhook of this project")
    return config


# -- evaluating --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What a rule's event filters look at: the triggering event as the read models stored it."""

    level: str
    environment: str | None = None
    release: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def _wildcard(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    if "*" not in pattern:
        return value == pattern
    # As the search's tag terms match: `*` any run of characters, case-insensitively.
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def event_matches(filters: Filters, facts: EventFacts) -> bool:
    """Whether the triggering event passes the rule's level, environment, release and tag
    filters (the query is asked of the issue, in SQL: `stackline/readmodels/issue_search.py`)."""
    if filters.levels and facts.level not in filters.levels:
        return False
    if filters.environment is not None and not _wildcard(filters.environment, facts.environment):
        return False
    if filters.release is not None and not _wildcard(filters.release, facts.release):
        return False
    return all(_wildcard(value, facts.tags.get(key)) for key, value in filters.tags)


def suppressed(last_notified_at: float | None, at: float, interval_minutes: int) -> bool:
    """The action interval: an issue that a rule told about at `last_notified_at` (the log's
    time of that trigger) is not told about again until the interval has passed."""
    return last_notified_at is not None and at - last_notified_at < interval_minutes * 60


# -- monitors ----------------------------------------------------------------------------------

MONITOR_KEY_NAMESPACE = uuid.UUID("9b7e3f12-6d4a-4c1e-8a55-2f0c6e9d7b31")


def monitor_key(project_id: int, monitor_slug: str) -> str:
    """What a monitor's notifications are keyed by where an issue's use the issue's id: the
    action interval counts per rule and monitor."""
    return str(uuid.uuid5(MONITOR_KEY_NAMESPACE, f"{project_id}:{monitor_slug}"))


@dataclass(frozen=True, slots=True)
class MonitorIncident:
    """What a monitor event means to the alert rules: which kind of trigger, of which monitor,
    and when its check-in was expected (missed), its run started (timed out) or it reported the
    failure (failed)."""

    kind: str
    organization_id: str
    project_id: int
    monitor_slug: str
    expected_at: float | None = None
    started_at: float | None = None
    at: float | None = None  # when the clock noticed it, or the failing check-in arrived
    check_in_id: str | None = None
    environment: str | None = None


def monitor_incident(event: DomainEvent) -> MonitorIncident | None:
    """The monitor trigger a stored event is, if any: a missed check-in, a run timed out, or a
    finished check-in with status error (an in-progress, ok or timeout check-in is none; the SDK's
    own `timeout` status is left to the clock's MONITOR_TIMED_OUT rather than told twice)."""
    match event:
        case MonitorCheckInMissed() as e:
            return MonitorIncident(
                MONITOR_MISSED,
                e.organization_id,
                e.project_id,
                e.monitor_slug,
                e.expected_at,
                None,
                e.detected_at,
            )
        case MonitorCheckInTimedOut() as e:
            return MonitorIncident(
                MONITOR_TIMED_OUT,
                e.organization_id,
                e.project_id,
                e.monitor_slug,
                None,
                e.started_at,
                e.detected_at,
                e.check_in_id,
            )
        case CheckInReceived() as e if e.status == "error":
            return MonitorIncident(
                MONITOR_FAILED,
                e.organization_id,
                e.project_id,
                e.monitor_slug,
                None,
                None,
                e.received_at,
                e.check_in_id,
                e.environment,
            )
    return None


def monitor_matches(config: RuleConfig, incident: MonitorIncident) -> bool:
    """Whether the rule fires on the incident: one of its conditions is the incident's kind, and
    the monitor is one the rule names (or it names none)."""
    if not any(c.kind == incident.kind for c in config.conditions):
        return False
    slugs = config.filters.monitor_slugs
    return not slugs or incident.monitor_slug in slugs
