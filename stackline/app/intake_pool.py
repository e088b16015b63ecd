"""Ingest's CPU work off the event loop: decompressing, parsing, normalizing and scrubbing a
large body run in worker threads, so one 50 MiB envelope does not hold up every other request.

A small body (the usual SDK envelope) is handled inline: handing it to a thread would cost more
than it saves. A large one goes to one of `threads` workers. The zlib, brotli and zstd
decompressors and hashlib release the GIL while they work; the pure-Python steps share it with
the event loop, which the interpreter hands back every few milliseconds, so small requests keep
being answered meanwhile. The queue is bounded: when `max_queued` large bodies already wait or
run, the next one is refused with a 503 and `Retry-After` (SDKs retry it later) instead of
piling up bodies of up to 100 MiB each in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from stackline.app.settings import IntakeWorkers

T = TypeVar("T")


class IntakeBusy(Exception):
    """Every worker slot is taken: the caller answers 503 with `retry_after`."""

    retry_after = 1


class IntakePool:
    def __init__(self, settings: IntakeWorkers) -> None:
        self.settings = settings
        self._executor: ThreadPoolExecutor | None = None
        self._queued = 0

    @property
    def queued(self) -> int:
        """Large bodies now waiting for or in a worker."""
        return self._queued

    def job(self) -> IntakeJob:
        """One request's steps; the caller releases it when the request is done."""
        return IntakeJob(self)

    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="intake")
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class IntakeJob:
    """A request's steps (decompress and parse, then plan): a large body takes one place in the
    queue at its first step in a worker and keeps it until the request is done, so a second
    large body cannot slip in between the first one's steps."""

    def __init__(self, pool: IntakePool) -> None:
        self.pool = pool
        self.holding = False

    async def run(self, size: int, work: Callable[[], T]) -> T:
        """`work()` inline when `size` is small, else in a worker thread; raises IntakeBusy
        when the bounded queue is full. Exceptions from `work` reach the caller unchanged."""
        pool = self.pool
        if size < pool.settings.inline_bytes:
            return work()
        if not self.holding:
            if pool._queued >= pool.settings.max_queued:
                raise IntakeBusy()
            pool._queued += 1
            self.holding = True
        return await asyncio.get_running_loop().run_in_executor(pool.executor(), work)

    def release(self) -> None:
        """The request is done: its place in the queue goes to the next large body."""
        if self.holding:
            self.pool._queued -= 1
            self.holding = False
