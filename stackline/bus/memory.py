"""In-process bus: fan-out through one bounded queue per subscriber.

A subscriber that falls too far behind loses its oldest notifications rather than making the
projector wait; the read model still has the truth.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

from stackline.bus.port import IssueChange

QUEUE_LIMIT = 10_000


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[IssueChange]]] = defaultdict(set)

    async def publish(self, change: IssueChange) -> None:
        for queue in list(self._subscribers.get(change.project_id, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(change)

    async def subscribe(self, project_id: int) -> AsyncIterator[IssueChange]:
        queue: asyncio.Queue[IssueChange] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[project_id].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[project_id].discard(queue)
            if not self._subscribers[project_id]:
                del self._subscribers[project_id]

    async def close(self) -> None:
        self._subscribers.clear()
