"""Retention's vocabulary: the snapshot that stands in the log for an issue's deleted occurrences.

When the retention job deletes expired error events, what the issue aggregates still need from
them (counts, first and last seen, the latest title, users, tag counts, the releases they
introduced) is kept in one `OccurrencesCompacted` per (project, grouping hash), written in
place of the earliest deleted event (docs/retention.md). A projection applies it as the sum of
the occurrences it replaces, so a replay after retention reaches the rows a live projector
has. `compact` folds expired events (and the hash's previous snapshot) into a new snapshot.
Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stackline.domain.error_event import ErrorEventReceived, grouping_of
from stackline.domain.events import (
    AttachmentStored,
    CheckInReceived,
    ClientReportReceived,
    DomainEvent,
    FeedbackReceived,
    LogsReceived,
    OutcomesRecorded,
    SessionsReceived,
    TransactionReceived,
    register,
)
from stackline.domain.intake import LOG_CATEGORY
from stackline.domain.monitor import (
    Monitor,
    MonitorCheckInMissed,
    MonitorCheckInTimedOut,
    MonitorConfigured,
    Schedule,
)
from stackline.domain.summary import parse_timestamp

TAG_LIMIT = 200  # as the issues projection counts them: an event's first 200 tags, 200 characters


@register
@dataclass(frozen=True, slots=True)
class OccurrencesCompacted(DomainEvent):
    """The sum of an issue hash's occurrences that retention deleted from the log.

    `covers` are the positions this snapshot's run deleted (the derived rows to delete with
    them); `run` names that run, so a crashed run's unfinished read-model work is found again.
    Times are unix seconds. `tags` rows are `[key, value, count, first, last]`, `releases` rows
    `[version, first position, first seen]` for the releases the project first saw in them."""

    organization_id: str
    project_id: int
    hash: str
    variant: str
    components: tuple[str, ...]
    event_id: str  # the SDK's id of the earliest occurrence it stands for
    run: str
    count: int
    first_seen: float
    last_seen: float
    last_position: int
    title: str
    culprit: str | None
    level: str
    first_release: str | None
    last_release: str | None
    users: tuple[str, ...]
    tags: tuple[tuple[Any, ...], ...]
    releases: tuple[tuple[Any, ...], ...]
    covers: tuple[int, ...]
    accepted_days: tuple[tuple[Any, ...], ...] = ()  # [UTC day, count] by the day they were received

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> OccurrencesCompacted:
        values = dict(data)
        for name in ("components", "users", "covers"):
            values[name] = tuple(values[name])
        values["tags"] = tuple(tuple(row) for row in values["tags"])
        values["releases"] = tuple(tuple(row) for row in values["releases"])
        values["accepted_days"] = tuple(tuple(row) for row in values.get("accepted_days", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Expired:
    """An expired error event as the job hands it to `compact`."""

    position: int
    event: ErrorEventReceived


def compact(
    previous: OccurrencesCompacted | None,
    previous_position: int | None,
    expired: Sequence[Expired],
    first_releases: dict[str, int],
    run: str,
) -> OccurrencesCompacted:
    """The snapshot of `previous` (at `previous_position`) and `expired`, all of one (project,
    hash). `first_releases` maps the project's release versions to the position of the event
    that introduced them; those introduced by an expired event are kept."""
    fold = Fold(previous, previous_position)
    fold.add(expired, first_releases)
    return fold.snapshot(run)


class Fold:
    """The running sum of one (project, hash)'s expired events, batch after batch, and of the
    hash's previous snapshot: what `compact` computes, kept open so that a run writes each
    hash's snapshot once per flush instead of once per batch (its cost grows with the
    snapshot's users and tags, not with the batch)."""

    def __init__(self, previous: OccurrencesCompacted | None, previous_position: int | None) -> None:
        self.previous = previous
        self.count = 0
        self.first_seen = self.last_seen = 0.0
        self.title, self.culprit, self.level = "", None, "error"
        self.first_release: str | None = None
        self.last_release: str | None = None
        self.last_position = 0
        self.users: set[str] = set()
        self.tags: dict[tuple[str, str], list[Any]] = {}
        self.releases: dict[str, tuple[int, float]] = {}
        self.accepted: dict[str, int] = {}
        self.covers: list[int] = []
        # The earliest occurrence folded in, when it comes before the previous snapshot (or
        # there is none): the snapshot takes its event id and first release.
        self.earliest: ErrorEventReceived | None = None
        self.earliest_position = previous_position
        if previous is not None:
            self.count, self.first_seen, self.last_seen = (
                previous.count,
                previous.first_seen,
                previous.last_seen,
            )
            self.title, self.culprit, self.level = previous.title, previous.culprit, previous.level
            self.first_release, self.last_release = previous.first_release, previous.last_release
            self.last_position = previous.last_position
            self.users.update(previous.users)
            for key, value, n, tag_first, tag_last in previous.tags:
                self.tags[(key, value)] = [n, tag_first, tag_last]
            for version, position, seen in previous.releases:
                self.releases[version] = (position, seen)
            for day, n in previous.accepted_days:
                self.accepted[day] = n

    def add(self, expired: Sequence[Expired], first_releases: dict[str, int]) -> None:
        """Fold in more expired events of the hash (in any order)."""
        ordered = sorted(expired, key=lambda e: e.position)
        if not ordered:
            return
        if self.earliest_position is None or ordered[0].position < self.earliest_position:
            self.earliest, self.earliest_position = ordered[0].event, ordered[0].position
        tags = self.tags
        for item in ordered:
            facts = item.event.facts
            seen = facts.summary.timestamp
            if self.count == 0:
                self.first_seen = self.last_seen = seen
                self.title, self.culprit, self.level = (
                    facts.summary.title,
                    facts.summary.culprit,
                    facts.summary.level,
                )
                self.first_release = self.last_release = facts.release
            else:
                self.first_seen = min(self.first_seen, seen)
                if seen >= self.last_seen:  # the issue shows what its latest event says
                    self.last_seen = seen
                    self.title, self.culprit = facts.summary.title, facts.summary.culprit
                    self.level = facts.summary.level
                    if facts.release:
                        self.last_release = facts.release
            self.count += 1
            day = utc_day(item.event.received_at)
            self.accepted[day] = self.accepted.get(day, 0) + 1
            self.last_position = max(self.last_position, item.position)
            self.covers.append(item.position)
            if facts.user:
                self.users.add(facts.user)
            for key, value in facts.summary.tags[:TAG_LIMIT]:
                pair = (key[:200], value[:200])
                counted = tags.get(pair)
                if counted is None:
                    tags[pair] = [1, seen, seen]
                else:
                    counted[0] += 1
                    counted[1] = min(counted[1], seen)
                    counted[2] = max(counted[2], seen)
            if facts.release and first_releases.get(facts.release) == item.position:
                self.releases[facts.release] = (item.position, seen)

    def snapshot(self, run: str) -> OccurrencesCompacted:
        """The snapshot of everything folded so far; `covers` are the events added."""
        previous, earliest = self.previous, self.earliest
        if not self.covers:
            raise ValueError("nothing to compact")
        if earliest is not None:
            grouping = grouping_of(earliest)
            organization_id, project_id, hash_ = earliest.organization_id, earliest.project_id, grouping.hash
            event_id, first_release = earliest.event_id, earliest.facts.release
        else:
            assert previous is not None  # without a previous snapshot the earliest is an added one
            organization_id, project_id, hash_ = previous.organization_id, previous.project_id, previous.hash
            event_id, first_release = previous.event_id, self.first_release
        return OccurrencesCompacted(
            organization_id=organization_id,
            project_id=project_id,
            hash=hash_,
            variant=previous.variant if previous is not None else grouping.variant,
            components=previous.components if previous is not None else grouping.components,
            event_id=event_id,
            run=run,
            count=self.count,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            last_position=self.last_position,
            title=self.title,
            culprit=self.culprit,
            level=self.level,
            first_release=first_release,
            last_release=self.last_release,
            users=tuple(sorted(self.users)),
            tags=tuple((k, v, n, f, la) for (k, v), (n, f, la) in sorted(self.tags.items())),
            releases=tuple((v, p, s) for v, (p, s) in sorted(self.releases.items())),
            covers=tuple(sorted(self.covers)),
            accepted_days=tuple(sorted(self.accepted.items())),
        )


