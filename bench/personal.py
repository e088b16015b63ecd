"""CPU that sealing personal data adds to ingest, per event (crypto-shredding, docs/retention.md).

    uv run python bench/personal.py [--events 3000] [--subjects 50] [--no-write]

Plans real SDK payloads (`../shared/corpus/sentry-samples`, each given a user with an id, an
e-mail and an IP, and a request address) as ingest does (`Intake.error_event`: normalize, scrub,
facts), then seals them as ingest then does (`PersonalKeys.seal_plan`, on a key store in a temp
directory). Both are timed in process CPU time, per event. The first event of each subject pays
a key store write; the rest hit the cache, as on a busy server. Prints a Markdown report and,
unless --no-write, puts it in docs/benchmarks.md (section "personal").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import write_section  # noqa: E402
from stackline.app.personal_keys import PersonalKeys  # noqa: E402
from stackline.domain.intake import Intake, IntakeSettings, Plan  # noqa: E402
from tests.corpus import CORPUS  # noqa: E402


def payloads(count: int, subjects: int) -> list[dict]:
    samples = [json.loads(p.read_text()) for p in sorted((CORPUS / "sentry-samples").glob("*.json"))]
    samples = [s for s in samples if isinstance(s, dict)]
    found = []
    for index in range(count):
        person = index % subjects
        payload = dict(samples[index % len(samples)])
        payload.pop("event_id", None)
        payload["user"] = {
            "id": f"user-{person}",
            "email": f"person{person}@example.org",
            "ip_address": f"203.0.113.{person % 250}",
        }
        payload["request"] = {
            **(payload.get("request") or {}),
            "env": {"REMOTE_ADDR": f"203.0.113.{person % 250}"},
        }
        found.append(payload)
    return found


async def measure(count: int, subjects: int) -> tuple[float, float, float]:
    events = payloads(count, subjects)
    with tempfile.TemporaryDirectory() as directory:
        keys = await PersonalKeys.open(f"sqlite+aiosqlite:///{directory}/readmodels.sqlite3", Path(directory))
        try:
            intake = Intake("org-bench", 1, time.time(), IntakeSettings(), "198.51.100.1")
            planned, sealing, first = 0.0, 0.0, 0.0
            for index, payload in enumerate(events):
                plan = Plan()
                started = time.process_time()
                intake.error_event(plan, payload, None)
                planned += time.process_time() - started
                started = time.process_time()
                await keys.seal_plan("org-bench", plan.events, plan.payloads)
                spent = time.process_time() - started
                if index < subjects:
                    first += spent
                else:
                    sealing += spent
            warm = max(count - subjects, 1)
            return planned / count, sealing / warm, first / subjects
        finally:
            await keys.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--subjects", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    planned, sealed, first = asyncio.run(measure(args.events, args.subjects))
    load = Path("/proc/loadavg").read_text().split()[:3]
    report = "\n".join(
        [
            f"{args.events:,} real SDK payloads (the corpus's sentry-samples, each with a user: id, e-mail,",
            f"IP, and a request address), {args.subjects} people; process CPU per event, load average",
            f"{' '.join(load)} while measuring (2 cores, shared with other work).",
            "",
            "| step | CPU per event |",
            "|---|---|",
            f"| plan (normalize, scrub, facts: `Intake.error_event`) | {planned * 1e6:,.0f} µs |",
            f"| seal, key cached (`PersonalKeys.seal_plan`) | {sealed * 1e6:,.0f} µs "
            f"({sealed / planned:.0%} of planning) |",
            f"| seal, a person's first event (key and pseudonyms written) | {first * 1e6:,.0f} µs |",
            "",
            "Sealing works on the payload intake built (`Plan.payloads`, no JSON parsed again), walks it",
            "for strings holding the person's identifiers, encrypts each personal value (AES-256-GCM,",
            "`cryptography`) and writes the JSON; the HMAC pseudonyms are cached per identifier. A",
            "person's first event here writes their key and aliases alone, one key-store transaction",
            "(`synchronous=FULL`) per event; under concurrent ingest the requests that arrive together",
            "share one (`bench/ingest.py`).",
        ]
    )
    print(report)
    if not args.no_write:
        write_section("personal", "Sealing personal data at ingest (`bench/personal.py`)", report)


if __name__ == "__main__":
    main()
