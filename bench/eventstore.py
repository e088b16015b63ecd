"""Event store benchmark: appends/s (one writer, then many concurrent), read-all events/s and
live subscription lag, for each engine that can run here.

    uv run python bench/eventstore.py [--appends N] [--engines sqlite,postgres] [--no-write]

PostgreSQL runs in a fresh database on STACKLINE_BENCH_POSTGRES_URL's server (default: the
local one), dropped afterwards; KurrentDB runs when STACKLINE_BENCH_KURRENTDB_URL is set.
Figures go to stdout and, unless --no-write, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import write_section  # noqa: E402
from stackline.eventstore import EventStore, NewEvent, StreamState  # noqa: E402
from stackline.eventstore.kurrentdb import KurrentDBEventStore  # noqa: E402
from stackline.eventstore.postgres import PostgresEventStore  # noqa: E402
from stackline.eventstore.sqlite import SQLiteEventStore  # noqa: E402

POSTGRES_URL = os.environ.get("STACKLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KURRENTDB_URL = os.environ.get("STACKLINE_BENCH_KURRENTDB_URL")
PAYLOAD = {
    "event_id": "0" * 32,
    "level": "error",
    "platform": "python",
    "exception": {
        "values": [
            {
                "type": "ValueError",
                "value": "invalid literal for int() with base 10: 'abc'",
                "stacktrace": {
                    "frames": [
                        {"module": "shop.orders", "function": f"step_{i}", "lineno": i, "in_app": True}
                        for i in range(12)
                    ]
                },
            }
        ]
    },
    "tags": {"release": "web@1.0.0", "environment": "production"},
}


def event(i: int) -> NewEvent:
    return NewEvent("ErrorEventReceived", {**PAYLOAD, "n": i}, metadata={"correlation_id": str(i)})


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else values[0]


async def appends_single(store: EventStore, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        await store.append(f"single-{i % 100}", [event(i)], StreamState.ANY)
    return n / (time.perf_counter() - started)


async def appends_concurrent(store: EventStore, n: int, concurrency: int) -> float:
    """`concurrency` writers, each appending one event at a time, as ingest requests do."""
    per_writer = n // concurrency

    async def writer(w: int) -> None:
        for i in range(per_writer):
            await store.append(f"conc-{w}-{i % 10}", [event(i)], StreamState.ANY)

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(concurrency)))
    return per_writer * concurrency / (time.perf_counter() - started)


async def appends_batched(store: EventStore, n: int, concurrency: int, size: int) -> float:
    """Events/s when each append carries `size` events (an envelope's items, a replay's output)."""
    per_writer = n // (concurrency * size)

    async def writer(w: int) -> None:
        for i in range(per_writer):
            await store.append(
                f"batch-{w}-{i % 10}", [event(i * size + j) for j in range(size)], StreamState.ANY
            )

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(concurrency)))
    return per_writer * concurrency * size / (time.perf_counter() - started)


async def read_all_rate(store: EventStore) -> tuple[float, int]:
    started, position, count = time.perf_counter(), 0, 0
    while batch := await store.read_all(position, 1000):
        position, count = batch[-1].position, count + len(batch)
    return count / (time.perf_counter() - started), count


async def subscription_lag(store: EventStore, samples: int, rate: float) -> tuple[float, float]:
    """Append at `rate`/s while a live subscriber measures append-return → delivery. A delivery
    can beat the appender's own wake-up; it then counts as no lag at all."""
    head = await store.head_position()
    returned: dict[str, float] = {}
    received: dict[str, float] = {}
    done = asyncio.Event()

    async def follow() -> None:
        async for batch in store.subscribe(head):
            now = time.perf_counter()
            for e in batch:
                if (tag := e.metadata.get("lag")) is not None:
                    received[tag] = now
            if len(received) >= samples:
                done.set()
                return

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.2)
    for i in range(samples):
        tag = f"lag-{i}"
        started = time.perf_counter()
        await store.append("lag", [NewEvent("Tick", {"i": i}, metadata={"lag": tag})], StreamState.ANY)
        returned[tag] = time.perf_counter()
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    await asyncio.wait_for(done.wait(), 30)
    follower.cancel()
    ms = [max(0.0, received[tag] - returned[tag]) * 1000 for tag in returned]
    return statistics.median(ms), percentile(ms, 99)


