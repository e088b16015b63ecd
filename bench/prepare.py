"""Ingest's CPU per event outside the HTTP server: decompress, parse, normalize, scrub, plan.

    uv run python bench/prepare.py                       # this tree against main, 400 envelopes
    uv run python bench/prepare.py --against 6deade8 --rounds 5 --no-write

What it measures: the CPU time (`time.process_time`, so other processes on the machine change it
far less than wall time) that one process spends per real-SDK envelope (gzip level 9, the
envelopes of `bench/ingest.py`) in `decompress` -> `parse_envelope` -> `plan_envelope`: the
request path's own Python, without the HTTP server, the event store or the projectors. The
stackline tree being measured and the one of `--against` (exported with `git archive`) each run
in a subprocess of their own, alternately, `--rounds` times; each figure is the fastest of
`--repeats` passes over all envelopes, so a pass that another process slowed down is dropped.
"""

from __future__ import annotations

import argparse
import gzip
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import pickle, sys, time
sys.path.insert(0, sys.argv[1])
import stackline
assert stackline.__file__.startswith(sys.argv[1]), stackline.__file__
from stackline.app.ingest import decompress
from stackline.domain.envelope import parse_envelope
from stackline.domain.intake import Intake, IntakeSettings, plan_envelope
bodies = pickle.loads(open(sys.argv[2], "rb").read())
settings = IntakeSettings()
best = float("inf")
for _ in range(int(sys.argv[3])):
    now = time.time()
    started = time.process_time()
    for body in bodies:
        envelope = parse_envelope(decompress(body, "gzip", 1 << 24))
        plan_envelope(envelope, Intake("org", 1, now, settings, "10.0.0.1"))
    best = min(best, time.process_time() - started)
print(best / len(bodies))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=400)
    parser.add_argument("--against", default="main", help="git revision to compare with (main)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()

    from bench.ingest import build_envelopes

    envelopes = build_envelopes("http://key@127.0.0.1:9/1", args.envelopes, seed=1)
    bodies = [gzip.compress(gzip.decompress(e.body), 9) for e in envelopes]
    raw_kib = statistics.mean(len(gzip.decompress(b)) for b in bodies) / 1024
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "bodies.pickle"
        data.write_bytes(pickle.dumps(bodies))
        old = Path(scratch) / "against"
        old.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.against, "stackline"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        trees = {args.against: old, "this tree": ROOT}
        figures: dict[str, list[float]] = {name: [] for name in trees}
        loads: list[str] = []
        for _ in range(args.rounds):
            loads.append(Path("/proc/loadavg").read_text().split()[0])
            for name, tree in trees.items():
                done = subprocess.run(
                    [sys.executable, "-c", MEASURE, str(tree), str(data), str(args.repeats)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures[name].append(float(done.stdout.strip()) * 1e6)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    against = subprocess.run(
        ["git", "rev-parse", "--short", args.against], cwd=ROOT, capture_output=True, text=True
    ).stdout
    rows = [
        f"| `{args.against}` ({against.strip()}) | "
        + " / ".join(f"{v:.0f}" for v in figures[args.against])
        + f" | {min(figures[args.against]):.0f} |",
        f"| this tree ({head.strip()}) | "
        + " / ".join(f"{v:.0f}" for v in figures["this tree"])
        + f" | {min(figures['this tree']):.0f} |",
    ]
    body = (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {len(bodies)} real-SDK envelopes "
        f"(mean {raw_kib:.1f} KiB raw), CPU µs per envelope in decompress -> parse -> normalize -> scrub -> "
        f"plan, fastest of {args.repeats} passes, {args.rounds} alternating rounds; 1-minute load average "
        f"{', '.join(loads)} at the rounds' starts (2 cores, shared).\n\n"
        "| code | µs/event per round | best |\n|---|---|---:|\n" + "\n".join(rows)
    )
    print(body)
    if args.write:
        write_section("prepare", "Ingest preparation CPU (`bench/prepare.py`)", body)


if __name__ == "__main__":
    main()
