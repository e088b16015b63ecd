"""Does one large body stall everybody else's events? Small real-SDK envelopes' latency while a
50 MiB envelope is being ingested, against a real `stackline serve`.

    uv run python bench/ingest_stall.py [--big-mib 50] [--kind events|attachment] [--clients 4]
                                        [--rounds 3] [--no-write]

Each round posts one large gzip envelope and, from `--clients` concurrent clients, small gzip
envelopes built by the real sentry-sdk, one after another, for as long as the large one is on
its way. It prints the small POSTs' latency while the large one was outstanding (p50, p99, max),
and the large POST's own time. `events` fills the large envelope with event items of just under
the 1 MiB event limit, each carrying a deep `extra` the scrubber must walk (the CPU-heaviest
body the limits allow); `attachment` sends one event and a single incompressible attachment.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest import LocalServer, build_envelopes, cpu_model, git_commit  # noqa: E402
from bench.report import write_section  # noqa: E402

MIB = 1024 * 1024


def big_event(index: int) -> bytes:
    """An error event of just under 1 MiB: an exception and a deep `extra` of nested records."""
    records = [
        {
            "id": n,
            "name": f"customer-{n}",
            "tags": ["a", "b", "c"],
            "address": {"city": "Lyon", "zip": f"{n:05}"},
        }
        for n in range(7_000)
    ]
    event = {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"type": "ValueError", "value": f"big body {index}"}]},
        "extra": {"records": records},
    }
    body = json.dumps(event).encode()
    assert len(body) < MIB, len(body)
    return body


def big_envelope(kind: str, size_mib: int) -> bytes:
    items: list[bytes] = []
    if kind == "events":
        event = big_event(0)
        while sum(len(i) for i in items) + len(event) < size_mib * MIB:
            items.append(b'{"type":"event","length":%d}\n' % len(event) + event + b"\n")
            event = big_event(len(items))
    else:
        event = json.dumps({"event_id": uuid.uuid4().hex, "message": "with a large attachment"}).encode()
        data = os.urandom(size_mib * MIB - 4096)
        items.append(b'{"type":"event","length":%d}\n' % len(event) + event + b"\n")
        items.append(
            b'{"type":"attachment","length":%d,"filename":"core.bin","attachment_type":"event.minidump"}\n'
            % len(data)
            + data
            + b"\n"
        )
    return gzip.compress(b"{}\n" + b"".join(items), compresslevel=1)


async def run_round(url: str, auth: dict[str, str], small: list[bytes], big: bytes, clients: int) -> dict:
    headers = {**auth, "Content-Type": "application/x-sentry-envelope", "Content-Encoding": "gzip"}
    latencies: list[float] = []
    done = asyncio.Event()
    async with httpx.AsyncClient(timeout=300) as client:

        async def post_big() -> float:
            started = time.perf_counter()
            response = await client.post(url, content=big, headers=headers)
            response.raise_for_status()
            elapsed = time.perf_counter() - started
            done.set()
            return elapsed

        async def post_small(offset: int) -> None:
            n = offset
            while not done.is_set():
                started = time.perf_counter()
                response = await client.post(url, content=small[n % len(small)], headers=headers)
                response.raise_for_status()
                if not done.is_set():
                    latencies.append(time.perf_counter() - started)
                n += clients

        big_task = asyncio.create_task(post_big())
        await asyncio.gather(*(post_small(i) for i in range(clients)))
        big_seconds = await big_task
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else None
    return {
        "big_s": big_seconds,
        "small": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * p99 if p99 is not None else None,
        "max_ms": 1000 * latencies[-1] if latencies else None,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mib", type=int, default=50)
    parser.add_argument("--kind", choices=["events", "attachment"], default="events")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="stackline-stall-") as tmp:
        server = LocalServer(Path(tmp) / "data", Path(tmp) / "serve.log")
        server.start()
        try:
            boot = server.bootstrap("stall", "web")
            key = boot["dsn"].split("//")[1].split("@")[0]
            project_id = boot["dsn"].rsplit("/", 1)[1]
            url = f"{server.url}/api/{project_id}/envelope/"
            auth = {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}"}
            small = [p.body for p in build_envelopes(boot["dsn"], 200, seed=7)]
            big = big_envelope(args.kind, args.big_mib)
            print(f"large body: {len(big) / MIB:.1f} MiB gzip ({args.kind}); {args.clients} small clients")
            rounds = [asyncio.run(run_round(url, auth, small, big, args.clients)) for _ in range(args.rounds)]
        finally:
            server.stop()
    for r in rounds:
        print(
            f"large POST {r['big_s']:.2f} s; {r['small']} small POSTs meanwhile: "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms"
        )
    if args.no_write:
        return
    rows = "\n".join(
        f"| {n + 1} | {r['big_s']:.2f} s | {r['small']} | "
        f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} |"
        for n, r in enumerate(rounds)
    )
    write_section(
        f"ingest-stall-{args.kind}",
        f"One large body and everybody else's events ({args.kind})",
        f"`bench/ingest_stall.py --kind {args.kind}` at {git_commit()} on {cpu_model()}: a "
        f"{args.big_mib} MiB envelope ({len(big) / MIB:.1f} MiB gzip) posted while {args.clients} "
        "clients post small real-SDK "
        "envelopes; the small POSTs' latency while the large one was outstanding.\n\n"
        "| round | large POST | small POSTs meanwhile | p50 ms | p99 ms | max ms |\n"
        "|---|---|---|---|---|---|\n"
        f"{rows}\n",
    )


if __name__ == "__main__":
    main()
