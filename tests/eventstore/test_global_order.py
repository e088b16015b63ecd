"""Concurrent writers, one live subscriber: every event exactly once, in commit order.

Each writer is a separate store instance (its own connections), as separate processes would be.
"""

from __future__ import annotations

import asyncio

from stackline.eventstore import NewEvent, StreamState
from tests.eventstore.conftest import OpenStore

WRITERS = 4
APPENDS_PER_WRITER = 150


async def test_subscriber_sees_every_event_once_in_commit_order(open_store: OpenStore) -> None:
    subscriber_store = await open_store()
    writers = [await open_store() for _ in range(WRITERS)]
    expected = WRITERS * APPENDS_PER_WRITER
    seen: list[tuple[int, str]] = []

    async def follow() -> None:
        async for batch in subscriber_store.subscribe(0, batch_size=37):
            seen.extend((e.position, e.data["tag"]) for e in batch)
            if len(seen) >= expected:
                return

    async def write(index: int, store) -> None:  # noqa: ANN001
        for chunk in range(0, APPENDS_PER_WRITER, 25):
            await asyncio.gather(
                *(
                    store.append(
                        f"w{index}-{(chunk + i) % 7}",
                        [NewEvent("Tick", {"tag": f"{index}:{chunk + i}"})],
                        StreamState.ANY,
                    )
                    for i in range(25)
                )
            )

    follower = asyncio.create_task(follow())
    try:
        await asyncio.gather(*(write(i, s) for i, s in enumerate(writers)))
        await asyncio.wait_for(follower, 30)
        tags = [tag for _, tag in seen]
        assert len(tags) == expected and len(set(tags)) == expected
        positions = [position for position, _ in seen]
        assert positions == sorted(positions) and len(set(positions)) == expected
        stored = await subscriber_store.read_all(0, limit=expected + 10)
        assert [(e.position, e.data["tag"]) for e in stored] == seen
    finally:
        follower.cancel()
        for store in (subscriber_store, *writers):
            await store.close()
