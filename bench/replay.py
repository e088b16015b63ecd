"""Replay benchmark: how fast each projector rebuilds its read models from the event store, alone
and side by side, and what merges in the log cost a replay.

    uv run python bench/replay.py [--events 300000] [--merges 20] [--engines sqlite,postgres] [--no-write]

Loads `--events` error events over events/100 issues (the loader of `bench/reads.py`), then
times `stackline replay` of the SQL read models alone, of analytics alone, and of both (as
`stackline replay` runs them: analytics in a second process). Then merges `--merges` pairs of
the largest issues through the issue commands and replays the SQL read models again. Figures go
to stdout and, unless --no-write, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import git_commit  # noqa: E402
from bench.reads import engine_settings, load  # noqa: E402
from bench.report import write_section  # noqa: E402
from stackline.app.issue_commands import IssueCommands  # noqa: E402
from stackline.app.replay import ReplayResult, replay  # noqa: E402
from stackline.app.settings import Settings  # noqa: E402
from stackline.app.wiring import ANALYTICS_PROJECTOR, READ_MODEL_PROJECTOR, open_event_store, open_read_models  # noqa: E402
from stackline.readmodels.schema import issues  # noqa: E402


@dataclass
class EngineResult:
    engine: str
    read_models: ReplayResult
    analytics: ReplayResult
    both: ReplayResult
    with_merges: ReplayResult


async def merge_largest(settings: Settings, pairs: int) -> None:
    """Merge the 2nd largest issue into the largest, the 4th into the 3rd, and so on."""
    engine = open_read_models(settings.database_url)
    try:
        async with engine.connect() as conn:
            ids = list((await conn.execute(
                select(issues.c.id).order_by(issues.c.times_seen.desc(), issues.c.id).limit(2 * pairs))).scalars())
    finally:
        await engine.dispose()
    store = await open_event_store(settings.eventstore_url)
    try:
        commands = IssueCommands(store)
        for target, source in zip(ids[0::2], ids[1::2]):
            await commands.merge([source], target, {}, actor=None)
    finally:
        await store.close()


async def run_engine(engine: str, env: dict[str, str], events: int, merges: int, workdir: Path) -> EngineResult:
    with mock.patch.dict(os.environ, env):  # what Settings.load reads, restored after
        settings = Settings.load(workdir / engine)
        print(f"[{engine}] loading {events:,} events over {events // 100:,} issues", flush=True)
        await load(settings, events, events // 100)
        timed = {}
        for name, projection in (("both", None), ("read models", READ_MODEL_PROJECTOR),
                                 ("analytics", ANALYTICS_PROJECTOR)):
            timed[name] = await replay(settings, projection=projection, progress=False)
            print(f"[{engine}] replay of {name}: {timed[name].rate:,.0f} events/s", flush=True)
        await merge_largest(settings, merges)
        timed["with merges"] = await replay(settings, projection=READ_MODEL_PROJECTOR, progress=False)
        print(f"[{engine}] replay of read models after {merges} merges: {timed['with merges'].rate:,.0f} events/s",
              flush=True)
        return EngineResult(engine, timed["read models"], timed["analytics"], timed["both"], timed["with merges"])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--merges", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    results: list[EngineResult] = []
    with tempfile.TemporaryDirectory(prefix="stackline-replay-") as tmp:
        for engine, env in engine_settings(args.engines):
            results.append(await run_engine(engine, env, args.events, args.merges, Path(tmp)))

    def cell(result: ReplayResult) -> str:
        return f"{result.rate:,.0f} events/s ({result.seconds:.1f} s)"

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} at commit `{git_commit()}` on this 2-core machine: "
        f"{args.events:,} error events (real `sentry-sdk` payloads, varied; the loader of `bench/reads.py`) over "
        f"{args.events // 100:,} issues, rebuilt by `stackline replay`. \"Both\" is the default replay, with the "
        "analytics projector in a second process; the last column replays the SQL read models again after "
        f"{args.merges} merges of the largest issues were appended to the log.",
        "",
        "| engine | both (default) | SQL read models alone | analytics alone | SQL read models, "
        f"log with {args.merges} merges |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.engine} | {cell(r.both)} | {cell(r.read_models)} | {cell(r.analytics)} | "
                     f"{cell(r.with_merges)} |")
    lines += ["", "Target (issue 7): replay ≥ 20,000 events/s."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("replay", "Replay by projector (`bench/replay.py`)", text)


if __name__ == "__main__":
    asyncio.run(main())
