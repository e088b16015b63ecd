"""Read-path benchmark: load N events over K issues through the event store, rebuild every read
model by replay, then time the reads a UI makes, over GraphQL on a real `stackline serve`.

    uv run python bench/reads.py [--events 1000000] [--issues 10000] [--engines sqlite,postgres]
                                 [--samples 200] [--no-write]

The loader appends what ingest would append: error events built by the real `sentry-sdk`, run
through `plan_envelope` (normalize + scrub) once per template, then varied per event (id, time,
user, release, environment, tags, and the exception type that sets its issue). Events are spread
over the last 14 days, issue sizes are skewed as in real projects (a few issues hold most events).
Figures go to stdout and, unless --no-write, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import build_envelopes, git_commit, proc_status  # noqa: E402
from bench.report import write_section  # noqa: E402
from stackline.app.commands import Commands, ingest_stream  # noqa: E402
from stackline.app.replay import replay  # noqa: E402
from stackline.app.settings import Settings  # noqa: E402
from stackline.app.wiring import open_event_store  # noqa: E402
from stackline.domain.envelope import parse_envelope  # noqa: E402
from stackline.domain.error_event import ErrorEventReceived, error_event_received  # noqa: E402
from stackline.domain.events import event_type  # noqa: E402
from stackline.domain.intake import Intake, IntakeSettings, plan_envelope  # noqa: E402
from stackline.eventstore import NewEvent, StreamState  # noqa: E402
from tests.e2e.conftest import backend_settings  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

APPEND_BATCH = 1000
APPEND_CONCURRENCY = 4
DAYS = 14
RELEASES = [f"shop@4.{n}.0" for n in range(12)]
ENVIRONMENTS = ["production", "production", "production", "staging", "development"]
BROWSERS = ["Chrome 131", "Firefox 133", "Safari 18", "Edge 131"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"]


# -- loading -----------------------------------------------------------------------------------


def templates(organization_id: str, project_id: int) -> list[dict[str, Any]]:
    """Normalized, scrubbed error payloads as ingest stores them, from real SDK envelopes."""
    found = []
    for prepared in build_envelopes(f"http://{'0' * 32}@127.0.0.1/{project_id}", 60, seed=7):
        envelope = parse_envelope(gzip.decompress(prepared.body))
        intake = Intake(organization_id, project_id, time.time(), IntakeSettings(), "127.0.0.1")
        for _, event in plan_envelope(envelope, intake).events:
            if isinstance(event, ErrorEventReceived) and event.payload.get("exception"):
                found.append(event.payload)
    if not found:
        raise RuntimeError("the SDK produced no exception events to use as templates")
    return found


def issue_of(i: int, issues: int, rng: random.Random) -> int:
    """Every issue gets an event first; after that, small issue numbers get most events."""
    return i if i < issues else int(issues * rng.random() ** 3)


def vary(template: dict[str, Any], issue: int, at: float, rng: random.Random) -> dict[str, Any]:
    payload = dict(template)
    payload["event_id"] = uuid.uuid4().hex
    payload["timestamp"] = at
    payload["release"] = RELEASES[min(len(RELEASES) - 1, int(len(RELEASES) * at % len(RELEASES)))]
    payload["environment"] = rng.choice(ENVIRONMENTS)
    payload["user"] = {"id": f"user-{int(5000 * rng.random() ** 2)}"}
    payload["tags"] = [
        *(pair for pair in template.get("tags") or () if pair[0] not in ("browser", "region")),
        ["browser", rng.choice(BROWSERS)],
        ["region", rng.choice(REGIONS)],
    ]
    exception = copy.copy(template["exception"])
    values = [dict(v) for v in exception["values"]]
    values[-1]["type"] = f"{values[-1].get('type') or 'Error'}{issue}"
    exception["values"] = values
    payload["exception"] = exception
    return payload


async def load(settings: Settings, events: int, issues: int) -> tuple[str, int, float]:
    """Create the org and project, append `events` error events; returns (org id, project id, s)."""
    store = await open_event_store(settings.eventstore_url)
    try:
        commands = Commands(store)
        org = await commands.ensure_organization("bench")
        project = await commands.ensure_project("bench", "web")
        assert org.id is not None
        shapes = templates(org.id, project.project_id)
        rng = random.Random(42)
        now = time.time()
        start = now - DAYS * 86400
        queue: asyncio.Queue[list[NewEvent] | None] = asyncio.Queue(maxsize=APPEND_CONCURRENCY * 2)

        async def appender() -> None:
            while (batch := await queue.get()) is not None:
                await store.append(ingest_stream(project.project_id), batch, StreamState.ANY)

        workers = [asyncio.create_task(appender()) for _ in range(APPEND_CONCURRENCY)]
        started = time.perf_counter()
        batch: list[NewEvent] = []
        for i in range(events):
            issue = issue_of(i, issues, rng)
            at = start + (now - start) * i / events
            payload = vary(shapes[issue % len(shapes)], issue, at, rng)
            received = error_event_received(org.id, project.project_id, payload["event_id"], at, payload)
            batch.append(
                NewEvent(
                    event_type(received),
                    received.to_data(),
                    metadata={"organization_id": org.id},
                    body=received.body(),
                    schema_version=received.schema_version,
                )
            )
            if len(batch) == APPEND_BATCH:
                await queue.put(batch)
                batch = []
            if i and i % 100_000 == 0:
                print(f"  appended {i:,} events ({i / (time.perf_counter() - started):,.0f}/s)", flush=True)
        if batch:
            await queue.put(batch)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
        return org.id, project.project_id, time.perf_counter() - started
    finally:
        await store.close()


# -- reading -----------------------------------------------------------------------------------

ISSUE_LIST = """query($org: String!, $project: String!, $sort: IssueSort%s) {
  project(organizationSlug: $org, slug: $project) {
    issues(first: 25, sort: $sort%s) { totalCount edges { cursor node {
      id shortId title culprit level status timesSeen userCount firstSeen lastSeen } } }
  }
}"""
ISSUE_DETAIL = """query($id: ID!) { issue(id: $id) { id title timesSeen userCount
  tags { key totalValues topValues { value count } } } }"""


@dataclass
class Timing:
    name: str
    ms: list[float]

    def p(self, q: int) -> float:
        return statistics.quantiles(self.ms, n=100)[q - 1]


async def time_query(
    client: httpx.AsyncClient, name: str, query: str, variables: dict, samples: int
) -> Timing:
    for _ in range(5):  # warm caches and connections
        await graphql(client, query, variables)
    ms = []
    for _ in range(samples):
        started = time.perf_counter()
        await graphql(client, query, variables)
        ms.append((time.perf_counter() - started) * 1000)
    return Timing(name, ms)


async def graphql(client: httpx.AsyncClient, query: str, variables: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed ({response.status_code}): {body}")
    return body["data"]


async def schema_fields(client: httpx.AsyncClient, type_name: str) -> set[str]:
    data = await graphql(
        client, "query($t: String!) { __type(name: $t) { fields { name } } }", {"t": type_name}
    )
    return {f["name"] for f in (data["__type"] or {}).get("fields") or ()}


async def wait_until_accepted(url: str, token: str, timeout: float = 120.0) -> None:
    """A new token works once the projector has projected it."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        while True:
            body = (await client.post("/graphql", json={"query": "{ viewer { tokenId } }"})).json()
            if not body.get("errors"):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bootstrap token was not accepted within {timeout:.0f}s: {body}")
            await asyncio.sleep(0.2)


