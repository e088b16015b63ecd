"""Live fan-out benchmark: many websocket subscribers of one project on one API process.

    uv run python bench/live.py [--subscribers 1000] [--events 200] [--rate 20] [--nats]
                                [--runs 1] [--no-write]

What it measures: N clients (one `graphql-transport-ws` websocket each, all in this process)
subscribe to `issueChanges(projectId)` of one project on a real `stackline serve`. Then M
events built by the real `sentry-sdk` are posted at a steady rate, each creating an issue of
its own (a new fingerprint) or updating one created a second earlier (`--update-share`), so
every event causes exactly one issue change and every subscriber must receive every change.
For each delivery, the latency is the client's wall clock at receipt minus the change's
`committedAt` (the projector's wall clock just after its transaction committed; same machine,
same clock). Reported: latency p50/p95/p99/max, deliveries/s, missed deliveries, and the
server's peak RSS (VmHWM from /proc).

`--nats` runs the production shape instead: an API process (`serve --no-projectors`) holding
the websockets and a projector process (`project run readmodels`), joined by the NATS server
at STACKLINE_NATS_URL (default nats://127.0.0.1:4222) under a prefix of their own.

This script never changes the server: it talks HTTP and websockets to it and reads /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import sentry_sdk
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ingest import (  # noqa: E402
    CapturingTransport,
    RawConnection,
    _loop_factory,
    cpu_model,
    free_port,
    git_commit,
    log_problems,
    proc_cpu_seconds,
    proc_status,
    serialize_like_the_sdk,
    server_env,
    target_for,
)
from bench.report import BENCHMARKS as DOC  # noqa: E402
from bench.report import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
CONNECT_CONCURRENCY = 50  # websocket handshakes in flight at once while subscribing
READY_TIMEOUT = 120.0  # seconds for every subscriber to receive the warm-up change
DRAIN_SECONDS = 5.0  # after the last POST, wait this long without a new delivery before counting misses
UPDATE_LAG = 2.0  # seconds between an issue's creating event and its updating event
NATS_URL = os.environ.get("STACKLINE_NATS_URL", "nats://127.0.0.1:4222")
SUBSCRIPTION = "subscription ($p: ID!) { issueChanges(projectId: $p) { kind committedAt issue { id } } }"
PROJECT_QUERY = 'query { project(organizationSlug: "bench", slug: "live") { id } }'


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- events ----------------------------------------------------------------------------------


def build_event_bodies(
    dsn: str, count: int, update_share: float, rate: float, run_id: str
) -> tuple[list[bytes], int]:
    """`count` gzipped envelopes from the real SDK, one message event each, and how many of them
    update an issue. Event i starts a new issue (a fingerprint of its own) or, for a share of
    them, repeats the fingerprint of an event UPDATE_LAG seconds earlier, updating that issue;
    each issue is updated at most once, so each event causes one change (unless the projector
    applies the creation and the update in one batch, which folds them into one CREATED)."""
    lag = max(1, round(rate * UPDATE_LAG))
    fingerprints: list[str] = []
    created: set[int] = set()  # events that created an issue not updated yet
    credit = 0.0
    for i in range(count):
        credit = min(credit + update_share, 1.0)
        earlier = i - lag
        if credit >= 1 and earlier in created:
            credit -= 1
            created.discard(earlier)
            fingerprints.append(fingerprints[earlier])
        else:
            created.add(i)
            fingerprints.append(f"live-{run_id}-{i}")
    sentry_sdk.init(
        dsn=dsn,
        transport=CapturingTransport,
        release="live@1.0.0",
        environment="bench",
        default_integrations=False,
        auto_enabling_integrations=False,
    )
    transport = sentry_sdk.get_client().transport
    assert isinstance(transport, CapturingTransport)
    try:
        for i, fingerprint in enumerate(fingerprints):
            with sentry_sdk.isolation_scope() as scope:
                scope.fingerprint = [fingerprint]
                scope.set_tag("sequence", str(i))
                sentry_sdk.capture_message(f"live fan-out change {fingerprint}", level="error")
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()
    if len(transport.envelopes) != count:
        raise RuntimeError(f"the SDK built {len(transport.envelopes)} envelopes, expected {count}")
    return [serialize_like_the_sdk(envelope)[0] for envelope in transport.envelopes], count - len(
        set(fingerprints)
    )


# -- the server under test ---------------------------------------------------------------------


@dataclass
class Process:
    """A stackline subprocess of our own (the interpreter directly, so its pid is the server's)."""

    args: list[str]
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "stackline.entrypoints.cli", *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=ROOT,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Site:
    """The API process (and with --nats the projector process) on a fresh data dir."""

    work_dir: Path
    nats: bool
    port: int = field(default_factory=free_port)
    prefix: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:10]}")
    api: Process | None = None
    projector: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"

    @property
    def env(self) -> dict[str, str]:
        env = server_env()
        if self.nats:
            env.update(STACKLINE_NATS_URL=NATS_URL, STACKLINE_NATS_PREFIX=self.prefix)
        return env

    def start(self) -> None:
        serve = ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.nats:
            self.projector = Process(
                ["project", "run", "readmodels", "--data-dir", str(self.data_dir)],
                self.work_dir / "projector.log",
                self.env,
            )
            serve.append("--no-projectors")
        self.api = Process(serve, self.work_dir / "serve.log", self.env)
        self.api.start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.api.alive():
                raise RuntimeError(f"stackline serve exited:\n{self.api.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"stackline serve did not become healthy:\n{self.api.log()}")
        if self.projector is not None:
            self.projector.start()  # after serve has migrated the data dir

    def bootstrap(self) -> tuple[str, str, str]:
        """(dsn, token, project global id) of a new org and project, once the project is projected."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "stackline.entrypoints.cli",
                "bootstrap",
                "--org",
                "bench",
                "--project",
                "live",
                "--data-dir",
                str(self.data_dir),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"stackline bootstrap failed ({done.returncode}):\n{done.stderr}")
        boot = json.loads(done.stdout.strip().splitlines()[-1])
        # Wait for the projector (in another process with --nats) to project the new token and
        # project, watching the stores read-only: asking GraphQL too early logs an error.
        deadline = time.monotonic() + START_TIMEOUT
        while not self.projected():
            if time.monotonic() > deadline:
                raise RuntimeError("the projector never caught up with the bootstrap")
            time.sleep(0.1)
        answer = httpx.post(
            f"{self.url}/graphql",
            json={"query": PROJECT_QUERY},
            headers={"Authorization": f"Bearer {boot['token']}"},
            timeout=10,
        ).json()
        return boot["dsn"], boot["token"], answer["data"]["project"]["id"]

    def projected(self) -> bool:
        """True when the read models' projector has reached the event store's head."""
        try:
            with contextlib.closing(
                sqlite3.connect(f"file:{self.data_dir / 'events.sqlite3'}?mode=ro", uri=True)
            ) as db:
                head = db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]
            with contextlib.closing(
                sqlite3.connect(f"file:{self.data_dir / 'readmodels.sqlite3'}?mode=ro", uri=True)
            ) as db:
                done = db.execute("SELECT coalesce(max(position), 0) FROM projector_checkpoints").fetchone()[
                    0
                ]
        except sqlite3.Error:  # not created or migrated yet
            return False
        return done >= head

    def stop(self) -> list[str]:
        """Stop both processes; what went wrong in their logs, if anything."""
        notes: list[str] = []
        for process in (self.api, self.projector):
            if process is None:
                continue
            code = process.stop()
            # uvicorn re-raises the SIGTERM it handled once shut down, so -SIGTERM is a clean exit.
            problems = log_problems(process.log())
            if code not in (0, -signal.SIGTERM, None) or problems:
                notes.append(f"{process.log_path.name}: exit {code}; " + " | ".join(problems[:5]))
        if self.nats:
            with contextlib.suppress(Exception):
                asyncio.run(_delete_stream(re.sub(r"[^A-Za-z0-9_-]", "_", self.prefix).upper() + "_ISSUES"))
        return notes


async def _delete_stream(name: str) -> None:
    import nats

    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_stream(name)
    finally:
        await client.close()


# -- subscribers -----------------------------------------------------------------------------


class Subscriber:
    """One websocket, one subscription; notes (issue id, kind) -> latency of every change.

    The `websockets` library opens the connection, and with `--client websockets` reads every
    message too. By default, once the subscription is sent, a `FrameReader` takes over the
    socket: reading through the library cost about 21 us of CPU per message here, as much as the
    server spends sending it, on the same 2 cores; the figures would describe the client.
    """

    def __init__(self, ws_url: str, token: str, project_id: str, raw: bool) -> None:
        self.ws_url = ws_url
        self.token = token
        self.project_id = project_id
        self.raw = raw
        self.received: dict[tuple[str, str], float] = {}
        self.errors: list[object] = []
        self.last_receipt = 0.0
        self.subscribed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        ws = await websockets.connect(
            self.ws_url,
            subprotocols=["graphql-transport-ws"],
            ping_interval=None,
            max_queue=None,
            open_timeout=60,
            compression=None,
        )
        reader: FrameReader | None = None
        try:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
            )
            ack = orjson.loads(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIPTION, "variables": {"p": self.project_id}},
                    }
                )
            )
            if self.raw:
                # The server sends nothing between the ack and the first change, so nothing is
                # left in the library's buffers when the reader takes the socket over.
                reader = FrameReader(self, ws.transport)
                ws.transport.set_protocol(reader)
                self.subscribed.set()
                await reader.closed
                return
            self.subscribed.set()
            async for raw in ws:
                reply = self.on_message(raw, time.time())
                if reply:
                    await ws.send(reply)
        finally:
            if reader is not None:
                ws.transport.abort()
            else:
                await ws.close()

    def on_message(self, raw: str | bytes, receipt: float) -> str | None:
        """Note a message; what to answer, if anything."""
        message = orjson.loads(raw)
        kind = message.get("type")
        if kind == "next":
            payload = message["payload"]
            if payload.get("errors"):
                self.errors.append(payload["errors"])
                return None
            change = payload["data"]["issueChanges"]
            committed = dt.datetime.fromisoformat(change["committedAt"]).timestamp()
            self.received[(change["issue"]["id"], change["kind"])] = receipt - committed
            self.last_receipt = receipt
        elif kind == "ping":
            return '{"type":"pong"}'
        elif kind in ("error", "complete"):
            self.errors.append(message)
        return None


class FrameReader(asyncio.Protocol):
    """Reads a server's websocket frames (RFC 6455: unmasked, unfragmented here) straight off the
    socket and stamps each with the time its bytes arrived; answers pings with pongs."""

    def __init__(self, subscriber: Subscriber, transport: asyncio.Transport) -> None:
        self.subscriber = subscriber
        self.transport = transport
        self.buffer = bytearray()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        receipt = time.time()
        buffer = self.buffer
        buffer += data
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            length, offset = second & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length or len(buffer) < offset:
                return
            payload = bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            opcode = first & 0x0F
            if second & 0x80 or not first & 0x80 or opcode == 0:
                self.subscriber.errors.append(
                    f"unexpected frame: masked, fragmented or continuation ({first:#x})"
                )
            elif opcode == 1:
                reply = self.subscriber.on_message(payload, receipt)
                if reply:
                    self.send(0x1, reply.encode())
            elif opcode == 9:
                self.send(0xA, payload)
            elif opcode == 8:
                self.transport.close()

    def send(self, opcode: int, payload: bytes) -> None:
        """A client frame: always masked (RFC 6455 5.3); payloads here are short."""
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def open_subscribers(url: str, token: str, project_id: str, count: int, raw: bool) -> list[Subscriber]:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    subscribers = [Subscriber(ws_url, token, project_id, raw) for _ in range(count)]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def start(subscriber: Subscriber) -> None:
        async with gate:
            subscriber.task = asyncio.create_task(subscriber.run())
            done, _ = await asyncio.wait(
                [subscriber.task, asyncio.create_task(subscriber.subscribed.wait())],
                return_when=asyncio.FIRST_COMPLETED,
                timeout=60,
            )
            if subscriber.task in done or not subscriber.subscribed.is_set():
                raise RuntimeError(
                    "a subscriber could not subscribe: "
                    f"{subscriber.task.exception() if subscriber.task.done() else 'timeout'}"
                )

    await asyncio.gather(*(start(s) for s in subscribers))
    return subscribers


def failed_subscribers(subscribers: Sequence[Subscriber]) -> list[str]:
    return [
        repr(s.task.exception())
        for s in subscribers
        if s.task is not None and s.task.done() and not s.task.cancelled() and s.task.exception()
    ]


# -- the run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    subscribers: int
    changes: int  # distinct changes delivered to anyone: what the projector published
    latencies: list[float]  # seconds, one per delivery
    missed: int
    folded: int  # updating events whose change nobody got as UPDATED (folded into the creation, or lost)
    lost: int  # creating events whose issue nobody was told about
    errors: int
    post_seconds: float
    delivery_seconds: float  # first POST to last delivery
    subscribe_seconds: float
    api_hwm_kib: int
    api_rss_kib: int
    projector_hwm_kib: int | None
    api_cpu_seconds: float
    client_cpu_seconds: float
    load_before: float

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000

    @property
    def deliveries_per_second(self) -> float:
        return len(self.latencies) / self.delivery_seconds if self.delivery_seconds else 0.0


async def warm_up(post: RawConnection, body: bytes, subscribers: Sequence[Subscriber]) -> None:
    """Post one event and wait until every subscriber has its change: only then is every
    subscription certainly registered with the bus (graphql-transport-ws never acknowledges one)."""
    status, data = await post.post(body)
    if status != 200:
        raise RuntimeError(f"warm-up event refused: HTTP {status}: {data[:300]!r}")
    deadline = time.monotonic() + READY_TIMEOUT
    while not all(s.received for s in subscribers):
        if failed := failed_subscribers(subscribers):
            raise RuntimeError(f"{len(failed)} subscribers failed, e.g. {failed[0]}")
        if time.monotonic() > deadline:
            ready = sum(1 for s in subscribers if s.received)
            raise RuntimeError(f"only {ready} of {len(subscribers)} subscribers got the warm-up change")
        await asyncio.sleep(0.05)
    for subscriber in subscribers:
        subscriber.received.clear()


async def measure(site: Site, args: argparse.Namespace) -> RunResult:
    load_before = os.getloadavg()[0]
    dsn, token, project_id = site.bootstrap()
    say(f"  building {args.events + 1} envelopes with sentry-sdk {sentry_sdk.VERSION} ...")
    bodies, updates = build_event_bodies(
        dsn, args.events + 1, args.update_share, args.rate, uuid.uuid4().hex[:8]
    )
    warm, bodies = bodies[0], bodies[1:]
    target = target_for(site.url, dsn)
    poster = RawConnection(target)
    assert site.api is not None

    say(f"  opening {args.subscribers} subscriptions ...")
    started = time.perf_counter()
    subscribers = await open_subscribers(site.url, token, project_id, args.subscribers, args.client == "raw")
    await warm_up(poster, warm, subscribers)
    subscribe_seconds = time.perf_counter() - started
    say(f"  all {args.subscribers} subscribers received the warm-up change after {subscribe_seconds:.1f} s")

    api_cpu = proc_cpu_seconds(site.api.pid)
    client_cpu = time.process_time()
    say(f"  posting {len(bodies)} events at {args.rate:g}/s ...")
    first_post = time.time()
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        delay = started + i / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        status, data = await poster.post(body)
        if status != 200:
            raise RuntimeError(f"event {i} refused: HTTP {status}: {data[:300]!r}")
    post_seconds = time.perf_counter() - started
    await poster.close()

    expected = len(bodies)  # at most: a creation and its update in one projector batch are one change
    quiet_since = time.monotonic()
    delivered = 0
    while True:
        now = sum(len(s.received) for s in subscribers)
        if now == expected * len(subscribers):
            break
        if now != delivered:
            delivered, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since > DRAIN_SECONDS:
            break
        await asyncio.sleep(0.05)
    api_cpu = proc_cpu_seconds(site.api.pid) - api_cpu
    client_cpu = time.process_time() - client_cpu
    status = proc_status(site.api.pid)
    projector_hwm = proc_status(site.projector.pid)["VmHWM"] if site.projector else None

    # Every change is one (issue, kind): a subscriber's misses are the changes others got and it did not.
    seen = set().union(*(s.received.keys() for s in subscribers))
    creates = expected - updates
    lost = max(0, creates - sum(1 for _, kind in seen if kind == "CREATED"))
    folded = max(0, updates - sum(1 for _, kind in seen if kind == "UPDATED"))
    if lost:
        say(f"  !! {lost} created issues reached no subscriber at all")
    latencies = [latency for s in subscribers for latency in s.received.values()]
    missed = sum(len(seen) - len(s.received) for s in subscribers)
    errors = sum(len(s.errors) for s in subscribers) + len(failed_subscribers(subscribers))
    last = max((s.last_receipt for s in subscribers), default=first_post)
    for subscriber in subscribers:
        assert subscriber.task is not None
        subscriber.task.cancel()
    await asyncio.gather(*(s.task for s in subscribers if s.task), return_exceptions=True)
    return RunResult(
        args.subscribers,
        len(seen),
        latencies,
        missed,
        folded,
        lost,
        errors,
        post_seconds,
        last - first_post,
        subscribe_seconds,
        status["VmHWM"],
        status["VmRSS"],
        projector_hwm,
        api_cpu,
        client_cpu,
        load_before,
    )


def run_once(args: argparse.Namespace) -> tuple[RunResult, list[str]]:
    work_dir = Path(tempfile.mkdtemp(prefix="stackline-live-"))
    site = Site(work_dir, args.nats)
    say(
        f"starting {'API + projector processes over NATS' if args.nats else 'stackline serve'} "
        f"on {site.url} (work dir {work_dir}) ..."
    )
    failed = True
    notes: list[str] = []
    try:
        site.start()
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            result = runner.run(measure(site, args))
        failed = False
    finally:
        notes = site.stop()
        for note in notes:
            say(f"  server: {note}")
        if failed or args.keep:
            say(f"  kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    return result, notes


# -- reporting -------------------------------------------------------------------------------


def describe(result: RunResult) -> str:
    miss = f"{result.missed} MISSED" if result.missed else "0 missed"
    return (
        f"p50 {result.percentile_ms(0.50):.1f} ms, p95 {result.percentile_ms(0.95):.1f} ms, "
        f"p99 {result.percentile_ms(0.99):.1f} ms, max {result.percentile_ms(1.0):.1f} ms; "
        f"{len(result.latencies)} deliveries, {result.deliveries_per_second:.0f}/s; {miss}; "
        f"API RSS peak {result.api_hwm_kib / 1024:.0f} MiB"
    )


def table(results: Sequence[RunResult], median_index: int) -> str:
    lines = [
        "| run | subscribers | changes | p50 ms | p95 ms | p99 ms | max ms | deliveries | deliveries/s | "
        "missed | API CPU ms/change | API RSS peak MiB | load before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(results):
        mark = " (median)" if i == median_index and len(results) > 1 else ""
        lines.append(
            f"| {i + 1}{mark} | {r.subscribers} | {r.changes} | {r.percentile_ms(0.5):.1f} | "
            f"{r.percentile_ms(0.95):.1f} | {r.percentile_ms(0.99):.1f} | {r.percentile_ms(1.0):.1f} "
            f"| {len(r.latencies)} "
            f"| {r.deliveries_per_second:.0f} | {'**' + str(r.missed) + '**' if r.missed else 0} "
            f"| {r.api_cpu_seconds / r.changes * 1000:.1f} | {r.api_hwm_kib / 1024:.0f} | "
            f"{r.load_before:.2f} |"
        )
    return "\n".join(lines)


def report(args: argparse.Namespace, results: Sequence[RunResult], notes: Sequence[str]) -> str:
    by_p99 = sorted(range(len(results)), key=lambda i: results[i].percentile_ms(0.99))
    median = by_p99[len(by_p99) // 2]
    m = results[median]
    shape = (
        "API process (`serve --no-projectors`) + projector process (`project run readmodels`) over NATS"
        if args.nats
        else "one `stackline serve` (embedded SQLite, in-process bus, projector in the same process)"
    )
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    bullets = [
        f"Median run (by p99): {describe(m)}. Target p99 < 200 ms: "
        f"**{'met' if m.percentile_ms(0.99) < 200 else 'NOT met'}**.",
        f"Missed deliveries over all runs: {sum(r.missed for r in results)}"
        + (
            " (every subscriber got every change)."
            if not any(r.missed for r in results)
            else " — **deliveries were lost**."
        )
        + (
            f" Subscription errors: {sum(r.errors for r in results)}."
            if any(r.errors for r in results)
            else ""
        )
        + (
            f" **{sum(r.lost for r in results)} created issues reached no subscriber at all.**"
            if any(r.lost for r in results)
            else ""
        ),
        f"Changes per run are what the projector published: each event is one change, except that an update "
        f"applied in the same projector batch as its issue's creation folds into the CREATED "
        f"({', '.join(str(r.folded) for r in results)} folded per run, out of {args.events} events).",
        f"Subscribing {m.subscribers} websockets until all had the warm-up change took "
        f"{m.subscribe_seconds:.1f} s.",
        f"API process CPU {m.api_cpu_seconds:.1f} s, benchmark client CPU {m.client_cpu_seconds:.1f} s over "
        f"{m.delivery_seconds:.1f} s from the first POST to the last delivery; API RSS "
        f"{m.api_rss_kib / 1024:.0f} MiB at the end, "
        f"peak {m.api_hwm_kib / 1024:.0f} MiB"
        + (f"; projector process peak {m.projector_hwm_kib / 1024:.0f} MiB." if m.projector_hwm_kib else "."),
    ]
    if notes:
        bullets.append("Server log problems: " + "; ".join(notes))
    machine = (
        f"{os.cpu_count()} cores ({cpu_model()}), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; the client's {m.subscribers} websockets run in one asyncio process on "
        "the same cores as the server, and other work shared the machine (load average before each run in "
        "the table)"
    )
    return (
        f"### {'NATS' if args.nats else 'Embedded'} — {when}, commit `{git_commit()}`\n\n"
        f"Shape: {shape}. Parameters: {args.subscribers} subscribers of one project, {args.events} events at "
        f"{args.rate:g}/s ({args.update_share:.0%} update an issue, the rest create one), sentry-sdk "
        f"{sentry_sdk.VERSION} envelopes; client reads frames with "
        f"{'a minimal asyncio protocol' if args.client == 'raw' else 'the websockets library'}; "
        f"{len(results)} run(s).\n\nMachine: {machine}.\n\n"
        f"{table(results, median)}\n\n" + "\n".join(f"- {b}" for b in bullets) + "\n"
    )


def raise_fd_limit(subscribers: int) -> None:
    """Each websocket is a file descriptor here and in the server (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = subscribers + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < wanted:
            say(f"warning: fd limit {new} (hard) is below the {wanted} this run wants")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--subscribers", type=int, default=1000, help="concurrent websocket subscriptions (1000)"
    )
    parser.add_argument("--events", type=int, default=200, help="events posted, one issue change each (200)")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second (20)")
    parser.add_argument(
        "--update-share",
        type=float,
        default=0.5,
        help="share of events that update an issue created a second earlier (0.5)",
    )
    parser.add_argument(
        "--client",
        choices=["raw", "websockets"],
        default="raw",
        help="read frames with a minimal asyncio protocol after the websockets library's handshake "
        "(default, least client CPU) or with the websockets library throughout",
    )
    parser.add_argument("--nats", action="store_true", help="API + projector processes joined by NATS")
    parser.add_argument(
        "--runs", type=int, default=1, help="repeat on a fresh server; the median run by p99 is summarized"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir and server logs")
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"replace this shape's section of {DOC.relative_to(ROOT)} (default on)",
    )
    args = parser.parse_args(argv)
    if args.subscribers < 1 or args.events < 1 or args.rate <= 0 or args.runs < 1:
        parser.error("--subscribers, --events, --runs and --rate must be positive")
    if not 0 <= args.update_share <= 1:
        parser.error("--update-share is between 0 and 1")
    return args


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so `finally` stops the servers


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    raise_fd_limit(args.subscribers)
    results: list[RunResult] = []
    notes: list[str] = []
    for run in range(args.runs):
        say(f"run {run + 1} of {args.runs}:")
        result, run_notes = run_once(args)
        say(f"  {describe(result)}")
        if result.missed or result.lost:
            say(f"  !! {result.missed} MISSED DELIVERIES, {result.lost} issues nobody heard of")
        results.append(result)
        notes.extend(run_notes)
    text = report(args, results, notes)
    print(text)
    if args.write:
        write_section("live-nats" if args.nats else "live-embedded", None, text)
        say(f"wrote the {'live-nats' if args.nats else 'live-embedded'} section of {DOC}")
    return 1 if any(r.missed or r.lost for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
