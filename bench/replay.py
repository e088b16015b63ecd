"""Replay benchmark: how fast each projector rebuilds its read models from the event store, alone
and side by side, and what merges in the log cost a replay.

    uv run python bench/replay.py [--events 300000] [--merges 20] [--engines sqlite,postgres] [--no-write]

Loads `--events` error events over events/100 issues (the loader of `bench/reads.py`), then
times `stackline replay` of the SQL read models alone, of analytics alone (in the engine, as
`stackline replay` does it where the store allows, and by the Python projector, as before and
for KurrentDB: `projections/analytics_replay.py`), and of both (as `stackline replay` runs them:
analytics in a second process). Then merges `--merges` pairs of
the largest issues through the issue commands and replays the SQL read models again. Figures go
to stdout and, unless --no-write, into docs/benchmarks.md.

Each replay's CPU time is measured too, per event: the replaying process's (the SQL read
models' projector; analytics when it replays alone), the analytics process's of a default
replay, and the whole machine's busy time from /proc/stat (that adds the PostgreSQL server). The
machine's cores divided by its CPU time per event is the most this machine could replay at,
however well the work overlapped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import git_commit, proc_cpu_seconds  # noqa: E402
from bench.reads import engine_settings, load  # noqa: E402
from bench.report import write_section  # noqa: E402
from stackline.app.issue_commands import IssueCommands  # noqa: E402
from stackline.app.replay import ReplayResult, replay  # noqa: E402
from stackline.app.settings import Settings  # noqa: E402
from stackline.app.wiring import ANALYTICS_PROJECTOR, READ_MODEL_PROJECTOR, open_event_store, open_read_models  # noqa: E402
from stackline.readmodels.schema import issues  # noqa: E402


@dataclass(frozen=True)
class CpuTime:
    """CPU seconds used so far: by this process, by its children that have exited, and by the
    whole machine (None where there is no /proc/stat)."""

    process: float
    children: float
    machine: float | None

    @classmethod
    def now(cls) -> CpuTime:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            proc_cpu_seconds(os.getpid()), children.ru_utime + children.ru_stime, machine_busy_seconds()
        )

    def __sub__(self, earlier: CpuTime) -> CpuTime:
        machine = None if self.machine is None or earlier.machine is None else self.machine - earlier.machine
        return CpuTime(self.process - earlier.process, self.children - earlier.children, machine)


def machine_busy_seconds() -> float | None:
    """Every core's busy time since boot: user, nice, system, irq and softirq (not idle, iowait
    or steal, the time the hypervisor gave to other machines)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Timed:
    result: ReplayResult
    cpu: CpuTime
    load: float  # the 1-minute load average as the replay started (other work on this machine)

    def per_event(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.result.events * 1e6


async def timed_replay(settings: Settings, projection: str | None, in_engine: bool = True) -> Timed:
    load = os.getloadavg()[0]
    before = CpuTime.now()
    result = await replay(settings, projection=projection, progress=False, in_engine=in_engine)
    return Timed(result, CpuTime.now() - before, load)


@dataclass
class EngineResult:
    engine: str
    read_models: Timed
    analytics: Timed
    analytics_by_projector: Timed
    both: Timed
    with_merges: Timed


async def merge_largest(settings: Settings, pairs: int) -> None:
    """Merge the 2nd largest issue into the largest, the 4th into the 3rd, and so on."""
    engine = open_read_models(settings.database_url)
    try:
        async with engine.connect() as conn:
            ids = list(
                (
                    await conn.execute(
                        select(issues.c.id).order_by(issues.c.times_seen.desc(), issues.c.id).limit(2 * pairs)
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    store = await open_event_store(settings.eventstore_url)
    try:
        commands = IssueCommands(store)
        for target, source in zip(ids[0::2], ids[1::2], strict=False):
            await commands.merge([source], target, {}, actor=None)
    finally:
        await store.close()


async def run_engine(
    engine: str, env: dict[str, str], events: int, merges: int, workdir: Path
) -> EngineResult:
    with mock.patch.dict(os.environ, env):  # what Settings.load reads, restored after
        settings = Settings.load(workdir / engine)
        print(f"[{engine}] loading {events:,} events over {events // 100:,} issues", flush=True)
        await load(settings, events, events // 100)
        timed = {}
        for name, projection, in_engine in (
            ("both", None, True),
            ("read models", READ_MODEL_PROJECTOR, True),
            ("analytics", ANALYTICS_PROJECTOR, True),
            ("analytics by the projector", ANALYTICS_PROJECTOR, False),
        ):
            timed[name] = await timed_replay(settings, projection, in_engine)
            print(
                f"[{engine}] replay of {name}: {timed[name].result.rate:,.0f} events/s "
                f"(load {timed[name].load:.1f})",
                flush=True,
            )
        await merge_largest(settings, merges)
        timed["with merges"] = await timed_replay(settings, READ_MODEL_PROJECTOR)
        print(
            f"[{engine}] replay of read models after {merges} merges: "
            f"{timed['with merges'].result.rate:,.0f} events/s",
            flush=True,
        )
        return EngineResult(
            engine,
            timed["read models"],
            timed["analytics"],
            timed["analytics by the projector"],
            timed["both"],
            timed["with merges"],
        )


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

    def cell(timed: Timed) -> str:
        return f"{timed.result.rate:,.0f} events/s ({timed.result.seconds:.1f} s, load {timed.load:.1f})"

    def micros(value: float | None) -> str:
        return "–" if value is None else f"{value:,.0f} µs"

    cores = os.cpu_count() or 1

    def cpu_row(engine: str, name: str, timed: Timed, second_process: bool) -> str:
        machine = timed.per_event(timed.cpu.machine)
        ceiling = "–" if not machine else f"{cores * 1e6 / machine:,.0f} events/s"
        analytics = micros(timed.per_event(timed.cpu.children)) if second_process else "–"
        return (
            f"| {engine} | {name} | {timed.result.rate:,.0f} events/s | "
            f"{micros(timed.per_event(timed.cpu.process))} | "
            f"{analytics} | {micros(machine)} | {ceiling} |"
        )

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} at commit `{git_commit()}` on this 2-core machine: "
        f"{args.events:,} error events (real `sentry-sdk` payloads, varied; the loader of `bench/reads.py`) "
        f'over {args.events // 100:,} issues, rebuilt by `stackline replay`. "Both" is the default replay, '
        "with the analytics projector in a second process; each cell names the 1-minute load average as "
        "that replay started (the machine is shared); the last column replays the SQL read models "
        "again after "
        f"{args.merges} merges of the largest issues were appended to the log.",
        "",
        "| engine | both (default) | SQL read models alone | analytics alone (in the engine) | analytics "
        f"alone, by the projector | SQL read models, log with {args.merges} merges |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.engine} | {cell(r.both)} | {cell(r.read_models)} | {cell(r.analytics)} | "
            f"{cell(r.analytics_by_projector)} | {cell(r.with_merges)} |"
        )
    lines += [
        "",
        f"CPU time per event of the same replays. The process is the one `stackline replay` runs in: the SQL "
        "read models' projector, or analytics when it replays alone; a default replay runs analytics in a "
        "second process (its start-up included). The machine is every core's busy time (/proc/stat), the "
        "PostgreSQL server's included; "
        f"{cores} cores divided by it is the most this machine could replay at, however well the work "
        "overlapped.",
        "",
        "| engine | replay | events/s | replaying process | analytics process | whole machine | the "
        "machine's ceiling |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines += [
            cpu_row(r.engine, "both (default)", r.both, second_process=True),
            cpu_row(r.engine, "SQL read models alone", r.read_models, second_process=False),
            cpu_row(r.engine, "analytics alone (in the engine)", r.analytics, second_process=False),
            cpu_row(
                r.engine, "analytics alone, by the projector", r.analytics_by_projector, second_process=False
            ),
        ]
    lines += ["", "Target (issue 7): replay ≥ 20,000 events/s."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("replay", "Replay by projector (`bench/replay.py`)", text)


if __name__ == "__main__":
    asyncio.run(main())