async def reads(url: str, token: str, samples: int) -> list[Timing]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        project_fields = await schema_fields(client, "Project")
        issue_fields = await schema_fields(client, "Issue")
        args = {"org": "bench", "project": "web"}
        project_type = await graphql(
            client, '{ __type(name: "Project") { fields { name args { name } } } }', {}
        )
        searchable = any(
            field["name"] == "issues" and any(a["name"] == "query" for a in field["args"])
            for field in project_type["__type"]["fields"]
        )
        plain = ISSUE_LIST % ((", $query: String", ", query: $query") if searchable else ("", ""))
        timings = [
            await time_query(
                client, "issue list, 25 by last seen", plain, {**args, "sort": "LAST_SEEN"}, samples
            )
        ]
        timings.append(
            await time_query(client, "issue list, 25 by events", plain, {**args, "sort": "FREQ"}, samples)
        )
        if searchable:
            timings.append(
                await time_query(
                    client,
                    "issue search `is:unresolved level:error browser:Safari`",
                    plain,
                    {**args, "sort": "LAST_SEEN", "query": "is:unresolved level:error browser:Safari"},
                    samples,
                )
            )
        page = await graphql(client, plain, {**args, "sort": "FREQ"})
        biggest = page["project"]["issues"]["edges"][0]["node"]["id"]
        timings.append(
            await time_query(
                client,
                "issue detail with tag summaries (largest issue)",
                ISSUE_DETAIL,
                {"id": biggest},
                samples,
            )
        )
        if "stats" in issue_fields:
            stats = "query($id: ID!) { issue(id: $id) { stats(period: DAY_14) { start count } } }"
            timings.append(
                await time_query(
                    client, "issue stats, 14 days (largest issue)", stats, {"id": biggest}, samples
                )
            )
        if "tagFacets" in project_fields:
            facets = """query($org: String!, $project: String!) {
                project(organizationSlug: $org, slug: $project) {
                tagFacets { key count topValues { value count } } } }"""
            timings.append(await time_query(client, "project tag facets", facets, args, samples))
        if "tagFacets" in issue_fields:
            facets = (
                "query($id: ID!) { issue(id: $id) { tagFacets { key count topValues { value count } } } }"
            )
            timings.append(
                await time_query(client, "issue tag facets (largest issue)", facets, {"id": biggest}, samples)
            )
        return timings


