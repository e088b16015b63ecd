"""The analytics executor contract: every adapter runs the same ClickHouse SQL the same way."""

from __future__ import annotations

import asyncio
import time

from stackline.analytics.port import AnalyticsExecutor
from stackline.analytics.queries import (
    PERIODS,
    EventFilter,
    InvalidEventQuery,
    event_count,
    event_stats,
    events_page,
    issues_event_stats,
    tag_facets,
)
from stackline.analytics.schema import TAG_COUNTS, create_tables, inbox

NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}"


def error(position: int, at: float, hash_: str = "h1", **fields: object) -> dict:
    return {
        "organization_id": "org-a",
        "project_id": 1,
        "type": "error",
        "timestamp": stamp(at),
        "event_id": f"{position:032x}",
        "primary_hash": hash_,
        "position": position,
        "level": "error",
        "platform": "python",
        "release": "",
        "environment": "",
        "user": "",
        "title": "boom",
        "transaction": "",
        "duration_ms": 0.0,
        "tags": {},
        **fields,
    }


async def store_errors(executor: AnalyticsExecutor, rows: list[dict]) -> None:
    """As the projector stores errors: the rows, and the same rows to be counted."""
    await executor.insert("events", rows)
    for table in TAG_COUNTS:
        await executor.insert(inbox(table), rows)


async def test_rows_come_back_as_plain_values(executor: AnalyticsExecutor) -> None:
    rows = await executor.query(
        "SELECT {s:String}, {n:UInt64}, {f:Float64}, {a:Array(String)}, map('k', {s:String}), "
        "toUInt64(18446744073709551615)",
        {"s": "it's a \\ back'slash", "n": 7, "f": 1.5, "a": ["x", "y'z"]},
    )
    assert rows == [
        ("it's a \\ back'slash", 7, 1.5, ["x", "y'z"], {"k": "it's a \\ back'slash"}, 18446744073709551615)
    ]


async def test_inserted_rows_are_read_back(executor: AnalyticsExecutor) -> None:
    await executor.insert(
        "events",
        [error(1, NOW - 10, tags={"browser": "Firefox"}), error(2, NOW - 5, tags={"browser": "Chrome"})],
    )
    rows = await executor.query("SELECT event_id, tags FROM events ORDER BY position")
    assert rows == [(f"{1:032x}", {"browser": "Firefox"}), (f"{2:032x}", {"browser": "Chrome"})]


async def test_a_batch_inserted_again_with_its_token_is_stored_once(executor: AnalyticsExecutor) -> None:
    batch = [error(1, NOW - 10), error(2, NOW - 5)]
    await executor.insert("events", batch, dedup_token="events:1-2")
    await executor.insert("events", batch, dedup_token="events:1-2")
    assert await executor.query("SELECT count() FROM events") == [(2,)]  # without FINAL: never stored twice


async def test_rows_replayed_in_other_batches_count_once(executor: AnalyticsExecutor) -> None:
    rows = [error(i, NOW - 100 + i) for i in range(1, 7)]
    await executor.insert("events", rows[:4], dedup_token="events:1-4")
    await executor.insert("events", rows[2:], dedup_token="events:3-6")  # a replay cut the log elsewhere
    assert await executor.query("SELECT count() FROM events FINAL") == [(6,)]


async def test_stats_buckets_are_zero_filled(executor: AnalyticsExecutor) -> None:
    await executor.insert(
        "events",
        [
            error(1, NOW - 30, user="id:1"),
            error(2, NOW - 20, user="id:2"),
            error(3, NOW - 3 * 3600 - 1, user="id:1"),
            error(4, NOW - 30, hash_="other"),
        ],
    )
    stats = await event_stats(executor, "org-a", 1, PERIODS["HOUR_24"], NOW - 1, hashes=["h1"])
    assert len(stats) == 24 and stats[-1].start == NOW - 3600
    assert [(s.events, s.users) for s in stats[-4:]] == [(1, 1), (0, 0), (0, 0), (2, 2)]
    assert sum(s.events for s in await event_stats(executor, "org-a", 1, PERIODS["DAY_14"], NOW - 1)) == 4


