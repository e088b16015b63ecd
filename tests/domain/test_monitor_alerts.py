"""Alert rules on cron monitors, decided in the domain: which monitor events are triggers of
which kind (`monitor_incident`), which rules they fire (`monitor_matches`: the condition and the
monitor slugs), how such rules are checked and stored, and the audit events' schema 2."""

from __future__ import annotations

import pytest

from stackline.domain.alert import (
    MONITOR_FAILED,
    MONITOR_MISSED,
    MONITOR_TIMED_OUT,
    AlertNotificationFailed,
    AlertNotificationSent,
    Channel,
    Condition,
    Filters,
    MonitorIncident,
    RuleConfig,
    check_config,
    monitor_incident,
    monitor_key,
    monitor_matches,
    upcast_failed_v1,
    upcast_sent_v1,
)
from stackline.domain.events import CheckInReceived
from stackline.domain.monitor import MonitorCheckInMissed, MonitorCheckInTimedOut
from stackline.domain.organization import InvalidCommand
from stackline.domain.registry import decode

SLACK = Channel("SLACK", url="https://hooks.slack.test/T1/B2/x")


def rule(*kinds: str, slugs: tuple[str, ...] = ()) -> RuleConfig:
    return check_config(
        RuleConfig(
            "Cron",
            tuple(Condition(kind) for kind in kinds),
            Filters(monitor_slugs=slugs),
            channels=(SLACK,),
        )
    )


def check_in(status: str) -> CheckInReceived:
    return CheckInReceived("org1", 7, "c" * 32, "nightly", status, 3.5, "production", 1_000.0)


def test_each_monitor_event_is_the_trigger_it_means() -> None:
    missed = monitor_incident(MonitorCheckInMissed("org1", 7, "nightly", 600.0, 660.0))
    assert missed == MonitorIncident(MONITOR_MISSED, "org1", 7, "nightly", expected_at=600.0, at=660.0)
    timed_out = monitor_incident(MonitorCheckInTimedOut("org1", 7, "nightly", "c" * 32, 100.0, 1_900.0))
    assert timed_out is not None and timed_out.kind == MONITOR_TIMED_OUT
    assert (timed_out.started_at, timed_out.at, timed_out.check_in_id) == (100.0, 1_900.0, "c" * 32)
    failed = monitor_incident(check_in("error"))
    assert failed is not None and failed.kind == MONITOR_FAILED
    assert (failed.at, failed.environment) == (1_000.0, "production")
    # A start, a success, and the SDK's own timeout (the clock tells that one) are no triggers.
    assert [monitor_incident(check_in(s)) for s in ("in_progress", "ok", "timeout")] == [None] * 3


def test_a_rule_fires_on_its_conditions_and_named_monitors_only() -> None:
    missed = MonitorIncident(MONITOR_MISSED, "org1", 7, "nightly", expected_at=600.0, at=660.0)
    assert monitor_matches(rule(MONITOR_MISSED), missed)
    assert monitor_matches(rule(MONITOR_FAILED, MONITOR_MISSED, slugs=("nightly", "hourly")), missed)
    assert not monitor_matches(rule(MONITOR_FAILED, MONITOR_TIMED_OUT), missed)
    assert not monitor_matches(rule(MONITOR_MISSED, slugs=("hourly",)), missed)
    # An issue rule never fires on a monitor.
    assert not monitor_matches(rule("NEW_ISSUE", "REGRESSION"), missed)


def test_monitor_slugs_are_checked_trimmed_and_stored() -> None:
    config = rule(MONITOR_MISSED, slugs=(" nightly ", "nightly", "", "hourly"))
    assert config.filters.monitor_slugs == ("nightly", "hourly")
    assert RuleConfig.from_data(config.to_data()) == config
    # A rule stored before monitor slugs existed reads as "any monitor".
    data = config.to_data()
    del data["filters"]["monitor_slugs"]
    assert RuleConfig.from_data(data).filters.monitor_slugs == ()
    with pytest.raises(InvalidCommand, match="monitorSlugs: at most"):
        rule(MONITOR_MISSED, slugs=tuple(f"m{n}" for n in range(51)))
    with pytest.raises(InvalidCommand, match="monitorSlugs"):
        rule(MONITOR_MISSED, slugs=("x" * 129,))
    with pytest.raises(InvalidCommand, match="takes no threshold"):
        check_config(RuleConfig("Cron", (Condition(MONITOR_FAILED, 3, 5),), channels=(SLACK,)))


def test_a_monitor_is_keyed_apart_from_every_other_monitor() -> None:
    assert monitor_key(7, "nightly") == monitor_key(7, "nightly")
    assert len({monitor_key(7, "nightly"), monitor_key(8, "nightly"), monitor_key(7, "hourly")}) == 3
    assert len(monitor_key(7, "x" * 128)) == 36  # fits the notification log's issue_id column


def test_audit_events_name_the_monitor_and_old_ones_still_decode() -> None:
    v1 = {
        "rule_id": "r1",
        "notification_id": "n1",
        "issue_id": "i1",
        "trigger": "NEW_ISSUE",
        "channel": "SLACK",
        "target": "x",
        "attempts": 1,
    }
    sent = decode("AlertNotificationSent", upcast_sent_v1(v1))
    assert sent == AlertNotificationSent("r1", "n1", "i1", "NEW_ISSUE", "SLACK", "x", 1, None)
    failed = decode("AlertNotificationFailed", upcast_failed_v1({**v1, "error": "HTTP 500"}))
    assert isinstance(failed, AlertNotificationFailed) and failed.monitor_slug is None
    told = AlertNotificationSent(
        "r1", "n2", monitor_key(7, "nightly"), MONITOR_MISSED, "SLACK", "x", 1, "nightly"
    )
    assert decode("AlertNotificationSent", told.to_data()) == told
    assert AlertNotificationSent.schema_version == 2
