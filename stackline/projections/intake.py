"""Projection of every non-error item type, and of the usage (quota) read model.

Transactions, release-health sessions, attachments, cron check-ins (and their monitors: what
`Monitor.apply` says, stored), SDK logs and user feedback get rows
of their own; every accepted item, every item ingest refused (`OutcomesRecorded`) and every
item an SDK says it dropped (`ClientReportReceived`) is counted in `usage` per project, day,
data category, outcome and reason.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.events import (
    AttachmentStored,
    CheckInReceived,
    ClientReportReceived,
    FeedbackReceived,
    LogsReceived,
    OutcomesRecorded,
    SessionsReceived,
    TransactionReceived,
)
from stackline.domain.intake import ACCEPTED_CATEGORY, LOG_CATEGORY, AcceptedEvent
from stackline.domain.monitor import (
    Monitor,
    MonitorCheckInMissed,
    MonitorCheckInTimedOut,
    MonitorConfigured,
    MonitorEvent,
    Schedule,
)
from stackline.domain.registry import decode
from stackline.domain.retention import (
    ItemsExpired,
    OccurrencesCompacted,
    monitor_from_state,
    monitor_state,
)
from stackline.domain.summary import parse_timestamp
from stackline.eventstore import RecordedEvent
from stackline.projections.runner import Effects
from stackline.readmodels.schema import (
    attachments,
    check_ins,
    feedback,
    logs,
    monitors,
    session_counts,
    transactions,
    usage,
)
from stackline.readmodels.upsert import add_quantities, upsert

# The error events' only effect here is their count, read straight from their data: they are the
# bulk of the log, and the issues projection decodes them already.
ERROR_EVENT = ErrorEventReceived.__name__
SNAPSHOT = OccurrencesCompacted.__name__  # what retention kept of deleted error events
ITEMS_SNAPSHOT = ItemsExpired.__name__  # and of deleted transactions and attachments


def day_of(timestamp: float) -> str:
    return _day(int(timestamp // 86400))


@functools.lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return datetime.fromtimestamp(days * 86400, UTC).strftime("%Y-%m-%d")


class IntakeProjection:
    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        counted: dict[tuple, dict[str, Any]] = {}

        def count(
            org: str,
            project_id: int,
            at: float | str,
            category: str,
            outcome: str,
            reason: str,
            n: int,
        ) -> None:
            key = (project_id, at if isinstance(at, str) else day_of(at), category, outcome, reason)
            row = counted.setdefault(
                key,
                {
                    "project_id": project_id,
                    "day": key[1],
                    "category": category,
                    "outcome": outcome,
                    "reason": reason,
                    "organization_id": org,
                    "quantity": 0,
                },
            )
            row["quantity"] += n

        sessions: dict[tuple, dict[str, Any]] = {}

        def add_sessions(
            org: str,
            project_id: int,
            day: str,
            release: str,
            environment: str,
            status: str,
            n: int,
            errors: int,
        ) -> None:
            key = (project_id, day, release, environment, status)
            row = sessions.setdefault(
                key,
                {
                    "project_id": project_id,
                    "day": day,
                    "release": release,
                    "environment": environment,
                    "status": status,
                    "organization_id": org,
                    "quantity": 0,
                    "errors": 0,
                },
            )
            row["quantity"] += n
            row["errors"] += errors

        for event in batch:
            if event.type == ERROR_EVENT:
                data = event.data
                count(
                    data["organization_id"],
                    data["project_id"],
                    data["received_at"],
                    "error",
                    "accepted",
                    "",
                    1,
                )
                continue
            if event.type == SNAPSHOT:
                data = event.data
                for day, n in data.get("accepted_days", ()):
                    count(data["organization_id"], data["project_id"], day, "error", "accepted", "", n)
                continue
            if event.type == ITEMS_SNAPSHOT:
                data = event.data
                for category, day, n in data["accepted"]:
                    count(data["organization_id"], data["project_id"], day, category, "accepted", "", n)
                for day, release, environment, status, n, errors in data.get("sessions", ()):
                    add_sessions(
                        data["organization_id"],
                        data["project_id"],
                        day,
                        release,
                        environment,
                        status,
                        n,
                        errors,
                    )
                for day, category, outcome, reason, n in data.get("outcomes", ()):
                    count(data["organization_id"], data["project_id"], day, category, outcome, reason, n)
                for slug, state in data.get("monitors", ()):
                    # Where the monitor stood after its last expired event; the kept ones follow.
                    await self._store_monitor(
                        conn,
                        monitor_from_state(data["organization_id"], data["project_id"], slug, state),
                        state["position"],
                    )
                continue
            domain_event = decode(event.type, event.data)
            if isinstance(domain_event, AcceptedEvent):
                category = ACCEPTED_CATEGORY[type(domain_event)]
                count(
                    domain_event.organization_id,
                    domain_event.project_id,
                    domain_event.received_at,
                    category,
                    "accepted",
                    "",
                    1,
                )
            match domain_event:
                case TransactionReceived() as e:
                    await self._transaction(conn, event, e)
                case SessionsReceived() as e:
                    for update in e.updates:
                        started = (
                            parse_timestamp(update.get("started")) or e.received_at
                        )  # a float since intake
                        add_sessions(
                            e.organization_id,
                            e.project_id,
                            day_of(started),
                            update.get("release") or "",
                            update.get("environment") or "",
                            update["status"],
                            update["quantity"],
                            update["errors"],
                        )
                    count(
                        e.organization_id,
                        e.project_id,
                        e.received_at,
                        "session",
                        "accepted",
                        "",
                        sum(u["quantity"] for u in e.updates),
                    )
                case AttachmentStored() as e:
                    await conn.execute(
                        attachments.insert().values(
                            project_id=e.project_id,
                            attachment_id=e.attachment_id,
                            organization_id=e.organization_id,
                            event_id=e.event_id,
                            filename=e.filename,
                            content_type=e.content_type,
                            attachment_type=e.attachment_type,
                            size=e.size,
                            sha256=e.sha256,
                            received_at=datetime.fromtimestamp(e.received_at, UTC),
                        )
                    )
                case CheckInReceived() as e:
                    at = datetime.fromtimestamp(e.received_at, UTC)
                    await upsert(
                        conn,
                        check_ins,
                        {
                            "project_id": e.project_id,
                            "check_in_id": e.check_in_id,
                            "organization_id": e.organization_id,
                            "monitor_slug": e.monitor_slug,
                            "status": e.status,
                            "duration": e.duration,
                            "environment": e.environment,
                            "first_received": at,
                            "last_received": at,
                            "position": event.position,
                        },
                        keys=("project_id", "check_in_id"),
                        update={
                            "status": e.status,
                            "duration": e.duration,
                            "last_received": at,
                            "position": event.position,
                        },
                    )
                    await self._monitor(conn, event, e)
                case MonitorConfigured() | MonitorCheckInMissed() | MonitorCheckInTimedOut() as e:
                    await self._monitor(conn, event, e)
                case LogsReceived() as e:
                    count(
                        e.organization_id,
                        e.project_id,
                        e.received_at,
                        LOG_CATEGORY,
                        "accepted",
                        "",
                        len(e.logs),
                    )
                    await self._logs(conn, event, e)
                case FeedbackReceived() as e:
                    exists = await conn.execute(
                        select(feedback.c.feedback_id).where(
                            feedback.c.project_id == e.project_id, feedback.c.feedback_id == e.feedback_id
                        )
                    )
                    if exists.first() is None:
                        await conn.execute(
                            feedback.insert().values(
                                project_id=e.project_id,
                                feedback_id=e.feedback_id,
                                organization_id=e.organization_id,
                                associated_event_id=e.associated_event_id,
                                name=e.name,
                                email=e.email,
                                comments=e.comments,
                                received_at=datetime.fromtimestamp(e.received_at, UTC),
                                position=event.position,
                            )
                        )
                case ClientReportReceived() as e:
                    for entry in e.discarded:
                        count(
                            e.organization_id,
                            e.project_id,
                            e.received_at,
                            entry["category"],
                            "client_discard",
                            entry["reason"],
                            entry["quantity"],
                        )
                case OutcomesRecorded() as e:
                    for entry in e.outcomes:
                        count(
                            e.organization_id,
                            e.project_id,
                            e.recorded_at,
                            entry["category"],
                            entry["outcome"],
                            entry["reason"],
                            entry["quantity"],
                        )
        if sessions:
            await add_quantities(conn, session_counts, list(sessions.values()), ("quantity", "errors"))
        if counted:
            await add_quantities(conn, usage, list(counted.values()), ("quantity",))

    async def _monitor(self, conn: AsyncConnection, event: RecordedEvent, e: MonitorEvent) -> None:
        row = (
            await conn.execute(
                select(monitors).where(
                    monitors.c.project_id == e.project_id, monitors.c.monitor_slug == e.monitor_slug
                )
            )
        ).first()
        monitor = monitor_from_row(row) if row is not None else None
        if monitor is None:
            monitor = Monitor(e.organization_id, e.project_id, e.monitor_slug)
        monitor.apply(e)
        await self._store_monitor(conn, monitor, event.position)

    async def _store_monitor(self, conn: AsyncConnection, monitor: Monitor, position: int) -> None:
        # The row is the state retention's snapshots keep (`monitor_state`), with its keys.
        values = {
            "organization_id": monitor.organization_id,
            **monitor_state(monitor, position),
            "deadline": monitor.deadline(),
        }
        await upsert(
            conn,
            monitors,
            {"project_id": monitor.project_id, "monitor_slug": monitor.slug, **values},
            keys=("project_id", "monitor_slug"),
            update=values,
        )

    async def _logs(self, conn: AsyncConnection, event: RecordedEvent, e: LogsReceived) -> None:
        ids = [record["log_id"] for record in e.logs]
        stored = await conn.execute(
            select(logs.c.log_id).where(logs.c.project_id == e.project_id, logs.c.log_id.in_(ids))
        )
        known = set(stored.scalars())
        received = datetime.fromtimestamp(e.received_at, UTC)
        rows = [
            {
                "project_id": e.project_id,
                "log_id": r["log_id"],
                "organization_id": e.organization_id,
                "timestamp": r["timestamp"],
                "level": r["level"],
                "severity_number": r["severity_number"],
                "body": r["body"],
                "attributes": r["attributes"],
                "trace_id": r["trace_id"],
                "span_id": r["span_id"],
                "received_at": received,
                "position": event.position,
            }
            for r in e.logs
            if r["log_id"] not in known
        ]
        if rows:
            await conn.execute(logs.insert(), rows)

    async def _transaction(self, conn: AsyncConnection, event: RecordedEvent, e: TransactionReceived) -> None:
        payload = e.payload
        exists = await conn.execute(
            select(transactions.c.event_id).where(
                transactions.c.project_id == e.project_id, transactions.c.event_id == e.event_id
            )
        )
        if exists.first() is not None:
            return
        trace = (
            ((payload.get("contexts") or {}).get("trace") or {})
            if isinstance(payload.get("contexts"), dict)
            else {}
        )
        end = parse_timestamp(payload.get("timestamp")) or e.received_at
        start = parse_timestamp(payload.get("start_timestamp"))
        await conn.execute(
            transactions.insert().values(
                project_id=e.project_id,
                event_id=e.event_id,
                organization_id=e.organization_id,
                position=event.position,
                name=str(payload.get("transaction") or "<unlabeled transaction>")[:1000],
                op=_text(trace.get("op"), 100),
                status=_text(trace.get("status"), 40),
                duration_ms=(end - start) * 1000 if start is not None and end >= start else None,
                timestamp=datetime.fromtimestamp(end, UTC),
                trace_id=_text(trace.get("trace_id"), 32),
                release=_text(payload.get("release"), 250),
                environment=_text(payload.get("environment"), 64),
            )
        )


def monitor_from_row(row: Any) -> Monitor:
    """The domain's Monitor as the `monitors` row stored it."""
    return Monitor(
        row.organization_id,
        row.project_id,
        row.monitor_slug,
        Schedule(**row.schedule) if row.schedule else None,
        row.status,
        row.last_check_in_at,
        row.last_check_in_status,
        row.next_expected_at,
        row.in_progress_id,
        row.in_progress_since,
    )


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None
