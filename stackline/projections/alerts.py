"""Alert rules: their configuration (a read model), and the notifications their triggers owe.

`AlertRulesProjection` runs in the read-model projector and keeps the `alert_rules` table.

`AlertNotificationsProjection` is the alerts worker's projector (`alerts`, its own checkpoint).
It trails the read-model projector (it reads which issue an event landed on, the issue's facts
and its event counts there) and, for each batch, finds the triggers of the project's enabled
rules:

- NEW_ISSUE: an `IssueCreated`; REGRESSION: an `IssueRegressed`; ESCALATION: an
  `IssueUnignored` whose ignore condition ended (not a person's unignore);
- EVENT_FREQUENCY / USER_FREQUENCY: an issue that got events in the batch and has, counted in
  SQL over the `events` read model up to the batch's end, more than N events (distinct users)
  in the last T minutes;
- MONITOR_MISSED / MONITOR_TIMED_OUT / MONITOR_FAILED: a `MonitorCheckInMissed`, a
  `MonitorCheckInTimedOut`, a `CheckInReceived` with status error (`monitor_incident` decides),
  of a monitor the rule's `monitor_slugs` name (or any). Keyed by `monitor_key` where an issue's
  notifications use the issue's id, so the action interval counts per monitor; the issue filters
  do not apply to them.

A trigger that passes the rule's filters (the event's level, environment, release, tags; the
issue's search query, as SQL through `stackline/readmodels/issue_search.py`) and is outside the
rule's action interval for that issue becomes one PENDING `alert_notifications` row per channel,
in the transaction that moves the checkpoint: a crash or a restart re-applies the batch from the
same state and queues the same rows, once. The interval is read from those rows and measured in
the log's time, so re-application decides alike. It never sends; `stackline/app/alert_sender.py`
does, from those rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.domain.alert import (
    ESCALATION,
    EVENT_FREQUENCY,
    FREQUENCY_KINDS,
    NEW_ISSUE,
    REGRESSION,
    AlertRuleCreated,
    AlertRuleDeleted,
    AlertRuleUpdated,
    EventFacts,
    MonitorIncident,
    RuleConfig,
    event_matches,
    monitor_incident,
    monitor_key,
    monitor_matches,
    suppressed,
)
from stackline.domain.registry import decode
from stackline.domain.search import parse_query
from stackline.domain.webhook import PENDING
from stackline.eventstore import RecordedEvent
from stackline.projections.runner import Effects
from stackline.projections.webhooks import global_id
from stackline.readmodels.issue_search import search_condition
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import (
    alert_notifications,
    alert_rules,
    events,
    issues,
    monitors,
    organizations,
    projects,
)

NOTIFICATION_NAMESPACE = uuid.UUID("5c1d9e7a-3b2f-4a86-9e0d-7f4b2a1c8e53")


class AlertRulesProjection:
    """The `alert_rules` table, from the `alert-rule-{id}` streams."""

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        for event in batch:
            if not event.type.startswith("AlertRule"):
                continue
            at = event.recorded_at
            match decode(event.type, event.data):
                case AlertRuleCreated() as e:
                    config = RuleConfig.from_data(e.config).to_data()
                    await conn.execute(
                        alert_rules.insert().values(
                            id=e.rule_id,
                            organization_id=e.organization_id,
                            project_id=e.project_id,
                            created_position=event.position,
                            created_at=at,
                            updated_at=at,
                            **config,
                        )
                    )
                case AlertRuleUpdated() as e:
                    config = RuleConfig.from_data(e.config).to_data()
                    await conn.execute(
                        alert_rules.update()
                        .where(alert_rules.c.id == e.rule_id)
                        .values(updated_at=at, **config)
                    )
                case AlertRuleDeleted() as e:
                    await conn.execute(alert_rules.delete().where(alert_rules.c.id == e.rule_id))


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: str
    organization_id: str
    project_id: int
    issue_id: str
    position: int
    at: float  # the log's time of the triggering event (unix)
    event_id: str | None  # the event whose facts the filters look at, when known
    count: int | None = None  # frequency kinds: what was counted,
    window_minutes: int | None = None  # over how many minutes
    monitor: MonitorIncident | None = None  # the monitor kinds (issue_id is its monitor_key)


def notification_id(rule_id: str, trigger: Trigger, channel_index: int) -> str:
    """Derived from the rule, the trigger and the channel: re-applying a batch queues the same rows."""
    key = f"{rule_id}:{trigger.issue_id}:{trigger.kind}:{trigger.position}:{channel_index}"
    return str(uuid.uuid5(NOTIFICATION_NAMESPACE, key))


class AlertNotificationsProjection:
    """Queues a notification per trigger and channel of an enabled rule (see the module docstring)."""

    def __init__(self, on_queued: Callable[[], None] | None = None) -> None:
        self.on_queued = on_queued  # told after the commit, to wake a sender in this process

    async def is_idle(self, conn: AsyncConnection) -> bool:
        """No enabled rule anywhere: nothing in the log could notify now, so the runner need not
        read it (it skips ahead with the read models' checkpoint)."""
        return (
            await conn.execute(select(alert_rules.c.id).where(alert_rules.c.enabled.is_(True)).limit(1))
        ).first() is None

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        rows = (await conn.execute(select(alert_rules).where(alert_rules.c.enabled.is_(True)))).all()
        if not rows:
            return  # the common case costs one small query per batch
        rules: dict[int, list[tuple[Any, RuleConfig]]] = defaultdict(list)
        for row in rows:
            rules[row.project_id].append((row, RuleConfig.from_data(dict(row._mapping))))
        triggers = await self._lifecycle_triggers(conn, batch, rules)
        triggers += self._monitor_triggers(batch, rules)
        latest = await self._latest_occurrences(conn, batch, rules)
        issue_ids = {t.issue_id for t in triggers} | set(latest)
        if not issue_ids:
            return
        # When each rule last told about each issue: the action interval, and what need not be counted.
        last = await self._last_notified(conn, {row.id for row in rows}, issue_ids)
        triggers += await self._frequency_triggers(conn, batch[-1].position, rules, latest, last)
        if not triggers:
            return
        triggers.sort(key=lambda t: (t.position, t.issue_id, t.kind))
        candidates = [
            (row, config, trigger)
            for trigger in triggers
            for row, config in rules.get(trigger.project_id, ())
            if row.organization_id == trigger.organization_id
            and trigger.position > row.created_position
            and (
                monitor_matches(config, trigger.monitor)
                if trigger.monitor is not None
                else holds(config, trigger)
            )
        ]
        if not candidates:
            return
        facts = await self._event_facts(
            conn, {(t.project_id, t.event_id) for _, _, t in candidates if t.event_id}
        )
        matching = await self._matching_queries(conn, candidates)
        chosen: list[tuple[Any, RuleConfig, Trigger]] = []
        for row, config, trigger in candidates:
            if trigger.monitor is None:
                fact = facts.get((trigger.project_id, trigger.event_id))
                if fact is None or not event_matches(config.filters, fact):
                    continue
                if config.filters.query and trigger.issue_id not in matching.get(row.id, ()):
                    continue
            key = (row.id, trigger.issue_id)
            if suppressed(last.get(key), trigger.at, config.action_interval_minutes):
                continue
            last[key] = trigger.at
            chosen.append((row, config, trigger))
        if not chosen:
            return
        subjects = await self._subjects(conn, {t.issue_id for _, _, t in chosen if t.monitor is None})
        subjects |= await self._monitor_subjects(conn, [t for _, _, t in chosen if t.monitor is not None])
        now = datetime.now(UTC)
        values = []
        for row, config, trigger in chosen:
            subject = subjects.get(trigger.issue_id)
            if subject is None:
                continue
            body = {
                **subject,
                "rule": {"id": global_id("AlertRule", row.id), "name": config.name},
                "trigger": trigger.kind,
                "count": trigger.count,
                "window_minutes": trigger.window_minutes,
                "triggered_at": datetime.fromtimestamp(trigger.at, UTC).isoformat(),
            }
            for index, channel in enumerate(config.channels):
                values.append(
                    {
                        "id": notification_id(row.id, trigger, index),
                        "rule_id": row.id,
                        "organization_id": row.organization_id,
                        "project_id": trigger.project_id,
                        "issue_id": trigger.issue_id,
                        "trigger": trigger.kind,
                        "channel": channel.to_data(),
                        "channel_kind": channel.kind,
                        "target": channel.target,
                        "position": trigger.position,
                        "triggered_at": trigger.at,
                        "subject": orjson.dumps(body).decode(),
                        "status": PENDING,
                        "attempts": 0,
                        "next_attempt_at": 0.0,
                        "created_at": now,
                    }
                )
        if values:
            await conn.execute(alert_notifications.insert(), values)
            if self.on_queued is not None:
                effects.after_commit.append(self.on_queued)

    async def _lifecycle_triggers(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], rules: dict[int, list]
    ) -> list[Trigger]:
        found: list[tuple[RecordedEvent, str, str, str | None]] = []  # event, kind, issue, event id
        for event in batch:
            data = event.data
            if event.type == "IssueCreated":
                if data.get("project_id") in rules:
                    found.append((event, NEW_ISSUE, data["issue_id"], data.get("first_event_id")))
            elif event.type == "IssueRegressed":
                found.append((event, REGRESSION, data["issue_id"], data.get("event_id")))
            elif event.type == "IssueUnignored" and data.get("reason") not in (None, "manual"):
                found.append((event, ESCALATION, data["issue_id"], None))
        if not found:
            return []
        owners = {
            row.id: row
            for row in await conn.execute(
                select(issues.c.id, issues.c.organization_id, issues.c.project_id).where(
                    issues.c.id.in_({issue for _, _, issue, _ in found})
                )
            )
        }
        triggers = []
        for event, kind, issue_id, event_id in found:
            owner = owners.get(issue_id)
            if owner is None or owner.project_id not in rules:
                continue
            if event_id is None:  # an escalation: the filters look at the issue's latest event
                event_id = (
                    await conn.execute(
                        select(events.c.event_id)
                        .where(events.c.issue_id == issue_id, events.c.position <= event.position)
                        .order_by(events.c.position.desc())
                        .limit(1)
                    )
                ).scalar()
            triggers.append(
                Trigger(
                    kind,
                    owner.organization_id,
                    owner.project_id,
                    issue_id,
                    event.position,
                    event.recorded_at.timestamp(),
                    event_id,
                )
            )
        return triggers

    def _monitor_triggers(self, batch: Sequence[RecordedEvent], rules: dict[int, list]) -> list[Trigger]:
        triggers = []
        for event in batch:
            if event.type not in MONITOR_EVENT_TYPES or event.data.get("project_id") not in rules:
                continue
            decoded = decode(event.type, event.data)
            incident = monitor_incident(decoded) if decoded is not None else None
            if incident is None:
                continue
            triggers.append(
                Trigger(
                    incident.kind,
                    incident.organization_id,
                    incident.project_id,
                    monitor_key(incident.project_id, incident.monitor_slug),
                    event.position,
                    event.recorded_at.timestamp(),
                    None,
                    monitor=incident,
                )
            )
        return triggers

    async def _monitor_subjects(
        self, conn: AsyncConnection, triggers: Sequence[Trigger]
    ) -> dict[str, dict[str, Any]]:
        """What a monitor notification says: the project and organization, the monitor and its
        schedule as the read models show them, and what happened when."""
        if not triggers:
            return {}
        project_rows = {
            row.id: row
            for row in await conn.execute(
                select(
                    projects.c.id,
                    projects.c.slug,
                    projects.c.name,
                    organizations.c.slug.label("organization_slug"),
                )
                .join(organizations, organizations.c.id == projects.c.organization_id)
                .where(projects.c.id.in_({t.project_id for t in triggers}))
            )
        }
        schedules = {
            (row.project_id, row.monitor_slug): row.schedule
            for row in await conn.execute(
                select(monitors.c.project_id, monitors.c.monitor_slug, monitors.c.schedule).where(
                    tuple_(monitors.c.project_id, monitors.c.monitor_slug).in_(
                        list({(t.project_id, t.monitor.monitor_slug) for t in triggers if t.monitor})
                    )
                )
            )
        }
        subjects = {}
        for trigger in triggers:
            incident, project = trigger.monitor, project_rows.get(trigger.project_id)
            if incident is None or project is None:
                continue
            subjects[trigger.issue_id] = {
                "organization": {"slug": project.organization_slug},
                "project": {"slug": project.slug, "name": project.name, "numericId": project.id},
                "monitor": {
                    "slug": incident.monitor_slug,
                    "schedule": schedules.get((incident.project_id, incident.monitor_slug)),
                    "expectedAt": _iso(incident.expected_at),
                    "startedAt": _iso(incident.started_at),
                    "at": _iso(incident.at),
                    "checkInId": incident.check_in_id,
                    "environment": incident.environment,
                },
            }
        return subjects

    async def _latest_occurrences(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], rules: dict[int, list]
    ) -> dict[str, tuple[RecordedEvent, Any]]:
        """Issue -> its last stored event of this batch, for projects with a frequency rule."""
        frequent = {
            project_id
            for project_id, project_rules in rules.items()
            if any(c.kind in FREQUENCY_KINDS for _, config in project_rules for c in config.conditions)
        }
        received = [
            event
            for event in batch
            if event.type == "ErrorEventReceived" and event.data.get("project_id") in frequent
        ]
        if not received:
            return {}
        keys = [(event.data["project_id"], event.data["event_id"]) for event in received]
        stored = {
            (row.project_id, row.event_id): row
            for row in await conn.execute(
                select(
                    events.c.project_id,
                    events.c.event_id,
                    events.c.issue_id,
                    events.c.organization_id,
                    events.c.position,
                ).where(tuple_(events.c.project_id, events.c.event_id).in_(keys))
            )
        }
        latest: dict[str, tuple[RecordedEvent, Any]] = {}
        for event, key in zip(received, keys, strict=True):
            row = stored.get(key)
            # Not stored at this position: an SDK's retry of an event already counted.
            if row is not None and row.position == event.position:
                latest[row.issue_id] = (event, row)
        return latest

    async def _frequency_triggers(
        self,
        conn: AsyncConnection,
        end: int,
        rules: dict[int, list],
        latest: dict[str, tuple[RecordedEvent, Any]],
        last: dict[tuple[str, str], float],
    ) -> list[Trigger]:
        """Issues of this batch's events over a frequency condition's threshold, counted in SQL
        over the `events` read model up to the batch's end (`end`). Only what could notify is
        counted: not for a rule still within its action interval for the issue (a storm costs a
        count once per interval, not once per batch), nor when the issue's own total is no more
        than the threshold."""
        if not latest:
            return []
        totals = {
            row.id: row
            for row in await conn.execute(
                select(issues.c.id, issues.c.times_seen, issues.c.user_count).where(issues.c.id.in_(latest))
            )
        }
        # (kind, window) -> issue -> the lowest threshold a rule that could notify asks for
        needed: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
        for issue_id, (event, row) in latest.items():
            total = totals.get(issue_id)
            if total is None:
                continue
            at = event.recorded_at.timestamp()
            for rule, config in rules.get(row.project_id, ()):
                if rule.organization_id != row.organization_id or event.position <= rule.created_position:
                    continue
                if suppressed(last.get((rule.id, issue_id)), at, config.action_interval_minutes):
                    continue
                for c in config.conditions:
                    if c.kind not in FREQUENCY_KINDS:
                        continue
                    assert c.window_minutes is not None and c.threshold is not None
                    if (total.times_seen if c.kind == EVENT_FREQUENCY else total.user_count) <= c.threshold:
                        continue
                    asked = needed[(c.kind, c.window_minutes)]
                    asked[issue_id] = min(c.threshold, asked.get(issue_id, c.threshold))
        if not needed:
            return []
        now = max(event.data["received_at"] for event, _ in latest.values())
        triggers = []
        for (kind, window), asked in sorted(needed.items()):
            counted = func.count() if kind == EVENT_FREQUENCY else func.count(events.c.user_key.distinct())
            since = datetime.fromtimestamp(now - window * 60, UTC)
            query = (
                select(events.c.issue_id, counted)
                .where(events.c.issue_id.in_(asked), events.c.position <= end, events.c.received_at > since)
                .group_by(events.c.issue_id)
            )
            for issue_id, count in await conn.execute(query):
                if count <= asked[issue_id]:
                    continue
                event, row = latest[issue_id]
                triggers.append(
                    Trigger(
                        kind,
                        row.organization_id,
                        row.project_id,
                        issue_id,
                        event.position,
                        event.recorded_at.timestamp(),
                        row.event_id,
                        count,
                        window,
                    )
                )
        return triggers

    async def _event_facts(
        self, conn: AsyncConnection, keys: set[tuple[int, str | None]]
    ) -> dict[tuple[int, str | None], EventFacts]:
        if not keys:
            return {}
        return {
            (row.project_id, row.event_id): EventFacts(
                row.level, row.environment, row.release, {k: v for k, v in row.tags or ()}
            )
            for row in await conn.execute(
                select(
                    events.c.project_id,
                    events.c.event_id,
                    events.c.level,
                    events.c.environment,
                    events.c.release,
                    events.c.tags,
                ).where(tuple_(events.c.project_id, events.c.event_id).in_(list(keys)))
            )
        }

    async def _matching_queries(
        self, conn: AsyncConnection, candidates: Sequence[tuple[Any, RuleConfig, Trigger]]
    ) -> dict[str, set[str]]:
        """For each rule with a query: which of its candidate issues the query matches, asked of
        the issues read model with the search's own SQL (one statement per rule and batch)."""
        asked: dict[str, tuple[Any, RuleConfig, set[str]]] = {}
        for row, config, trigger in candidates:
            if config.filters.query:
                asked.setdefault(row.id, (row, config, set()))[2].add(trigger.issue_id)
        matching: dict[str, set[str]] = {}
        for rule_id, (row, config, issue_ids) in asked.items():
            condition = search_condition(parse_query(config.filters.query), counting=True)
            matching[rule_id] = set(
                (
                    await conn.execute(
                        select(issues.c.id).where(
                            issues.c.id.in_(issue_ids),
                            issues.c.organization_id == row.organization_id,
                            issues.c.project_id == row.project_id,
                            condition,
                        )
                    )
                ).scalars()
            )
        return matching

    async def _last_notified(
        self, conn: AsyncConnection, rule_ids: set[str], issue_ids: set[str]
    ) -> dict[tuple[str, str], float]:
        """When each rule last notified about each issue (the log's time of that trigger)."""
        query = (
            select(
                alert_notifications.c.rule_id,
                alert_notifications.c.issue_id,
                func.max(alert_notifications.c.triggered_at),
            )
            .where(alert_notifications.c.rule_id.in_(rule_ids), alert_notifications.c.issue_id.in_(issue_ids))
            .group_by(alert_notifications.c.rule_id, alert_notifications.c.issue_id)
        )
        return {(rule, issue): at for rule, issue, at in await conn.execute(query)}

    async def _subjects(self, conn: AsyncConnection, issue_ids: set[str]) -> dict[str, dict[str, Any]]:
        """What a notification says about its issue, project and organization, as the read
        models show them when it is queued."""
        query = (
            select(
                issues,
                projects.c.slug.label("project_slug"),
                projects.c.name.label("project_name"),
                organizations.c.slug.label("organization_slug"),
            )
            .join(projects, projects.c.id == issues.c.project_id)
            .join(organizations, organizations.c.id == issues.c.organization_id)
            .where(issues.c.id.in_(issue_ids))
        )
        return {
            row.id: {
                "organization": {"slug": row.organization_slug},
                "project": {"slug": row.project_slug, "name": row.project_name, "numericId": row.project_id},
                "issue": {
                    "id": row.id,
                    "globalId": global_id("Issue", row.id),
                    "shortId": row.short_id,
                    "title": row.title,
                    "culprit": row.culprit,
                    "level": row.level,
                    "status": row.status.upper(),
                    "firstSeen": aware(row.first_seen).isoformat(),
                    "lastSeen": aware(row.last_seen).isoformat(),
                    "timesSeen": row.times_seen,
                    "userCount": row.user_count,
                },
            }
            for row in await conn.execute(query)
        }


MONITOR_EVENT_TYPES = frozenset({"MonitorCheckInMissed", "MonitorCheckInTimedOut", "CheckInReceived"})


def _iso(at: float | None) -> str | None:
    return datetime.fromtimestamp(at, UTC).isoformat() if at is not None else None


def holds(config: RuleConfig, trigger: Trigger) -> bool:
    """Whether one of the rule's conditions is what the trigger found: its kind, and for the
    frequency kinds its window and a count over its own threshold."""
    for condition in config.conditions:
        if condition.kind != trigger.kind:
            continue
        if condition.kind not in FREQUENCY_KINDS:
            return True
        if (
            condition.window_minutes == trigger.window_minutes
            and trigger.count is not None
            and condition.threshold is not None
            and trigger.count > condition.threshold
        ):
            return True
    return False
