"""SDK logs in GraphQL: `Log`, its connection and its `(timestamp, id)` cursor. Never writes read
models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON

from stackline.graphql.context import PublicError
from stackline.graphql.relay import Edge, PageInfo, decode_cursor
from stackline.readmodels.queries import aware


@strawberry.type(description="One record an SDK logged (`enable_logs`), scrubbed like errors.")
class Log:
    log_id: str
    timestamp: datetime = strawberry.field(description="When the SDK logged it.")
    level: str = strawberry.field(description="trace, debug, info, warn, error or fatal.")
    severity_number: int | None
    body: str
    attributes: JSON = strawberry.field(
        description='Name -> {"value": ..., "type": "string|boolean|integer|double|array"}, as sent.'
    )
    trace_id: str | None
    span_id: str | None
    received_at: datetime

    @classmethod
    def from_row(cls, row: Row, opened: dict[str, Any] | None = None) -> Log:
        """`opened`: the row's body and attributes with their sealed values opened."""
        return cls(
            log_id=row.log_id,
            timestamp=datetime.fromtimestamp(row.timestamp, UTC),
            level=row.level,
            severity_number=row.severity_number,
            body=opened["body"] if opened else row.body,
            attributes=opened["attributes"] if opened else row.attributes,
            trace_id=row.trace_id,
            span_id=row.span_id,
            received_at=aware(row.received_at),
        )


@strawberry.type
class LogConnection:
    """A page of logs; unlike the other connections without a total (logs are many)."""

    edges: list[Edge[Log]]
    page_info: PageInfo


def log_cursor(after: str | None) -> tuple[float, str] | None:
    cursor = decode_cursor(after)
    if cursor is None:
        return None
    if len(cursor) != 2 or not isinstance(cursor[0], int | float) or not isinstance(cursor[1], str):
        raise PublicError("invalid cursor")
    return float(cursor[0]), cursor[1]
