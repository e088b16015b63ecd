"""The one paging helper every connection uses: a page is read with `first + 1` rows, the extra
row only says that a next page exists, and the cursors are the page's own."""

from __future__ import annotations

import pytest

from stackline.graphql.context import PublicError
from stackline.graphql.relay import connection, decode_cursor, encode_cursor, forward_page, position_cursor

pytestmark = pytest.mark.unit


def test_a_page_read_with_one_row_more_says_there_is_a_next_page() -> None:
    rows = [10, 9, 8]  # read with first=2, so 3 rows
    edges, more = forward_page(rows, 2, lambda r: f"event {r}", lambda r: encode_cursor(r))
    page = connection(edges, more, None, total_count=7)
    assert [e.node for e in page.edges] == ["event 10", "event 9"]
    assert [decode_cursor(e.cursor) for e in page.edges] == [[10], [9]]
    assert page.page_info.has_next_page is True
    assert page.page_info.has_previous_page is False
    assert page.page_info.start_cursor == page.edges[0].cursor
    assert page.page_info.end_cursor == page.edges[-1].cursor
    assert page.total_count == 7


def test_the_last_page_has_no_next_and_an_empty_page_no_cursors() -> None:
    edges, more = forward_page([3], 2, str, lambda r: encode_cursor(r))
    last = connection(edges, more, encode_cursor(4), total_count=3)
    assert last.page_info.has_next_page is False and last.page_info.has_previous_page is True
    empty = connection(*forward_page([], 2, str, str), None, total_count=0)
    assert empty.edges == [] and empty.page_info.start_cursor is None and empty.page_info.end_cursor is None


def test_a_position_cursor_is_one_integer() -> None:
    assert position_cursor(None) is None
    assert position_cursor(encode_cursor(42)) == 42
    for wrong in (encode_cursor("42"), encode_cursor(1, 2), encode_cursor(), "not base64!"):
        with pytest.raises(PublicError, match="invalid cursor"):
            position_cursor(wrong)
