"""`compact`: a snapshot is the sum of the occurrences it replaces, and folds in the previous one."""

from __future__ import annotations

import pytest

from stackline.domain.error_event import error_event_received
from stackline.domain.events import (
    AttachmentStored,
    CheckInReceived,
    ClientReportReceived,
    FeedbackReceived,
    LogsReceived,
    OrganizationCreated,
    OrganizationRetentionChanged,
    OutcomesRecorded,
    SessionsReceived,
    TransactionReceived,
)
from stackline.domain.monitor import MonitorConfigured
from stackline.domain.organization import InvalidCommand, Organization, RetentionPolicy
from stackline.domain.retention import (
    Expired,
    Fold,
    ItemsExpired,
    OccurrencesCompacted,
    compact,
    expire_items,
)


def occurrence(position: int, at: float, user: str | None, release: str | None, region: str) -> Expired:
    payload = {
        "exception": {"values": [{"type": "KeyError", "value": "x"}]},
        "timestamp": at,
        "release": release,
        "tags": {"region": region},
        "user": {"id": user} if user else None,
    }
    return Expired(position, error_event_received("org", 1, f"{position:032x}", at, payload))


def test_a_snapshot_sums_counts_users_tags_releases_and_usage_days() -> None:
    events = [
        occurrence(10, 1_000.0, "a", "r1", "eu"),
        occurrence(12, 90_000.0, "b", "r2", "us"),
        occurrence(11, 500.0, "a", None, "eu"),
    ]
    snapshot = compact(None, None, events, {"r1": 10, "r2": 3}, run="run-1")
    assert (snapshot.count, snapshot.first_seen, snapshot.last_seen, snapshot.last_position) == (
        3,
        500.0,
        90_000.0,
        12,
    )
    assert snapshot.users == ("id:a", "id:b")
    assert snapshot.event_id == f"{10:032x}"  # the earliest occurrence's, in log order
    assert (snapshot.first_release, snapshot.last_release) == ("r1", "r2")
    assert ("region", "eu", 2, 500.0, 1_000.0) in snapshot.tags
    assert snapshot.releases == (("r1", 10, 1_000.0),)  # r2 was introduced by a kept event
    assert snapshot.accepted_days == (("1970-01-01", 2), ("1970-01-02", 1))
    assert snapshot.covers == (10, 11, 12)
    assert OccurrencesCompacted.from_data(snapshot.to_data()) == snapshot


def test_a_second_snapshot_folds_in_the_first() -> None:
    first = compact(None, None, [occurrence(10, 1_000.0, "a", "r1", "eu")], {}, run="run-1")
    second = compact(first, 10, [occurrence(20, 2_000.0, "b", "r1", "eu")], {}, run="run-2")
    assert (second.count, second.first_seen, second.last_seen) == (2, 1_000.0, 2_000.0)
    assert second.users == ("id:a", "id:b")
    assert second.event_id == first.event_id
    assert ("region", "eu", 2, 1_000.0, 2_000.0) in second.tags
    assert second.covers == (20,) and second.run == "run-2"


def test_a_fold_over_several_batches_is_the_snapshot_of_them_all_at_once() -> None:
    previous = compact(None, None, [occurrence(10, 1_000.0, "a", "r1", "eu")], {}, run="run-1")
    batches = [
        [occurrence(20, 2_000.0, "b", "r1", "eu"), occurrence(21, 2_500.0, "c", "r2", "us")],
        [occurrence(5, 500.0, "d", "r0", "us")],  # before the previous snapshot: the new earliest
        [occurrence(30, 3_000.0, None, "r2", "eu")],
    ]
    fold = Fold(previous, 10)
    for batch in batches:
        fold.add(batch, {"r0": 5, "r2": 21})
    at_once = compact(previous, 10, [e for batch in batches for e in batch], {"r0": 5, "r2": 21}, run="run-2")
    assert fold.snapshot("run-2") == at_once
    assert at_once.event_id == f"{5:032x}" and at_once.first_release == "r0"
    assert at_once.covers == (5, 20, 21, 30) and at_once.count == 5


