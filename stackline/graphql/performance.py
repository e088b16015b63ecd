"""Performance and release health in GraphQL: transactions (with their connection) and session
counts. Never writes read models."""

from __future__ import annotations

from datetime import datetime

import strawberry

from stackline.graphql.relay import PageInfo


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


@strawberry.type
class TransactionEdge:
    node: Transaction
    cursor: str


@strawberry.type
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class SessionBucket:
    day: str
    release: str
    environment: str
    status: str
    quantity: int
    errors: int