async def test_the_stats_of_several_issues_in_one_query_equal_each_issues_own(
    executor: AnalyticsExecutor,
) -> None:
    await executor.insert(
        "events",
        [
            error(1, NOW - 30, hash_="a1", user="id:1"),
            error(2, NOW - 20, hash_="a2", user="id:1"),  # the same user under the issue's other hash
            error(3, NOW - 3 * 3600 - 1, hash_="a2", user="id:2"),
            error(4, NOW - 30, hash_="b1", user="id:3"),
            error(5, NOW - 30, hash_="c1"),  # an issue not asked for
            error(6, NOW - 30, hash_="a1", organization_id="org-b"),  # another tenant's, same hash
        ],
    )
    issues = {"A": ["a1", "a2"], "B": ["b1"], "quiet": ["q1"]}
    together = await issues_event_stats(executor, "org-a", 1, PERIODS["HOUR_24"], NOW - 1, issues)
    for issue, hashes in issues.items():
        alone = await event_stats(executor, "org-a", 1, PERIODS["HOUR_24"], NOW - 1, hashes=hashes)
        assert together[issue] == alone, issue
    assert [(s.events, s.users) for s in together["A"][-4:]] == [(1, 1), (0, 0), (0, 0), (2, 1)]
    assert sum(s.events for s in together["quiet"]) == 0 and sum(s.events for s in together["B"]) == 1
    assert await issues_event_stats(executor, "org-a", 1, PERIODS["HOUR_24"], NOW - 1, {}) == {}


async def test_reads_stay_inside_the_tenant(executor: AnalyticsExecutor) -> None:
    await store_errors(
        executor,
        [error(1, NOW - 30, tags={"t": "x"}), error(2, NOW - 30, organization_id="org-b", tags={"t": "y"})],
    )
    assert sum(s.events for s in await event_stats(executor, "org-b", 1, PERIODS["HOUR_24"], NOW)) == 1
    assert [f.top[0].value for f in await tag_facets(executor, "org-b", 1)] == ["y"]
    assert [f.top[0].value for f in await tag_facets(executor, "org-b", 1, hashes=["h1"])] == ["y"]
    assert await event_count(executor, "org-c", 1, EventFilter()) == 0


async def test_tag_facets_count_values(executor: AnalyticsExecutor) -> None:
    await store_errors(
        executor,
        [
            error(1, NOW - 30, tags={"browser": "Firefox", "os": "Linux"}),
            error(2, NOW - 20, tags={"browser": "Firefox"}),
            error(3, NOW - 10, tags={"browser": "Chrome"}),
        ],
    )
    facets = {f.key: f for f in await tag_facets(executor, "org-a", 1, top=1)}
    assert (facets["browser"].total, facets["browser"].distinct_values) == (3, 2)
    assert [(v.value, v.count) for v in facets["browser"].top] == [("Firefox", 2)]
    assert [f.key for f in await tag_facets(executor, "org-a", 1, keys=["os"])] == ["os"]


async def test_tag_counts_add_up_across_batches_days_and_hashes(executor: AnalyticsExecutor) -> None:
    await store_errors(
        executor,
        [
            error(1, NOW - 86400 - 5, tags={"browser": "Firefox"}),
            error(2, NOW - 30, hash_="h2", tags={"browser": "Chrome"}),
        ],
    )
    await store_errors(
        executor,
        [
            error(3, NOW - 20, tags={"browser": "Firefox"}),
            error(4, NOW - 10, hash_="h2", tags={"browser": "Firefox"}),
            error(5, NOW - 5, type="transaction", tags={"browser": "Edge"}),
        ],
    )
    [browser] = await tag_facets(executor, "org-a", 1)
    assert (browser.total, browser.distinct_values) == (4, 2)
    firefox = browser.top[0]
    assert (firefox.value, firefox.count) == ("Firefox", 3)
    assert (firefox.first_seen_ms, firefox.last_seen_ms) == ((NOW - 86400 - 5) * 1000, (NOW - 10) * 1000)
    [issue] = await tag_facets(executor, "org-a", 1, hashes=["h2"])
    assert [(v.value, v.count) for v in issue.top] == [("Chrome", 1), ("Firefox", 1)]