def utc_day(timestamp: float) -> str:
    """The UTC day usage counts an event under (as `projections.intake.day_of`)."""
    return datetime.fromtimestamp(int(timestamp // 86400) * 86400, UTC).strftime("%Y-%m-%d")


@register
@dataclass(frozen=True, slots=True)
class ItemsExpired(DomainEvent):
    """What retention keeps of a project's expired items (transactions, session updates,
    attachments, check-ins and their monitors' events, SDK logs, user feedback, client reports
    and ingest's outcomes), written in place of the earliest of a batch: how many were
    accepted, by data category and UTC day of receipt, and the other outcomes (`outcomes`:
    `[UTC day, category, outcome, reason, quantity]`), which `usage` counts; the session counts
    (`[day started, release, environment, status, quantity, errors]`, which `session_counts`
    sums); each monitor's state after its last expired event (`monitors`: `[slug, state]`, the
    `monitors` row a replay starts from); the positions deleted (`covers`: their `transactions`,
    `check_ins`, `logs`, `feedback` and analytics rows go with them) and the attachments (`[id,
    sha256]`: their rows, and each blob no row names any more)."""

    organization_id: str
    project_id: int
    run: str
    accepted: tuple[tuple[Any, ...], ...]  # [category, UTC day, count]
    covers: tuple[int, ...]
    attachments: tuple[tuple[str, str], ...]
    sessions: tuple[tuple[Any, ...], ...] = ()
    outcomes: tuple[tuple[Any, ...], ...] = ()
    monitors: tuple[tuple[str, dict[str, Any]], ...] = ()

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ItemsExpired:
        values = dict(data)
        values["sessions"] = tuple(tuple(row) for row in values.get("sessions", ()))
        values["outcomes"] = tuple(tuple(row) for row in values.get("outcomes", ()))
        values["monitors"] = tuple((str(slug), dict(state)) for slug, state in values.get("monitors", ()))
        values["accepted"] = tuple(tuple(row) for row in values["accepted"])
        values["covers"] = tuple(values["covers"])
        values["attachments"] = tuple((str(a), str(s)) for a, s in values["attachments"])
        return cls(**values)


# Every item type of the ingest streams that expires by max age, with the data category its
# acceptance counts in (None: not an accepted item of its own).
EXPIRING_ITEMS: dict[type[DomainEvent], str | None] = {
    TransactionReceived: "transaction",
    AttachmentStored: "attachment",
    SessionsReceived: "session",
    CheckInReceived: "monitor",
    LogsReceived: LOG_CATEGORY,
    FeedbackReceived: "feedback",
    ClientReportReceived: None,
    OutcomesRecorded: None,
    MonitorConfigured: None,
    MonitorCheckInMissed: None,
    MonitorCheckInTimedOut: None,
}
MONITOR_EVENTS = (CheckInReceived, MonitorConfigured, MonitorCheckInMissed, MonitorCheckInTimedOut)


def monitor_state(monitor: Monitor, position: int) -> dict[str, Any]:
    """A monitor as `ItemsExpired.monitors` keeps it: the columns of its `monitors` row."""
    return {
        "schedule": dataclasses.asdict(monitor.schedule) if monitor.schedule else None,
        "status": monitor.status,
        "last_check_in_at": monitor.last_check_in_at,
        "last_check_in_status": monitor.last_check_in_status,
        "next_expected_at": monitor.next_expected_at,
        "in_progress_id": monitor.in_progress_id,
        "in_progress_since": monitor.in_progress_since,
        "position": position,
    }


def monitor_from_state(organization_id: str, project_id: int, slug: str, state: dict[str, Any]) -> Monitor:
    schedule = state.get("schedule")
    return Monitor(
        organization_id,
        project_id,
        slug,
        Schedule(**schedule) if schedule else None,
        state["status"],
        state["last_check_in_at"],
        state["last_check_in_status"],
        state["next_expected_at"],
        state["in_progress_id"],
        state["in_progress_since"],
    )


def expire_items(
    expired: Sequence[tuple[int, DomainEvent | None]],
    run: str,
    monitors: dict[str, dict[str, Any]] | None = None,
) -> ItemsExpired:
    """The snapshot of one project's expired items (position, event). `monitors`: each
    monitor's state as the project's latest earlier `ItemsExpired` left it, which its expired
    events here are applied to (in log order)."""
    if not expired:
        raise ValueError("nothing to expire")
    accepted: dict[tuple[str, str], int] = {}
    outcomes: dict[tuple[str, str, str, str], int] = {}
    attachments: list[tuple[str, str]] = []
    sessions: dict[tuple[str, str, str, str], list[int]] = {}
    states: dict[str, Monitor] = {}
    last_at: dict[str, int] = {}
    organization_id, project_id = "", 0
    for position, event in sorted(expired, key=lambda item: item[0]):
        if event is None or type(event) not in EXPIRING_ITEMS:
            raise ValueError(f"{type(event).__name__} is not an expiring item")
        organization_id, project_id = event.organization_id, event.project_id  # type: ignore[attr-defined]
        if isinstance(event, MONITOR_EVENTS):
            slug = event.monitor_slug
            if slug not in states:
                known = (monitors or {}).get(slug)
                states[slug] = (
                    monitor_from_state(organization_id, project_id, slug, known)
                    if known is not None
                    else Monitor(organization_id, project_id, slug)
                )
            states[slug].apply(event)
            last_at[slug] = position
        if isinstance(event, ClientReportReceived | OutcomesRecorded):
            at = event.received_at if isinstance(event, ClientReportReceived) else event.recorded_at
            entries = event.discarded if isinstance(event, ClientReportReceived) else event.outcomes
            for entry in entries:
                outcome = "client_discard" if isinstance(event, ClientReportReceived) else entry["outcome"]
                key4 = (utc_day(at), entry["category"], outcome, entry["reason"])
                outcomes[key4] = outcomes.get(key4, 0) + entry["quantity"]
            continue
        category = EXPIRING_ITEMS[type(event)]
        if category is None:
            continue
        key = (category, utc_day(event.received_at))  # type: ignore[attr-defined]
        if isinstance(event, SessionsReceived):
            # As the intake projection counts them: usage by quantity, session_counts by the
            # day each update started.
            accepted[key] = accepted.get(key, 0) + sum(u["quantity"] for u in event.updates)
            for update in event.updates:
                started = parse_timestamp(update.get("started")) or event.received_at
                counts = sessions.setdefault(
                    (
                        utc_day(started),
                        update.get("release") or "",
                        update.get("environment") or "",
                        update["status"],
                    ),
                    [0, 0],
                )
                counts[0] += update["quantity"]
                counts[1] += update["errors"]
            continue
        accepted[key] = accepted.get(key, 0) + (len(event.logs) if isinstance(event, LogsReceived) else 1)
        if isinstance(event, AttachmentStored):
            attachments.append((event.attachment_id, event.sha256))
    return ItemsExpired(
        organization_id=organization_id,
        project_id=project_id,
        run=run,
        accepted=tuple((category, day, n) for (category, day), n in sorted(accepted.items())),
        covers=tuple(sorted(position for position, _ in expired)),
        attachments=tuple(attachments),
        sessions=tuple((*key, quantity, errors) for key, (quantity, errors) in sorted(sessions.items())),
        outcomes=tuple((*key, n) for key, n in sorted(outcomes.items())),
        monitors=tuple(
            (slug, monitor_state(monitor, last_at[slug])) for slug, monitor in sorted(states.items())
        ),
    )
