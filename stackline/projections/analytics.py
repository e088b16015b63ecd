"""Projection of every stored error, transaction, sessions update and outcome into the
analytics store (ClickHouse SQL: `stackline/analytics/`).

It runs under its own `ProjectorRunner` ("analytics"), whose checkpoint lives in the SQL read
model; the rows live in another database, so they cannot commit with it. Instead every row is
keyed by what it stands for (an event id; a log position and item), the tables collapse
duplicates (ReplacingMergeTree, read with FINAL), and each batch carries a dedup token made of
its positions: a batch re-applied after a crash, or the whole log replayed, counts once.

Errors are grouped here again (grouping is pure and deterministic) and stored with their hash;
an issue's rows are found through the hashes the SQL read model maps to it. The projection
never reads the SQL read model, so it does not depend on how far the other projector has got.

Errors' tags are also counted per value and day, per project and per hash (the facets read
those), by the engine: the rows go to an inbox whose materialized views store and count them
(`schema.EVENTS_INBOX`). Counts add up rather than collapse, so an event must be counted once:
the projection asks each counts table how far it got in each month (`counted_through`); a batch
some table holds already, in some month, goes to `events` and to the inboxes of the tables
behind it (`schema.inbox`), without what each holds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.analytics.port import AnalyticsExecutor, json_each_row
from stackline.analytics.schema import EVENTS_INBOX, TAG_COUNTS, counted_through, inbox
from stackline.domain.error_event import ErrorEventReceived, grouping_of, user_key
from stackline.domain.events import (
    ClientReportReceived,
    OutcomesRecorded,
    SessionsReceived,
    TransactionReceived,
)
from stackline.domain.intake import ACCEPTED_CATEGORY, AcceptedEvent
from stackline.domain.personal import USER_TAGS, pseudonymous_user
from stackline.domain.registry import decode
from stackline.domain.summary import parse_timestamp, summarize
from stackline.eventstore import EventStore, RecordedEvent
from stackline.projections.payloads import with_payloads
from stackline.projections.runner import Effects


def clickhouse_time(seconds: float) -> str:
    """A DateTime64(3) value in the text form every ClickHouse version parses."""
    whole = int(seconds // 1)
    return (
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole))
        + f".{int(round((seconds - whole) * 1000)) % 1000:03d}"
    )


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


@dataclass
class Counted:
    """How far a tag counts table counts errors: in every month through `floor` (the last batch
    this process applied), and in some months further (what the engine said at start-up, after
    a crash had left a batch counted in some months' partitions and not in others)."""

    floor: int = 0
    months: dict[int, int] = field(default_factory=dict)  # YYYYMM -> last position counted

    def through(self, month: int) -> int:
        return max(self.floor, self.months.get(month, 0))

    def anywhere(self) -> int:
        return max(self.floor, max(self.months.values(), default=0))

    def applied(self, position: int) -> None:
        """Every error up to `position` is counted now, in every month."""
        self.floor = max(self.floor, position)
        self.months = {month: last for month, last in self.months.items() if last > self.floor}


def _month(row: dict[str, Any]) -> int:
    """The month (YYYYMM) of an error row's UTC day: the counts table partition it goes to."""
    timestamp = row["timestamp"]  # `clickhouse_time` text: YYYY-MM-DD ...
    return int(timestamp[0:4] + timestamp[5:7])


class AnalyticsProjection:
    def __init__(self, executor: AnalyticsExecutor, store: EventStore | None = None) -> None:
        self.executor = executor
        self.store = store  # to read the payloads of events to regroup (`payloads.with_payloads`)
        self._counted: dict[str, Counted] = {}  # tag counts table -> how far it counts, once asked

    async def apply_batch(
        self, conn: AsyncConnection | None, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        """`conn` goes unused: the rows live in the engine (None in `analytics_replay`)."""
        try:
            await self._apply(batch)
        except BaseException:
            self._counted.clear()  # whatever reached the engine, ask it again
            raise

    async def _apply(self, batch: Sequence[RecordedEvent]) -> None:
        events: list[dict[str, Any]] = []
        sessions: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []

        def outcome(
            e: Any, position: int, item: int, at: float, category: str, what: str, reason: str, quantity: int
        ) -> None:
            outcomes.append(
                {
                    "organization_id": e.organization_id,
                    "project_id": e.project_id,
                    "timestamp": int(at),
                    "category": category,
                    "outcome": what,
                    "reason": reason,
                    "quantity": quantity,
                    "position": position,
                    "item": item,
                }
            )

        decoded = [(event, decode(event.type, event.data)) for event in batch]
        for event, domain_event in await with_payloads(self.store, decoded):
            if isinstance(domain_event, AcceptedEvent):
                category = ACCEPTED_CATEGORY[type(domain_event)]
                outcome(
                    domain_event, event.position, 0, domain_event.received_at, category, "accepted", "", 1
                )
            match domain_event:
                case ErrorEventReceived() as e:
                    events.append(_error_row(event, e))
                case TransactionReceived() as e:
                    events.append(_transaction_row(event, e))
                case SessionsReceived() as e:
                    for item, update in enumerate(e.updates):
                        sessions.append(
                            {
                                "organization_id": e.organization_id,
                                "project_id": e.project_id,
                                "started": int(parse_timestamp(update.get("started")) or e.received_at),
                                "release": update.get("release") or "",
                                "environment": update.get("environment") or "",
                                "status": update["status"],
                                "quantity": update["quantity"],
                                "errors": update["errors"],
                                "position": event.position,
                                "item": item,
                            }
                        )
                    outcome(
                        e,
                        event.position,
                        0,
                        e.received_at,
                        "session",
                        "accepted",
                        "",
                        sum(u["quantity"] for u in e.updates),
                    )
                case ClientReportReceived() as e:
                    for item, entry in enumerate(e.discarded, start=1):
                        outcome(
                            e,
                            event.position,
                            item,
                            e.received_at,
                            entry["category"],
                            "client_discard",
                            entry["reason"],
                            entry["quantity"],
                        )
                case OutcomesRecorded() as e:
                    for item, entry in enumerate(e.outcomes, start=1):
                        outcome(
                            e,
                            event.position,
                            item,
                            e.recorded_at,
                            entry["category"],
                            entry["outcome"],
                            entry["reason"],
                            entry["quantity"],
                        )
        token = f"{batch[0].position}-{batch[-1].position}"
        for table, rows in (("sessions", sessions), ("outcomes", outcomes)):
            await self.executor.insert(table, rows, dedup_token=f"{table}:{token}")
        for table in TAG_COUNTS:
            if table not in self._counted:
                self._counted[table] = Counted(months=await counted_through(self.executor, table))
        if events and all(events[0]["position"] > self._counted[table].anywhere() for table in TAG_COUNTS):
            # The usual case: the rows are stored and counted everywhere, by one insert.
            await self.executor.insert_encoded(EVENTS_INBOX, json_each_row(events))
        elif events:
            encoded = json_each_row(events)
            await self.executor.insert_encoded("events", encoded, dedup_token=f"events:{token}")
            for table in TAG_COUNTS:
                counted = self._counted[table]
                if events[0]["position"] > counted.anywhere():
                    await self.executor.insert_encoded(inbox(table), encoded)
                elif new := [row for row in events if row["position"] > counted.through(_month(row))]:
                    await self.executor.insert(inbox(table), new)
        for table in TAG_COUNTS:
            self._counted[table].applied(batch[-1].position)


def _error_row(event: RecordedEvent, e: ErrorEventReceived) -> dict[str, Any]:
    facts = e.facts
    summary = facts.summary
    return {
        "organization_id": e.organization_id,
        "project_id": e.project_id,
        "type": "error",
        "timestamp": clickhouse_time(summary.timestamp),
        "event_id": e.event_id,
        "primary_hash": grouping_of(e).hash,
        "position": event.position,
        "level": summary.level,
        "platform": summary.platform or "",
        "release": facts.release or "",
        "environment": facts.environment or "",
        "user": facts.user or "",
        "title": summary.title,
        "transaction": facts.transaction or "",
        "duration_ms": 0.0,
        "tags": dict(summary.tags),
    }


def _unsealed(tags: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Tags without the user ones, whose values were derived from sealed fields."""
    return {key: value for key, value in tags if key != "user" and key not in USER_TAGS}


def _transaction_row(event: RecordedEvent, e: TransactionReceived) -> dict[str, Any]:
    payload = e.payload
    summary = summarize(payload, e.received_at)
    # Personal data is sealed (stackline/domain/personal.py): the user counts by pseudonym.
    user, user_tags = pseudonymous_user(payload)
    end = parse_timestamp(payload.get("timestamp")) or e.received_at
    start = parse_timestamp(payload.get("start_timestamp"))
    name = _text(payload.get("transaction"), 200) or "<unlabeled transaction>"
    return {
        "organization_id": e.organization_id,
        "project_id": e.project_id,
        "type": "transaction",
        "timestamp": clickhouse_time(end),
        "event_id": e.event_id,
        "primary_hash": "",
        "position": event.position,
        "level": "info",
        "platform": summary.platform or "",
        "release": _text(payload.get("release"), 250),
        "environment": _text(payload.get("environment"), 64),
        "user": user or user_key(payload) or "",
        "title": name,
        "transaction": name,
        "duration_ms": (end - start) * 1000 if start is not None and end >= start else 0.0,
        "tags": dict(summary.tags) if user is None else _unsealed(summary.tags) | user_tags,
    }