def test_expired_items_keep_their_usage_and_session_counts_and_name_their_attachments() -> None:
    day = 1_780_000_000.0  # 2026-05-28 UTC
    expired = [
        (10, TransactionReceived("o", 1, "a" * 32, day, {"transaction": "GET /"})),
        (
            11,
            AttachmentStored(
                "o", 1, "b" * 32, "att-1", "app.log", "text/plain", "event.attachment", 3, "f" * 64, day
            ),
        ),
        (
            12,
            SessionsReceived(
                "o",
                1,
                day + 86400,
                [
                    {
                        "release": "r@1",
                        "environment": "prod",
                        "status": "exited",
                        "quantity": 3,
                        "started": day,
                        "errors": 1,
                    },
                    {
                        "release": "r@1",
                        "environment": "prod",
                        "status": "exited",
                        "quantity": 2,
                        "started": day,
                        "errors": 0,
                    },
                ],
            ),
        ),
    ]
    snapshot = expire_items(expired, "run-1")
    assert snapshot.covers == (10, 11, 12)
    assert snapshot.accepted == (
        ("attachment", "2026-05-28", 1),
        ("session", "2026-05-29", 5),
        ("transaction", "2026-05-28", 1),
    )
    assert snapshot.sessions == (("2026-05-28", "r@1", "prod", "exited", 5, 1),)
    assert snapshot.attachments == (("att-1", "f" * 64),)
    assert ItemsExpired.from_data(snapshot.to_data()) == snapshot


def test_an_organizations_retention_is_checked_and_changes_once() -> None:
    org = Organization.from_events([OrganizationCreated("org-1", "acme", "Acme")])
    changed = org.change_retention(RetentionPolicy(30.0, None))
    assert changed == [OrganizationRetentionChanged("org-1", 30.0, None)]
    org.apply(changed[0])
    assert org.change_retention(RetentionPolicy(30.0, None)) == []
    with pytest.raises(InvalidCommand, match="retentionMaxEvents must be positive"):
        org.change_retention(RetentionPolicy(30.0, 0))


def test_expired_check_ins_logs_feedback_and_outcomes_keep_their_usage_and_their_monitors_state() -> None:
    day = 1_780_000_000.0  # 2026-05-28 UTC
    expired = [
        (10, MonitorConfigured("o", 1, "nightly", "crontab", "0 * * * *", None, None, 5, 30, "UTC", day)),
        (11, CheckInReceived("o", 1, "c1", "nightly", "in_progress", None, None, day)),
        (12, CheckInReceived("o", 1, "c1", "nightly", "error", 2.0, None, day + 60)),
        (13, LogsReceived("o", 1, day, [{"log_id": "a"}, {"log_id": "b"}])),
        (14, FeedbackReceived("o", 1, "f1", None, None, None, "broke", day)),
        (
            15,
            ClientReportReceived(
                "o", 1, day, [{"reason": "before_send", "category": "error", "quantity": 2}]
            ),
        ),
        (
            16,
            OutcomesRecorded(
                "o",
                1,
                day,
                [{"category": "error", "outcome": "rate_limited", "reason": "key", "quantity": 3}],
            ),
        ),
    ]
    snapshot = expire_items(expired, "run-1")
    assert snapshot.accepted == (
        ("feedback", "2026-05-28", 1),
        ("log_item", "2026-05-28", 2),
        ("monitor", "2026-05-28", 2),
    )
    assert snapshot.outcomes == (
        ("2026-05-28", "error", "client_discard", "before_send", 2),
        ("2026-05-28", "error", "rate_limited", "key", 3),
    )
    ((slug, state),) = snapshot.monitors
    assert (slug, state["status"], state["last_check_in_status"], state["position"]) == (
        "nightly",
        "error",
        "error",
        12,
    )
    assert state["in_progress_id"] is None and state["schedule"]["crontab"] == "0 * * * *"
    assert ItemsExpired.from_data(snapshot.to_data()) == snapshot
    # The next snapshot starts from where this one left the monitor.
    later = expire_items(
        [(20, CheckInReceived("o", 1, "c2", "nightly", "ok", 1.0, None, day + 3600))],
        "run-2",
        dict(snapshot.monitors),
    )
    assert later.monitors[0][1]["status"] == "ok" and later.monitors[0][1]["schedule"] == state["schedule"]
