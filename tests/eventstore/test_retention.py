"""The event store contract for retention: finding expired events, compacting them in place
and giving the space back. SQLite and PostgreSQL pass it; KurrentDB says it cannot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stackline.eventstore import Compaction, EventStore, NewEvent, StreamState
from stackline.eventstore.kurrentdb import KurrentDBEventStore
from stackline.eventstore.port import RetentionUnsupported
from tests.eventstore.test_contract import BODY


def occurrence(n: int) -> NewEvent:
    return NewEvent("Seen", {"n": n}, body=BODY)


async def recorded_log(store: EventStore) -> None:
    if isinstance(store, KurrentDBEventStore):
        with pytest.raises(RetentionUnsupported):
            await store.compact([])
        pytest.skip("KurrentDB: retention is not built for it")


async def test_read_recorded_before_finds_old_events_of_a_prefix_and_type(store: EventStore) -> None:
    await recorded_log(store)
    await store.append("ingest-1", [occurrence(0), occurrence(1)], StreamState.ANY)
    await store.append("issue-1", [NewEvent("Seen", {"n": 9})], StreamState.ANY)
    await store.append("ingest-2", [NewEvent("Other", {})], StreamState.ANY)
    await asyncio.sleep(0.05)
    cutoff = datetime.now(UTC)
    await store.append("ingest-1", [occurrence(2)], StreamState.ANY)
    head = await store.head_position()

    found = await store.read_recorded_before(
        cutoff, through_position=head, stream_prefix="ingest-", event_types=["Seen"]
    )
    assert [e.data["n"] for e in found] == [0, 1]
    assert all(e.body is None for e in found)
    # Paged by position, and never past `through_position`.
    page = await store.read_recorded_before(
        cutoff, through_position=head, stream_prefix="ingest-", event_types=["Seen"], limit=1
    )
    rest = await store.read_recorded_before(
        cutoff,
        through_position=head,
        stream_prefix="ingest-",
        event_types=["Seen"],
        after_position=page[-1].position,
    )
    assert [e.data["n"] for e in page + rest] == [0, 1]
    assert (
        await store.read_recorded_before(
            cutoff, through_position=found[0].position, stream_prefix="ingest-", event_types=["Seen"]
        )
    )[-1].data["n"] == 0
    assert not await store.read_recorded_before(
        cutoff - timedelta(hours=1), through_position=head, stream_prefix="ingest-", event_types=["Seen"]
    )


async def test_compact_rewrites_in_place_and_deletes_the_rest(store: EventStore) -> None:
    await recorded_log(store)
    await store.append("ingest-1", [occurrence(n) for n in range(4)], StreamState.ANY)
    first, second, third, fourth = await store.read_stream("ingest-1")
    await store.compact(
        [
            Compaction(
                position=first.position,
                type="Compacted",
                data={"count": 3},
                schema_version=2,
                version=third.version,
                deleted=(second.position, third.position),
            )
        ]
    )
    kept = await store.read_positions([first.position, second.position, third.position, fourth.position])
    assert [(e.position, e.type, e.data, e.body) for e in kept] == [
        (first.position, "Compacted", {"count": 3}, None),
        (fourth.position, "Seen", {"n": 3}, BODY),
    ]
    snapshot = kept[0]
    assert (snapshot.id, snapshot.stream, snapshot.version, snapshot.schema_version) == (
        first.id,
        "ingest-1",
        third.version,
        2,
    )
    assert [e.position for e in await store.read_all()] == [first.position, fourth.position]
    # The stream's version goes on from where it was.
    result = await store.append("ingest-1", [occurrence(4)], StreamState.ANY)
    assert result.version == fourth.version + 1
    await store.reclaim_space()
    assert len(await store.read_all()) == 3


async def test_a_failed_compaction_changes_nothing(store: EventStore) -> None:
    await recorded_log(store)
    await store.append("ingest-1", [occurrence(n) for n in range(3)], StreamState.ANY)
    first, second, third = await store.read_stream("ingest-1")
    with pytest.raises(Exception):  # noqa: B017 - each engine has its own integrity error
        await store.compact(
            [
                Compaction(first.position, "Compacted", {}, 1, first.version, deleted=(second.position,)),
                # Takes the version a kept event holds: the transaction fails as a whole.
                Compaction(third.position, "Compacted", {}, 1, first.version, deleted=()),
            ]
        )
    assert [(e.type, e.body) for e in await store.read_stream("ingest-1")] == [("Seen", BODY)] * 3