async def test_tag_counts_new_to_a_store_are_counted_from_its_events(executor: AnalyticsExecutor) -> None:
    await executor.insert(
        "events",
        [
            error(1, NOW - 30, tags={"browser": "Firefox"}),
            error(2, NOW - 20, hash_="h2", tags={"browser": "Chrome"}),
        ],
    )
    for table in TAG_COUNTS:  # a store from before the tag counts
        await executor.execute(f"DROP TABLE {table}")
    await create_tables(executor)
    [browser] = await tag_facets(executor, "org-a", 1)
    assert [(v.value, v.count) for v in browser.top] == [("Chrome", 1), ("Firefox", 1)]
    [issue] = await tag_facets(executor, "org-a", 1, hashes=["h2"])
    assert [(v.value, v.count) for v in issue.top] == [("Chrome", 1)]
    await create_tables(executor)  # counted once, not at every start
    [browser] = await tag_facets(executor, "org-a", 1)
    assert browser.total == 2


async def test_events_filter_and_page(executor: AnalyticsExecutor) -> None:
    await executor.insert(
        "events",
        [
            error(
                i,
                NOW - 100 + i,
                release="1.0" if i % 2 else "2.0",
                environment="prod",
                tags={"browser": f"b{i % 3}"},
            )
            for i in range(1, 10)
        ],
    )
    where = EventFilter.parse("release:1.0 environment:prod browser:b1")
    assert await event_count(executor, "org-a", 1, where) == 2  # positions 1 and 7
    first = await events_page(executor, "org-a", 1, EventFilter.parse("release:1.0"), first=2)
    assert [e.event_id for e in first] == [f"{9:032x}", f"{7:032x}"]
    rest = await events_page(
        executor,
        "org-a",
        1,
        EventFilter.parse("release:1.0"),
        first=5,
        after=(first[-1].timestamp_ms, first[-1].event_id),
    )
    assert [e.event_id for e in rest] == [f"{i:032x}" for i in (5, 3, 1)]


async def test_a_writer_and_readers_share_the_store_concurrently(executor: AnalyticsExecutor) -> None:
    async def write() -> None:
        for start in range(1, 200, 20):
            await executor.insert(
                "events", [error(i, NOW - i) for i in range(start, start + 20)], dedup_token=f"events:{start}"
            )

    async def read() -> None:
        for _ in range(20):
            await event_count(executor, "org-a", 1, EventFilter())

    await asyncio.gather(write(), read(), read(), read())
    assert await event_count(executor, "org-a", 1, EventFilter()) == 200


async def test_events_take_the_issue_search_syntax(executor: AnalyticsExecutor) -> None:
    """Negation, wildcards, has:, free text: the issue search's parser, not tag names
    (`!level:error` used to be read as a tag called `!level` and matched nothing)."""
    await executor.insert(
        "events",
        [
            error(1, NOW - 30, level="error", title="KeyError: 'alice'", tags={"browser": "Firefox 120"}),
            error(2, NOW - 20, level="warning", title="slow import", tags={"browser": "Chrome 119"}),
            error(3, NOW - 10, level="error", title="ValueError: bad", release="web@1.2", tags={}),
        ],
    )

    async def matching(query: str) -> list[int]:
        refs = await events_page(executor, "org-a", 1, EventFilter.parse(query), first=10)
        return sorted(int(r.event_id, 16) for r in refs)

    assert await matching("!level:error") == [2]
    assert await matching("level:error") == [1, 3]
    assert await matching("browser:Firefox*") == [1]
    assert await matching("!browser:Firefox*") == [2, 3]
    assert await matching("has:browser") == [1, 2]
    assert await matching("!has:browser") == [3]
    assert await matching("keyerror") == [1]
    assert await matching('"slow import" level:warning') == [2]
    assert await matching("release:web@1.*") == [3]
    assert await matching("browser:100%_x") == []  # LIKE's own wildcards are plain characters


def test_event_queries_refuse_issue_terms_by_name() -> None:
    for query, token in (
        ("is:unresolved level:error", "is:unresolved"),
        ("assigned:a@b.c", "assigned:a@b.c"),
    ):
        try:
            EventFilter.parse(query)
        except InvalidEventQuery as error:
            assert repr(token) in str(error) and "Project.issues" in str(error)
        else:
            raise AssertionError(f"{query!r} was accepted")
    try:
        EventFilter.parse("level:loud")
    except InvalidEventQuery as error:
        assert "'level:loud'" in str(error)
    else:
        raise AssertionError("level:loud was accepted")
