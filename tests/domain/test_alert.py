"""The AlertRule aggregate and its pure decisions: what a valid rule is, what its events carry,
which triggering events its filters let through, and the action interval."""

from __future__ import annotations

import pytest

from stackline.domain.alert import (
    AlertNotificationSent,
    AlertRule,
    AlertRuleCreated,
    AlertRuleDeleted,
    AlertRuleUpdated,
    Channel,
    Condition,
    EventFacts,
    Filters,
    RuleConfig,
    check_config,
    event_matches,
    parse_tag_filter,
    suppressed,
)
from stackline.domain.events import event_type
from stackline.domain.organization import InvalidCommand
from stackline.domain.registry import decode

SLACK = Channel("SLACK", url="https://hooks.slack.test/T1/B2/x")


def config(**changes: object) -> RuleConfig:
    base = {"name": "Storms", "conditions": (Condition("NEW_ISSUE"),), "channels": (SLACK,)}
    return RuleConfig(**{**base, **changes})  # type: ignore[arg-type]


def test_a_rule_is_created_updated_and_deleted_through_its_events() -> None:
    rule = AlertRule()
    [created] = rule.create("r1", "org1", 7, config(), project_webhooks=[])
    assert isinstance(created, AlertRuleCreated) and created.project_id == 7
    # Stored as JSON and decoded back, the configuration is the same.
    stored = decode(event_type(created), created.to_data())
    rule = AlertRule.from_events([stored], version=0)  # type: ignore[list-item]
    assert rule.exists and rule.config == check_config(config())
    assert rule.update(config(), project_webhooks=[]) == []  # nothing changed, nothing appended
    [updated] = rule.update(config(enabled=False, action_interval_minutes=5), project_webhooks=[])
    assert isinstance(updated, AlertRuleUpdated)
    rule.apply(updated)
    assert (
        rule.config is not None and rule.config.enabled is False and rule.config.action_interval_minutes == 5
    )
    # Notifications recorded in the stream change nothing about the rule.
    rule.apply(AlertNotificationSent("r1", "n1", "i1", "NEW_ISSUE", "SLACK", "x", 1))
    [deleted] = rule.delete()
    rule.apply(deleted)
    assert isinstance(deleted, AlertRuleDeleted) and not rule.exists
    with pytest.raises(InvalidCommand, match="not found"):
        rule.update(config(), project_webhooks=[])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "name"),
        ({"conditions": ()}, "conditions: name at least one"),
        ({"conditions": (Condition("SOMETIMES"),)}, "unknown kind"),
        ({"conditions": (Condition("EVENT_FREQUENCY", 10),)}, "needs a threshold and windowMinutes"),
        ({"conditions": (Condition("EVENT_FREQUENCY", -1, 5),)}, "must not be negative"),
        ({"conditions": (Condition("USER_FREQUENCY", 1, 0),)}, "windowMinutes must be between"),
        ({"conditions": (Condition("REGRESSION", 1, 1),)}, "takes no threshold"),
        ({"channels": ()}, "channels: name at least one"),
        ({"channels": (Channel("EMAIL"),)}, "at least one address"),
        ({"channels": (Channel("EMAIL", emails=("not an address",)),)}, "is not an e-mail address"),
        ({"channels": (Channel("SLACK", url="ftp://example.com"),)}, "http:// or https://"),
        ({"channels": (Channel("PIGEON"),)}, "unknown kind"),
        ({"channels": (Channel("WEBHOOK", webhook_id="w-other"),)}, "names no webhook of this project"),
        ({"filters": Filters(levels=("loud",))}, "unknown levels"),
        ({"filters": Filters(query='title:"unterminated')}, "filters.query"),
        ({"action_interval_minutes": 0}, "actionIntervalMinutes"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(changes: dict, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        AlertRule().create("r1", "org1", 7, config(**changes), project_webhooks=["w-mine"])


def test_a_valid_rule_is_normalized() -> None:
    checked = check_config(
        config(
            name=" Pager ",
            conditions=(
                Condition("NEW_ISSUE"),
                Condition("NEW_ISSUE"),
                Condition("EVENT_FREQUENCY", 100, 60),
            ),
            channels=(Channel("EMAIL", emails=("Ops@Example.com", "ops@example.com")), SLACK),
            filters=Filters(levels=("Error", "fatal"), environment=" ", release="web@*"),
        )
    )
    assert checked.name == "Pager"
    assert checked.conditions == (Condition("NEW_ISSUE"), Condition("EVENT_FREQUENCY", 100, 60))
    assert checked.channels[0].emails == ("ops@example.com",)
    assert checked.filters.levels == ("fatal", "error") and checked.filters.environment is None
    assert RuleConfig.from_data(checked.to_data()) == checked
    assert parse_tag_filter(" url : https://x ") == ("url", "https://x")
    with pytest.raises(InvalidCommand, match="key:value"):
        parse_tag_filter("browser")


def test_event_filters_look_at_the_triggering_event() -> None:
    facts = EventFacts("error", "production", "web@1.4.2", {"browser": "Firefox 120", "team": "payments"})
    assert event_matches(Filters(), facts)
    assert event_matches(Filters(levels=("error", "fatal")), facts)
    assert not event_matches(Filters(levels=("fatal",)), facts)
    assert event_matches(Filters(environment="prod*"), facts)
    assert not event_matches(Filters(environment="staging"), facts)
    assert event_matches(Filters(release="web@1.*"), facts)
    assert not event_matches(Filters(release="web@2.*"), facts)
    assert event_matches(Filters(tags=(("browser", "firefox*"), ("team", "payments"))), facts)
    assert not event_matches(Filters(tags=(("team", "search"),)), facts)
    assert not event_matches(Filters(tags=(("missing", "*"),)), facts)
    assert not event_matches(Filters(environment="*"), EventFacts("error"))  # no environment at all


def test_the_action_interval_is_measured_in_the_logs_time() -> None:
    assert not suppressed(None, 1_000.0, 60)
    assert suppressed(1_000.0, 1_000.0 + 59 * 60, 60)
    assert not suppressed(1_000.0, 1_000.0 + 60 * 60, 60)
