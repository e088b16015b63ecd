"""Performance and release health in GraphQL: transactions and session
counts. Never writes read models."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import Row

from stackline.readmodels.queries import aware


@strawberry.type
class Transaction:
    event_id: str
    name: str
    op: str | None
    status: str | None
    duration_ms: float | None
    timestamp: datetime
    trace_id: str | None
    release: str | None
    environment: str | None

    @classmethod
    def from_row(cls, row: Row) -> Transaction:
        return cls(
            event_id=row.event_id,
            name=row.name,
            op=row.op,
            status=row.status,
            duration_ms=row.duration_ms,
            timestamp=aware(row.timestamp),
            trace_id=row.trace_id,
            release=row.release,
            environment=row.environment,
        )


@strawberry.type
class SessionBucket:
    day: str
    release: str
    environment: str
    status: str
    quantity: int
    errors: int
