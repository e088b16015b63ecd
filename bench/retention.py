"""Retention benchmark: disk used before and after capping a project's stored events, and the
job's CPU time per deleted event.

    uv run python bench/retention.py [--events 100000] [--cap-share 0.1] [--engines sqlite] [--no-write]
                                     [--data-dir DIR --stage load|retention] [--without-analytics]

Loads `--events` error events over events/100 issues into one project (the loader of
`bench/reads.py`), projects them (`stackline replay`: read models and analytics), measures the
data directory, then runs the retention job once with `STACKLINE_RETENTION_MAX_EVENTS` at
`--cap-share` of the events (the issue's 1 M events with a 100 k cap, scaled down: 100 k
events with a 10 k cap by default), and measures again. The job's CPU time is the whole
process's (`time.process_time`, every thread: the event store's writer and readers, chDB's),
divided by the events it deleted. Figures go to stdout and, unless --no-write, into
docs/benchmarks.md.

`--data-dir` keeps the store in DIR (SQLite only) instead of a temporary directory, and
`--stage` runs half of the bench there: `load` appends and projects (the slow part at 1 M
events, and the same for any version of the job), `retention` measures and runs the job on
what `load` left, so one load serves the code of the moment it is measured.
`--without-analytics` projects and opens the SQL read models only (the job needs no analytics
store; at 1 M events on this shared machine the analytics replay is most of the load's time):
the data directory then holds no chDB files, and the job deletes no analytics rows.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import git_commit  # noqa: E402
from bench.reads import engine_settings, load  # noqa: E402
from bench.report import write_section  # noqa: E402
from stackline.app.replay import replay  # noqa: E402
from stackline.app.retention import RetentionJob  # noqa: E402
from stackline.app.settings import Settings  # noqa: E402
from stackline.app.wiring import open_services  # noqa: E402


def load_average() -> str:
    """The 1-minute load average (others share this machine's 2 cores)."""
    return Path("/proc/loadavg").read_text().split()[0]


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def file_bytes(path: Path, pattern: str) -> int:
    return sum(f.stat().st_size for f in path.glob(pattern) if f.is_file())


async def load_and_project(settings: Settings, engine: str, events: int, analytics: bool = True) -> None:
    print(f"[{engine}] loading {events:,} events over {events // 100:,} issues", flush=True)
    _, _, seconds = await load(settings, events, events // 100)
    print(f"[{engine}] appended in {seconds:.0f} s; load average {load_average()}", flush=True)
    print(f"[{engine}] projecting them (replay, one projection after the other)", flush=True)
    # One at a time: run side by side (two processes) on a loaded machine, the analytics
    # process's checkpoint write timed out behind the read models' index build ("database is
    # locked", seen at 300 k and 1 M events).
    for projection in ("readmodels", "analytics") if analytics else ("readmodels",):
        started = time.perf_counter()
        await replay(settings, projection=projection, progress=False)
        print(f"[{engine}] {projection} projected in {time.perf_counter() - started:.0f} s", flush=True)


async def run_engine(
    engine: str,
    env: dict[str, str],
    events: int,
    cap: int,
    data_dir: Path,
    stage: str = "all",
    analytics: bool = True,
) -> dict:
    with mock.patch.dict(os.environ, env):
        settings = Settings.load(data_dir)
        if stage in ("all", "load"):
            await load_and_project(settings, engine, events, analytics)
        if stage == "load":
            return {"engine": engine, "events": events, "data_dir": str(data_dir)}
        before = directory_bytes(data_dir)
        store_before = file_bytes(data_dir, "events.sqlite3*")
        services = await open_services(settings, analytics=analytics)
        try:
            job = RetentionJob(
                services.store,
                services.engine,
                services.analytics,
                dataclasses.replace(settings.retention, max_age=100 * 365 * 86400.0, max_events=cap),
            )
            print(f"[{engine}] retention with a cap of {cap:,} events", flush=True)
            load_before = load_average()
            started = time.perf_counter()
            result = await job.run_once()
            seconds = time.perf_counter() - started
            load_after = load_average()
        finally:
            await services.close()
        after = directory_bytes(data_dir)
        store_after = file_bytes(data_dir, "events.sqlite3*")
    return {
        "engine": engine,
        "events": events,
        "cap": cap,
        "deleted": result.deleted,
        "snapshots": result.snapshots,
        "seconds": seconds,
        "cpu_us_per_event": result.cpu_seconds / max(result.deleted, 1) * 1e6,
        "before_mb": before / 1e6,
        "after_mb": after / 1e6,
        "store_before_mb": store_before / 1e6,
        "store_after_mb": store_after / 1e6,
        "load": f"{load_before} → {load_after}",
    }


def report(rows: list[dict], events: int, cap: int) -> str:
    lines = [
        f"`bench/retention.py --events {events}` (cap {cap:,}) on commit {git_commit()}: one project, "
        f"{events // 100:,} issues, `STACKLINE_RETENTION_MAX_EVENTS={cap}`, the job run once "
        "(read models and chDB analytics in the data directory; for PostgreSQL, the data directory "
        "holds analytics only).",
        "",
        "| engine | deleted | snapshots | job time | CPU per deleted event | data dir before → after "
        "| SQLite event store before → after | load average (job start → end) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['deleted']:,} | {r['snapshots']:,} | {r['seconds']:.1f} s "
            f"| {r['cpu_us_per_event']:.0f} µs | {r['before_mb']:.0f} → {r['after_mb']:.0f} MB "
            f"| {r['store_before_mb']:.0f} → {r['store_after_mb']:.0f} MB | {r['load']} |"
        )
    lines += [
        "",
        "The events are appended through `EventStore.append`, the call ingest makes after parsing "
        "(not through HTTP: 1 M posts would take most of an hour on this shared machine). Snapshots "
        "counts each rewrite: a hash seen in several batches gets its snapshot rewritten once per batch.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--cap-share", type=float, default=0.1)
    parser.add_argument("--engines", default="sqlite")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="keep the store here (SQLite only)")
    parser.add_argument("--stage", choices=("all", "load", "retention"), default="all")
    parser.add_argument("--without-analytics", action="store_true")
    args = parser.parse_args()
    cap = int(args.events * args.cap_share)
    rows = []
    if args.data_dir is not None:
        rows.append(
            asyncio.run(
                run_engine(
                    "sqlite", {}, args.events, cap, args.data_dir, args.stage, not args.without_analytics
                )
            )
        )
        print(rows[-1], flush=True)
        if args.stage == "load":
            return
    else:
        with tempfile.TemporaryDirectory(prefix="stackline-bench-retention-") as workdir:
            for engine, env in engine_settings(args.engines):
                rows.append(asyncio.run(run_engine(engine, env, args.events, cap, Path(workdir) / engine)))
                print(rows[-1], flush=True)
    text = report(rows, args.events, cap)
    print(text)
    if not args.no_write:
        write_section("retention", "Retention: disk and CPU per deleted event", text)


if __name__ == "__main__":
    main()
