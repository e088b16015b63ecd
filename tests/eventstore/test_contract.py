"""The event store contract: every engine adapter must pass these same tests."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from stackline.eventstore import EventStore, NewEvent, StreamState, WrongExpectedVersion
from stackline.eventstore.port import Upcasters, encoded_log


def events(*names: str, **metadata: str) -> list[NewEvent]:
    return [
        NewEvent(type=name, data={"name": name, "nested": {"n": i}}, metadata=dict(metadata))
        for i, name in enumerate(names)
    ]


# An SDK payload's size, and not valid UTF-8: a body is bytes, not text.
BODY = b"\x00\xff" + orjson.dumps(
    {"frames": [{"filename": f"app/module_{i}.py", "lineno": i, "context": "x" * 64} for i in range(100)]}
)


async def test_append_then_read_keeps_everything(store: EventStore) -> None:
    new = events("Opened", "Renamed", correlation_id="c-1", organization="acme")
    result = await store.append("order-1", new, StreamState.NO_STREAM)
    assert result.version == 1
    read = await store.read_stream("order-1")
    assert [(e.type, e.version, e.data, e.metadata, e.id) for e in read] == [
        (n.type, i, n.data, n.metadata, n.id) for i, n in enumerate(new)
    ]
    assert read[-1].position == result.position
    assert all(e.schema_version == 1 and e.recorded_at.tzinfo is not None for e in read)


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        (StreamState.ANY, True),
        (StreamState.EXISTS, True),
        (1, True),
        (StreamState.NO_STREAM, False),
        (0, False),
        (5, False),
    ],
)
async def test_expected_version_of_an_existing_stream(store: EventStore, expected, ok: bool) -> None:  # noqa: ANN001
    await store.append("s", events("A", "B"), StreamState.NO_STREAM)
    if ok:
        assert (await store.append("s", events("C"), expected)).version == 2
    else:
        with pytest.raises(WrongExpectedVersion) as raised:
            await store.append("s", events("C"), expected)
        assert raised.value.actual == 1
        assert [e.type for e in await store.read_stream("s")] == ["A", "B"]


@pytest.mark.parametrize(
    ("expected", "ok"),
    [(StreamState.ANY, True), (StreamState.NO_STREAM, True), (StreamState.EXISTS, False), (0, False)],
)
async def test_expected_version_of_an_absent_stream(store: EventStore, expected, ok: bool) -> None:  # noqa: ANN001
    if ok:
        assert (await store.append("fresh", events("A"), expected)).version == 0
    else:
        with pytest.raises(WrongExpectedVersion) as raised:
            await store.append("fresh", events("A"), expected)
        assert raised.value.actual == -1
        assert await store.read_stream("fresh") == []


async def test_retried_append_with_the_same_ids_is_idempotent(store: EventStore) -> None:
    batch = events("A", "B")
    first = await store.append("s", batch, StreamState.NO_STREAM)
    again = await store.append("s", batch, StreamState.NO_STREAM)
    assert again == first
    assert len(await store.read_stream("s")) == 2
    assert await store.head_position() == first.position


async def test_read_backwards_and_from_a_version(store: EventStore) -> None:
    await store.append("s", events(*"ABCDE"), StreamState.NO_STREAM)
    assert [e.type for e in await store.read_stream("s", 2)] == ["C", "D", "E"]
    assert [e.type for e in await store.read_stream("s", 3, backwards=True, limit=2)] == ["D", "C"]
    assert [e.type for e in await store.read_stream("s", -1, backwards=True, limit=1)] == ["E"]


async def test_read_all_is_the_global_commit_order(store: EventStore) -> None:
    for i in range(5):
        await store.append(f"s-{i % 2}", events(f"E{i}"), StreamState.ANY)
    every = await store.read_all(0)
    assert [e.type for e in every] == [f"E{i}" for i in range(5)]
    assert [e.position for e in every] == sorted(e.position for e in every)
    assert [e.type for e in await store.read_all(every[2].position, limit=1)] == ["E3"]
    assert await store.head_position() == every[-1].position


async def test_concurrent_appends_at_one_version_one_wins(store: EventStore) -> None:
    await store.append("s", events("Created"), StreamState.NO_STREAM)
    outcomes = await asyncio.gather(
        *(store.append("s", events(f"Change{i}"), 0) for i in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, WrongExpectedVersion) for o in outcomes if isinstance(o, Exception))
    assert len(await store.read_stream("s")) == 2


async def test_concurrent_appends_each_get_their_own_durable_result(store: EventStore) -> None:
    results = await asyncio.gather(
        *(store.append(f"s-{i}", events("A", "B"), StreamState.NO_STREAM) for i in range(50))
    )
    assert len({r.position for r in results}) == 50
    assert len(await store.read_all(0, limit=1000)) == 100


async def test_subscription_catches_up_then_goes_live_in_order(store: EventStore) -> None:
    await store.append("s", events("A", "B"), StreamState.NO_STREAM)
    seen: list[str] = []

    async def follow() -> None:
        async for batch in store.subscribe(0):
            seen.extend(e.type for e in batch)
            if len(seen) >= 5:
                return

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.05)
    for name in "CDE":
        await store.append("s", events(name), StreamState.ANY)
    await asyncio.wait_for(follower, 5)
    assert seen == ["A", "B", "C", "D", "E"]


async def test_subscription_from_a_checkpoint_skips_what_was_handled(store: EventStore) -> None:
    first = await store.append("s", events("A", "B", "C"), StreamState.NO_STREAM)
    async for batch in store.subscribe(first.position - 1):
        assert [e.type for e in batch] == ["C"]
        break


async def test_everything_survives_reopening(open_store) -> None:  # noqa: ANN001
    store = await open_store()
    event_id = uuid.uuid4()
    await store.append("s", [NewEvent("A", {"x": 1}, id=event_id, body=BODY)], StreamState.NO_STREAM)
    await store.close()
    reopened = await open_store()
    try:
        [event] = await reopened.read_stream("s")
        assert (event.id, event.data, event.body) == (event_id, {"x": 1}, BODY)
    finally:
        await reopened.close()


async def test_subscription_filtered_by_stream_prefix_and_event_type(store: EventStore) -> None:
    await store.append("order-1", events("Opened", "Paid"), StreamState.NO_STREAM)
    await store.append("user-1", events("Opened"), StreamState.NO_STREAM)
    await store.append("order-2", events("Opened", "Cancelled"), StreamState.NO_STREAM)

    async def first(**filters) -> list[tuple[str, str]]:  # noqa: ANN003
        got: list[tuple[str, str]] = []
        async for batch in store.subscribe(0, batch_size=2, **filters):
            got.extend((e.stream, e.type) for e in batch)
            if len(got) >= 3:
                return got
        return got

    assert await first(stream_prefix="order-") == [
        ("order-1", "Opened"),
        ("order-1", "Paid"),
        ("order-2", "Opened"),
    ]
    assert await first(event_types={"Opened"}) == [
        ("order-1", "Opened"),
        ("user-1", "Opened"),
        ("order-2", "Opened"),
    ]


async def test_old_schema_versions_are_upcast_on_read(store: EventStore, upcasters: Upcasters) -> None:
    await store.append(
        "user-1",
        [NewEvent("UserRegistered", {"name": "Ada Lovelace"}, schema_version=1, body=BODY)],
        StreamState.NO_STREAM,
    )

    @upcasters.register("UserRegistered", 1)
    def split_name(data: dict) -> dict:
        first, _, last = data["name"].partition(" ")
        return {"first_name": first, "last_name": last}

    @upcasters.register("UserRegistered", 2)
    def add_locale(data: dict) -> dict:
        return {**data, "locale": "en"}

    [event] = await store.read_stream("user-1")
    assert event.schema_version == 3
    assert event.data == {"first_name": "Ada", "last_name": "Lovelace", "locale": "en"}
    assert event.body == BODY
    [again] = await store.read_all(0)
    assert again.data == event.data
    [at_position] = await store.read_positions([event.position])
    assert (at_position.schema_version, at_position.body) == (3, BODY)


async def test_read_positions_finds_events_by_global_position(store: EventStore) -> None:
    await store.append("a", events("A1", "A2"), StreamState.NO_STREAM)
    await store.append("b", events("B1"), StreamState.NO_STREAM)
    everything = await store.read_all(0, 10)
    wanted = [everything[2].position, everything[0].position, everything[2].position]
    found = await store.read_positions(wanted)
    assert [(e.type, e.stream, e.data) for e in found] == [
        ("A1", "a", {"name": "A1", "nested": {"n": 0}}),
        ("B1", "b", {"name": "B1", "nested": {"n": 0}}),
    ]
    assert await store.read_positions([]) == []
    assert await store.read_positions([everything[-1].position + 1000]) == []


async def test_bodies_are_read_back_byte_for_byte_by_stream_and_position(store: EventStore) -> None:
    new = [
        NewEvent("Received", {"n": 0}, body=BODY),
        NewEvent("Noted", {"n": 1}),
        NewEvent("Received", {"n": 2}, body=b""),
    ]
    await store.append("s", new, StreamState.NO_STREAM)
    read = await store.read_stream("s")
    assert [e.body for e in read] == [BODY, None, b""]
    assert [e.body for e in await store.read_stream("s", 2, backwards=True)] == [b"", None, BODY]
    assert [e.body for e in await store.read_stream("s", 1)] == [None, b""]
    found = await store.read_positions([e.position for e in reversed(read)])
    assert [(e.type, e.data, e.body) for e in found] == [(n.type, n.data, n.body) for n in new]


async def test_following_the_log_leaves_bodies_out(store: EventStore) -> None:
    new = [NewEvent("Received", {"n": 0}, {"origin": "sdk"}, body=BODY), NewEvent("Noted", {"n": 1})]
    await store.append("s", new, StreamState.NO_STREAM)
    expected = [("Received", {"n": 0}, {"origin": "sdk"}, None), ("Noted", {"n": 1}, {}, None)]
    assert [(e.type, e.data, e.metadata, e.body) for e in await store.read_all(0)] == expected
    followed: list[tuple] = []
    async for batch in store.subscribe(0):
        followed.extend((e.type, e.data, e.metadata, e.body) for e in batch)
        if len(followed) >= 2:
            break
    assert followed == expected
    assert [e.metadata for e in await store.read_stream("s")] == [{"origin": "sdk"}, {}]


async def test_a_retried_append_stores_its_body_once(store: EventStore) -> None:
    batch = [NewEvent("Received", {"n": 0}, body=BODY), NewEvent("Received", {"n": 1}, body=BODY[::-1])]
    first = await store.append("s", batch, StreamState.NO_STREAM)
    assert await store.append("s", batch, StreamState.NO_STREAM) == first
    assert (
        await asyncio.gather(*(store.append("s", batch, StreamState.NO_STREAM) for _ in range(3)))
        == [first] * 3
    )
    read = await store.read_stream("s")
    assert [e.body for e in read] == [BODY, BODY[::-1]]
    assert [e.body for e in await store.read_positions([e.position for e in read])] == [BODY, BODY[::-1]]
    assert await store.head_position() == first.position


async def test_concurrent_appends_with_bodies_in_one_batch_keep_each_its_own(store: EventStore) -> None:
    bodies = [BODY + str(i).encode() if i % 2 else None for i in range(20)]
    await asyncio.gather(
        *(
            store.append(f"s-{i}", [NewEvent("Received", {"i": i}, body=body)], StreamState.NO_STREAM)
            for i, body in enumerate(bodies)
        )
    )
    for i, body in enumerate(bodies):
        [event] = await store.read_stream(f"s-{i}")
        assert (event.data, event.body) == ({"i": i}, body)


async def test_a_store_that_hands_out_its_log_undecoded_hands_out_read_all(store: EventStore) -> None:
    """`ReadsEncoded` (SQLite, PostgreSQL; not KurrentDB): the same events as `read_all`, in the
    same order and windows, their data as the JSON text that decodes to it."""
    if (log := encoded_log(store)) is None:
        pytest.skip("this store offers only the port")
    for i in range(5):
        await store.append(f"s-{i % 2}", events(f"E{i}"), StreamState.ANY)
    every = await store.read_all(0)
    encoded = await log.read_all_encoded(0)
    assert [(p, t, v, orjson.loads(d)) for p, t, v, d in encoded] == [
        (e.position, e.type, e.schema_version, e.data) for e in every
    ]
    assert [e[1] for e in await log.read_all_encoded(every[2].position, limit=1)] == ["E3"]
