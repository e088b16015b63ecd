"""Relay conventions shared by every aggregate's types: the `Node` interface, opaque cursors, page
sizes, and the one way a list is paged (`Connection`, `Edge`, `PageInfo`, `connection`). Never
queries anything."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import orjson
import strawberry

from stackline.graphql.context import PublicError

MAX_PAGE = 100


DEFAULT_PAGE = 25


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise PublicError(f"first must be between 0 and {MAX_PAGE}")
    return first


def encode_cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode()


def decode_cursor(cursor: str | None) -> list | None:
    if cursor is None:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise PublicError("invalid cursor") from None
    if not isinstance(value, list):
        raise PublicError("invalid cursor")
    return value


def position_cursor(after: str | None) -> int | None:
    """A `(log position,)` keyset cursor, as transactions and an issue's events page by."""
    cursor = decode_cursor(after)
    if cursor is None:
        return None
    if len(cursor) != 1 or not isinstance(cursor[0], int):
        raise PublicError("invalid cursor")
    return cursor[0]


def position_id_cursor(after: str | None) -> tuple[int, str] | None:
    """A `(log position, id)` keyset cursor, as the webhook delivery and alert notification logs
    page by."""
    cursor = decode_cursor(after)
    if cursor is None:
        return None
    if len(cursor) != 2 or not isinstance(cursor[0], int) or not isinstance(cursor[1], str):
        raise PublicError("invalid cursor")
    return cursor[0], cursor[1]


def page_info(cursors: list[str], has_next_page: bool, after: str | None) -> PageInfo:
    """The Relay page info of one forward page whose edges carry `cursors`."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


NodeType = TypeVar("NodeType")
RowType = TypeVar("RowType")


@strawberry.type
class Edge(Generic[NodeType]):
    """Named `<Node>Edge` in the schema (`IssueEdge`, `LogEdge`, ...)."""

    node: NodeType
    cursor: str


@strawberry.type
class Connection(Generic[NodeType]):
    """One forward page of a list and how many there are in all; named `<Node>Connection` in the
    schema (`IssueConnection`, `EventConnection`, ...)."""

    edges: list[Edge[NodeType]]
    page_info: PageInfo
    total_count: int


def forward_page(
    rows: Sequence[RowType],
    limit: int,
    node: Callable[[RowType], NodeType],
    cursor: Callable[[RowType], str],
) -> tuple[list[Edge[NodeType]], bool]:
    """The edges of a page read with `limit + 1` rows (the extra row only says a next page
    exists), and whether it does."""
    return [Edge(node=node(row), cursor=cursor(row)) for row in rows[:limit]], len(rows) > limit


def connection(
    edges: list[Edge[NodeType]], has_next_page: bool, after: str | None, total_count: int
) -> Connection[NodeType]:
    return Connection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next_page, after),
        total_count=total_count,
    )