async def bench(name: str, open_store: Callable[[], Awaitable[EventStore]], n: int) -> dict:
    store = await open_store()
    try:
        single = await appends_single(store, max(n // 10, 200))
        concurrent = {c: await appends_concurrent(store, n, c) for c in (8, 64, 256)}
        batched = await appends_batched(store, n, 64, 10)
        read_rate, read_count = await read_all_rate(store)
        lag_p50, lag_p99 = await subscription_lag(store, 300, 200)
    finally:
        await store.close()
    return {
        "engine": name,
        "single": single,
        "concurrent": concurrent,
        "batched": batched,
        "read": read_rate,
        "read_count": read_count,
        "lag_p50": lag_p50,
        "lag_p99": lag_p99,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=20000, help="events appended per concurrency level")
    parser.add_argument("--engines", default="sqlite,postgres" + (",kurrentdb" if KURRENTDB_URL else ""))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            if engine == "sqlite":

                async def open_sqlite() -> EventStore:
                    return SQLiteEventStore(Path(tmp) / "bench.sqlite3")

                results.append(await bench("SQLite", open_sqlite, args.appends))
            elif engine == "postgres":
                database = f"stackline_bench_{uuid.uuid4().hex[:10]}"
                admin = await asyncpg.connect(POSTGRES_URL)
                await admin.execute(f'CREATE DATABASE "{database}"')
                try:
                    postgres_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"

                    async def open_postgres(url: str = postgres_url) -> EventStore:
                        return await PostgresEventStore.open(url)

                    results.append(await bench("PostgreSQL", open_postgres, args.appends))
                finally:
                    await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
                    await admin.close()
            elif engine == "kurrentdb" and KURRENTDB_URL:
                sep = "&" if "?" in KURRENTDB_URL else "?"
                kurrent_url = f"{KURRENTDB_URL}{sep}namespace=bench{uuid.uuid4().hex[:8]}"

                async def open_kurrentdb(url: str = kurrent_url) -> EventStore:
                    return await KurrentDBEventStore.open(url)

                results.append(await bench("KurrentDB", open_kurrentdb, args.appends))

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} at commit `{commit()}` on this 2-core machine; "
        f"{args.appends} one-event appends per concurrency level, payload ~1.5 KB JSON.",
        "",
        "| engine | appends/s, 1 writer | appends/s, 8 | appends/s, 64 | appends/s, 256 | events/s, 64 "
        "writers × 10-event appends | read-all events/s | live lag p50 | live lag p99 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["concurrent"]
        lines.append(
            f"| {r['engine']} | {r['single']:,.0f} | {c[8]:,.0f} | {c[64]:,.0f} | {c[256]:,.0f} | "
            f"{r['batched']:,.0f} | "
            f"{r['read']:,.0f} ({r['read_count']:,} events) | {r['lag_p50']:.1f} ms | {r['lag_p99']:.1f} ms |"
        )
    lines += [
        "",
        "Every append is durable when it returns (SQLite WAL with `synchronous=FULL`; PostgreSQL default"
        " `synchronous_commit`); concurrent appends share a transaction (group commit). The benchmark"
        " client runs in the same process and on the same 2 cores as the store (and, for PostgreSQL,"
        " as the database server).",
        "",
        "Targets (issue 3): ≥ 20,000 appends/s batched, read-all ≥ 50,000 events/s, live lag p99 < 50 ms.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("eventstore", "Event store (`bench/eventstore.py`)", text)


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    asyncio.run(main())