# -- one engine ---------------------------------------------------------------------------------


@dataclass
class EngineResult:
    engine: str
    load_seconds: float
    replay_rate: float
    replayed: int
    timings: list[Timing]
    rss_mb: float


def engine_settings(names: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Each engine named (`sqlite`, `postgres`, comma-separated) with its settings: none for the
    embedded defaults, or two fresh PostgreSQL databases, dropped when the caller moves on."""
    backends = {"sqlite": "embedded", "postgres": "postgres"}
    for engine in names.split(","):
        if engine not in backends:
            raise SystemExit(f"unknown engine {engine!r}")
        with backend_settings(backends[engine]) as env:
            yield engine, env


async def run_engine(
    engine: str, env: dict[str, str], events: int, issues: int, samples: int, workdir: Path
) -> EngineResult:
    data_dir = workdir / engine
    with mock.patch.dict(os.environ, env):  # what Settings.load reads, restored after
        settings = Settings.load(data_dir)
        print(f"[{engine}] loading {events:,} events over {issues:,} issues", flush=True)
        _, _, load_seconds = await load(settings, events, issues)
        print(f"[{engine}] replaying every read model", flush=True)
        replayed = await replay(settings, progress=sys.stderr.isatty())
        print(
            f"[{engine}] replay: {replayed.events:,} events in {replayed.seconds:.1f}s "
            f"= {replayed.rate:,.0f} events/s",
            flush=True,
        )
    server = Server(data_dir, env=env).start()
    try:
        token = server.bootstrap("bench", "web")["token"]
        await wait_until_accepted(server.url, token)
        timings = await reads(server.url, token, samples)
        rss = proc_status(server.process.pid).get("VmHWM", 0) / 1024 if server.process else 0.0
    finally:
        server.stop()
    return EngineResult(engine, load_seconds, replayed.rate, replayed.events, timings, rss)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    results: list[EngineResult] = []
    with tempfile.TemporaryDirectory(prefix="stackline-reads-") as tmp:
        for engine, env in engine_settings(args.engines):
            results.append(await run_engine(engine, env, args.events, args.issues, args.samples, Path(tmp)))

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} at commit `{git_commit()}` on this 2-core machine: "
        f"{args.events:,} error events (real `sentry-sdk` payloads, varied) over {args.issues:,} issues in "
        f"one project, appended through the event store; {args.samples} sequential GraphQL requests per "
        "query over HTTP to a real `stackline serve`, after warm-up.",
        "",
        "| engine | load (append) | replay, all read models | "
        + " | ".join(f"{t.name} p50 / p95" for t in results[0].timings)
        + " | serve RSS peak |",
        "|---|---|---|" + "---|" * len(results[0].timings) + "---|",
    ]
    for r in results:
        cells = " | ".join(f"{t.p(50):.1f} / {t.p(95):.1f} ms" for t in r.timings)
        lines.append(
            f"| {r.engine} | {args.events / r.load_seconds:,.0f} events/s | "
            f"{r.replay_rate:,.0f} events/s ({r.replayed:,} events) | {cells} | {r.rss_mb:,.0f} MiB |"
        )
    lines += [
        "",
        "Targets (issue 7): issue list p95 < 30 ms, issue stats p95 < 100 ms, tag facets p95 < 100 ms, "
        "replay ≥ 20,000 events/s.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("reads", "Reads and replay (`bench/reads.py`)", text)


if __name__ == "__main__":
    asyncio.run(main())
