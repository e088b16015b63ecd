"""Ingest benchmark: real `sentry-sdk` envelopes posted to a real `stackline serve`.

    uv run python bench/ingest.py [--events N] [--concurrency 1,8,32] [--data-dir D]
                                  [--client raw|httpx] [--url URL --dsn DSN] [--no-write]

What it measures, per client concurrency level (each level posts its own slice of distinct
events): accepted events/s and per-POST latency, where "accepted" means the server answered
200, which it does only once the event store has made the append durable. After each level's
last 200 it measures how long the projector takes to reach the event store head (projection
catch-up), so one level's backlog never bleeds into the next level's figures. At the end it
reads the server's RSS from /proc. Server and client CPU time per event show where time goes
(both share the same cores).

The envelopes are built before any timing by the real SDK, through a transport that keeps them
instead of sending them, and are gzipped the way the SDK's HTTP transport does. This script
never changes the server: it only talks HTTP to it and reads /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import gzip
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.utils import Dsn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import BENCHMARKS as DOC  # noqa: E402
from bench.report import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
CATCH_UP_TIMEOUT = 120.0
HEALTHZ_POLL_SECONDS = 0.02
IDLE_SAMPLE_SECONDS = 1.0
SDK_CLIENT = f"sentry.python/{sentry_sdk.VERSION}"
GZIP_LEVEL = 9  # what the SDK's HTTP transport uses for gzip by default

# -- building envelopes with the real SDK ---------------------------------------------------


class CapturingTransport(Transport):
    """A transport that keeps every envelope the SDK hands it instead of sending it."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@dataclass(frozen=True, slots=True)
class PreparedEnvelope:
    event_id: str
    body: bytes  # gzipped
    raw_size: int


class PaymentDeclined(Exception):
    pass


# A small fake shop whose request handlers fail in a few different ways, so events group into a
# handful of issues with distinct stack traces, as a real application's would.


def parse_amount(raw: str) -> int:
    return int(raw)


def load_user(users: dict[int, dict[str, str]], user_id: int) -> dict[str, str]:
    return users[user_id]


def conversion_rate(orders: int, visits: int) -> float:
    return orders / visits


def charge_card(amount_cents: int, card_number: str) -> None:
    if amount_cents > 0:
        raise PaymentDeclined(f"card ending {card_number[-4:]} declined: insufficient funds")


def checkout(cart: list[dict[str, Any]], card_number: str) -> None:
    total = sum(line["price_cents"] * line["quantity"] for line in cart)
    charge_card(total, card_number)


def render_invoice(order: dict[str, Any]) -> str:
    return order["customer"]["name"].upper()


def handle_request(route: str, rng: random.Random) -> None:
    if route == "/checkout":
        cart = [
            {
                "sku": f"SKU-{rng.randint(100, 999)}",
                "price_cents": rng.randint(100, 9999),
                "quantity": rng.randint(1, 3),
            }
            for _ in range(rng.randint(1, 5))
        ]
        checkout(cart, f"4111111111{rng.randint(100000, 999999)}")
    elif route == "/cart/update":
        parse_amount(rng.choice(["12.50", "3x", "", "ten", "1e3"]))
    elif route == "/account":
        load_user({1: {"name": "ada"}, 2: {"name": "grace"}}, rng.randint(3, 10_000))
    elif route == "/reports/conversion":
        conversion_rate(rng.randint(0, 50), 0)
    elif route == "/invoices":
        render_invoice({"id": rng.randint(1, 10**6), "customer": {"name": None}})


ROUTES = ["/checkout", "/cart/update", "/account", "/reports/conversion", "/invoices"]
ROUTE_WEIGHTS = [30, 20, 15, 10, 10]
MESSAGE_SHARE = 0.15
MESSAGES = [
    ("Slow query on table %s took %d ms", "warning"),
    ("Payment provider retry %d of 3 for order %s", "info"),
    ("Cache miss storm on %s", "warning"),
]
TABLES = ["orders", "users", "carts", "invoices", "sessions", "products"]
BREADCRUMB_CATEGORIES = ["http", "query", "navigation", "ui.click", "cache"]


def add_context(scope: sentry_sdk.Scope, rng: random.Random, route: str) -> None:
    user_id = rng.randint(1, 50_000)
    scope.set_user(
        {
            "id": str(user_id),
            "email": f"user{user_id}@example.com",
            "ip_address": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "username": f"user{user_id}",
        }
    )
    scope.set_tag("route", route)
    scope.set_tag("region", rng.choice(["eu-west-1", "us-east-1", "ap-south-1"]))
    scope.set_tag("plan", rng.choice(["free", "team", "business"]))
    scope.set_tag("browser", rng.choice(["Chrome 126", "Firefox 128", "Safari 17"]))
    scope.set_context("cart", {"items": rng.randint(0, 12), "currency": rng.choice(["EUR", "USD"])})
    scope.set_extra("request_id", f"{rng.getrandbits(64):016x}")
    for i in range(rng.randint(3, 15)):
        category = rng.choice(BREADCRUMB_CATEGORIES)
        scope.add_breadcrumb(
            category=category,
            message=f"{category} step {i}",
            level=rng.choice(["info", "debug", "warning"]),
            data={
                "url": f"https://shop.example.com{rng.choice(ROUTES)}",
                "status_code": rng.choice([200, 200, 304, 404]),
                "duration_ms": rng.randint(1, 900),
            },
        )


def capture_one(rng: random.Random) -> None:
    route = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
    with sentry_sdk.isolation_scope() as scope:
        add_context(scope, rng, route)
        if rng.random() < MESSAGE_SHARE:
            template, level = rng.choice(MESSAGES)
            if "table" in template:
                text = template % (rng.choice(TABLES), rng.randint(500, 9000))
            elif "retry" in template:
                text = template % (rng.randint(1, 3), f"ord_{rng.getrandbits(32):08x}")
            else:
                text = template % rng.choice(TABLES)
            sentry_sdk.capture_message(text, level=level)
            return
        try:
            handle_request(route, rng)
        except Exception:  # noqa: BLE001 - whatever the fake app raised is the event we want
            sentry_sdk.capture_exception()


def serialize_like_the_sdk(envelope: Envelope) -> tuple[bytes, int]:
    """Gzip the envelope as `HttpTransport._serialize_envelope` does; also return the raw size."""
    raw = envelope.serialize()
    body = io.BytesIO()
    with gzip.GzipFile(fileobj=body, mode="w", compresslevel=GZIP_LEVEL) as compressed:
        envelope.serialize_into(compressed)
    return body.getvalue(), len(raw)


def build_envelopes(dsn: str, count: int, seed: int) -> list[PreparedEnvelope]:
    rng = random.Random(seed)
    sentry_sdk.init(
        dsn=dsn,
        transport=CapturingTransport,
        release="shop@4.2.0",
        environment="production",
        server_name="web-1",
        auto_enabling_integrations=False,  # keep the SDK's hands off httpx while we post
        sample_rate=1.0,
    )
    transport = sentry_sdk.get_client().transport
    assert isinstance(transport, CapturingTransport)
    try:
        while len(transport.envelopes) < count:
            capture_one(rng)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # a disabled client: nothing from here on is captured
    prepared: list[PreparedEnvelope] = []
    for envelope in transport.envelopes[:count]:
        event = envelope.get_event()
        if event is None:
            raise RuntimeError(f"the SDK produced an envelope without an event: {envelope.description}")
        body, raw_size = serialize_like_the_sdk(envelope)
        prepared.append(PreparedEnvelope(event["event_id"], body, raw_size))
    if len({p.event_id for p in prepared}) != len(prepared):
        raise RuntimeError("the SDK produced duplicate event ids")
    return prepared


# -- the server under test -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    """Our environment without STACKLINE_* settings, so the server uses only its data dir."""
    return {k: v for k, v in os.environ.items() if not k.startswith("STACKLINE_")}


@dataclass
class LocalServer:
    """A `stackline serve` subprocess of our own; `stop()` is safe to call at any time."""

    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        # The interpreter directly, not `uv run`: the pid we watch must be the server's own.
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "stackline.entrypoints.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=server_env(),
                cwd=ROOT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"stackline serve exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"stackline serve did not become healthy in {START_TIMEOUT:.0f}s:\n{self.log()}")

    def bootstrap(self, org: str, project: str) -> dict[str, str]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "stackline.entrypoints.cli",
                "bootstrap",
                "--org",
                org,
                "--project",
                project,
                "--data-dir",
                str(self.data_dir),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=server_env(),
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"stackline bootstrap failed ({done.returncode}):\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

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


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    # fields[0] is field 3 (state) of proc(5); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- posting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # base URL of the server, no trailing slash
    path: str  # /api/{project_id}/envelope/
    headers: dict[str, str]


def target_for(url: str, dsn: str) -> Target:
    parsed = Dsn(dsn)
    headers = {
        "User-Agent": SDK_CLIENT,
        "X-Sentry-Auth": parsed.to_auth(SDK_CLIENT).to_header(),
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
    }
    return Target(url.rstrip("/"), f"/api/{parsed.project_id}/envelope/", headers)


class IngestFailed(RuntimeError):
    pass


Post = Callable[[bytes], Any]  # an awaitable returning (status, response body)


class RawConnection:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for this benchmark.

    Measured on the 2-core machine: httpx.AsyncClient spends 2-6 ms of client CPU per POST
    (more as concurrency grows), this about 0.1 ms. With httpx at 32 clients the client itself
    saturates a core (about 160 events/s, p99 over 1 s) and takes CPU from the server, so the
    figures would describe httpx, not stackline. `--client httpx` is kept for comparison.
    """

    def __init__(self, target: Target) -> None:
        split = urlsplit(target.url)
        self.host = split.hostname or "127.0.0.1"
        self.port = split.port or 80
        headers = "".join(f"{name}: {value}\r\n" for name, value in target.headers.items())
        self.head = (
            f"POST {target.path} HTTP/1.1\r\nHost: {split.netloc}\r\n{headers}Content-Length: "
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            raise IngestFailed(f"response without Content-Length: {head!r}")
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.reader = self.writer = None


@contextlib.asynccontextmanager
async def posters(kind: str, target: Target, concurrency: int) -> AsyncIterator[list[Post]]:
    """Yield one post function per client."""
    if kind == "raw":
        connections = [RawConnection(target) for _ in range(concurrency)]
        try:
            yield [connection.post for connection in connections]
        finally:
            for connection in connections:
                await connection.close()
        return
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=target.url, headers=target.headers, limits=limits, timeout=60
    ) as client:

        async def post(body: bytes) -> tuple[int, bytes]:
            response = await client.post(target.path, content=body)
            return response.status_code, response.content

        yield [post] * concurrency


@dataclass
class LevelResult:
    concurrency: int
    events: int
    wall_seconds: float
    latencies: list[float]
    server_cpu_seconds: float | None
    client_cpu_seconds: float
    backlog_at_end: int
    catch_up_seconds: float
    stopped_by_budget: bool = False

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall_seconds

    @property
    def end_to_end_per_second(self) -> float:
        return self.events / (self.wall_seconds + self.catch_up_seconds)

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


async def health(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/healthz", timeout=10)
    response.raise_for_status()
    return response.json()


async def wait_for_catch_up(client: httpx.AsyncClient) -> tuple[int, float]:
    """Backlog right now, and seconds until the projector reaches the event store head."""
    started = time.perf_counter()
    state = await health(client)
    backlog = state["eventstore_head"] - state["projector_position"]
    while state["projector_position"] < state["eventstore_head"]:
        if not state.get("projector_running", True):
            raise IngestFailed(f"the projector is not running: {state}")
        if time.perf_counter() - started > CATCH_UP_TIMEOUT:
            raise IngestFailed(f"projector did not catch up within {CATCH_UP_TIMEOUT:.0f}s: {state}")
        await asyncio.sleep(HEALTHZ_POLL_SECONDS)
        state = await health(client)
    return backlog, time.perf_counter() - started


async def post_all(
    posts: Sequence[Post], envelopes: Sequence[PreparedEnvelope], deadline: float = float("inf")
) -> list[float]:
    """Post envelopes in order, each client taking the next one, until all are posted or the
    deadline (perf_counter) has passed; the first len(result) envelopes are the posted ones."""
    latencies: list[float] = []
    queue: Iterator[PreparedEnvelope] = iter(envelopes)

    async def client(post: Post) -> None:
        while time.perf_counter() < deadline:
            envelope = next(queue, None)
            if envelope is None:
                return
            started = time.perf_counter()
            status, data = await post(envelope.body)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise IngestFailed(f"event {envelope.event_id}: HTTP {status}: {data[:300]!r}")
            answered = json.loads(data).get("id")
            if answered != envelope.event_id:
                raise IngestFailed(f"event {envelope.event_id}: server answered id {answered!r}")

    async with asyncio.TaskGroup() as group:
        for post in posts:
            group.create_task(client(post))
    return latencies


async def run_level(
    kind: str,
    target: Target,
    pid: int | None,
    health_client: httpx.AsyncClient,
    concurrency: int,
    envelopes: Sequence[PreparedEnvelope],
    budget_seconds: float,
) -> LevelResult:
    async with posters(kind, target, concurrency) as posts:
        server_cpu = proc_cpu_seconds(pid) if pid else None
        client_cpu = time.process_time()
        started = time.perf_counter()
        latencies = await post_all(posts, envelopes, started + budget_seconds)
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
    backlog, catch_up = await wait_for_catch_up(health_client)
    if pid and server_cpu is not None:
        server_cpu = proc_cpu_seconds(pid) - server_cpu  # up to catch-up: projecting is part of the cost
    return LevelResult(
        concurrency,
        len(latencies),
        wall,
        latencies,
        server_cpu,
        client_cpu,
        backlog,
        catch_up,
        stopped_by_budget=len(latencies) < len(envelopes),
    )


# -- reporting -----------------------------------------------------------------------------


def next_slice(
    items: Sequence[PreparedEnvelope], posted: int, levels_left: int
) -> Sequence[PreparedEnvelope]:
    """An even share of what is left; what a level leaves unposted goes to the levels after it."""
    remaining = items[posted:]
    return remaining if levels_left == 1 else remaining[: len(remaining) // levels_left]


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def fmt_ms(per_event_seconds: float | None) -> str:
    return "n/a" if per_event_seconds is None else f"{per_event_seconds * 1000:.2f}"


def markdown_table(results: Sequence[LevelResult]) -> str:
    lines = [
        (
            "| concurrency | events | accepted events/s | p50 ms | p99 ms | max ms | server CPU ms/event "
            "(incl. projection) | client CPU ms/event | projector backlog at last 200 | catch-up s "
            "| end-to-end events/s |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        server = None if r.server_cpu_seconds is None else r.server_cpu_seconds / r.events
        lines.append(
            f"| {r.concurrency} | {r.events} | {r.events_per_second:.0f} | {r.percentile_ms(0.50):.1f} "
            f"| {r.percentile_ms(0.99):.1f} | {max(r.latencies) * 1000:.1f} | {fmt_ms(server)} "
            f"| {fmt_ms(r.client_cpu_seconds / r.events)} | {r.backlog_at_end} | {r.catch_up_seconds:.2f} "
            f"| {r.end_to_end_per_second:.0f} |"
        )
    return "\n".join(lines)


@dataclass
class Report:
    date: str
    commit: str
    parameters: str
    machine: str
    table: str
    summary: list[str]

    def markdown(self) -> str:
        bullets = "\n".join(f"- {line}" for line in self.summary)
        return (
            f"### Ingest — {self.date}, commit `{self.commit}`\n\n"
            f"Parameters: {self.parameters}.\n\nMachine: {self.machine}.\n\n"
            f"{self.table}\n\n{bullets}\n"
        )


def log_problems(log: str, limit: int = 10) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if re.search(r"\b(ERROR|CRITICAL|WARNING)\b|Traceback|Exception", line)
    ][:limit]


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=5000, help="events to post, split across the levels (5000)"
    )
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts (1,8,32)")
    parser.add_argument("--warmup", type=int, default=50, help="extra events posted before timing (50)")
    parser.add_argument(
        "--level-seconds",
        type=float,
        default=20.0,
        help="time budget per level; unposted events pass to the next level (20)",
    )
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="raw asyncio HTTP/1.1 (default, least client CPU) or httpx.AsyncClient",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="server data dir (default: a fresh temp dir, removed after)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir and server log")
    parser.add_argument("--url", help="an existing server's base URL (with --dsn): do not start one")
    parser.add_argument("--dsn", help="DSN of a project on the existing server given by --url")
    parser.add_argument("--server-pid", type=int, help="pid of the existing server, for CPU and RSS figures")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"replace the ingest section of {DOC.relative_to(ROOT)} (default on)",
    )
    args = parser.parse_args(argv)
    args.levels = [int(part) for part in args.concurrency.split(",") if part.strip()]
    if not args.levels or min(args.levels) < 1:
        parser.error("--concurrency needs positive integers, e.g. 1,8,32")
    if args.events < len(args.levels):
        parser.error("--events must be at least the number of concurrency levels")
    if bool(args.url) != bool(args.dsn):
        parser.error("--url and --dsn go together")
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Measurement:
    results: list[LevelResult]
    rss_after_start: dict[str, int] | None
    idle_cpu_share: float | None  # server CPU seconds per second while nothing is posted


async def measure(
    args: argparse.Namespace,
    target: Target,
    pid: int | None,
    warmup: Sequence[PreparedEnvelope],
    measured: Sequence[PreparedEnvelope],
) -> Measurement:
    # A fresh connection per poll: on a kept-alive connection each answer currently arrives about
    # 40 ms late (Nagle's algorithm meeting delayed ACKs), which would blur the catch-up time.
    async with httpx.AsyncClient(base_url=target.url, headers={"Connection": "close"}) as health_client:
        await wait_for_catch_up(health_client)  # bootstrap's events, and so the project key, projected
        rss_after_start = proc_status(pid) if pid else None
        idle_cpu_share = None
        if pid:
            before, started = proc_cpu_seconds(pid), time.perf_counter()
            await asyncio.sleep(IDLE_SAMPLE_SECONDS)
            idle_cpu_share = (proc_cpu_seconds(pid) - before) / (time.perf_counter() - started)
        if warmup:
            async with posters(args.client, target, 1) as posts:
                await post_all(posts, warmup)
            await wait_for_catch_up(health_client)
        results: list[LevelResult] = []
        posted = 0
        for index, concurrency in enumerate(args.levels):
            chunk = next_slice(measured, posted, len(args.levels) - index)
            say(
                f"posting {len(chunk)} events with {concurrency} concurrent clients "
                f"(at most {args.level_seconds:.0f} s) ..."
            )
            result = await run_level(
                args.client, target, pid, health_client, concurrency, chunk, args.level_seconds
            )
            posted += result.events
            say(
                f"  {result.events} events, {result.events_per_second:.0f} events/s, "
                f"p50 {result.percentile_ms(0.5):.1f} ms, p99 {result.percentile_ms(0.99):.1f} ms, "
                f"catch-up {result.catch_up_seconds:.2f} s"
            )
            results.append(result)
    return Measurement(results, rss_after_start, idle_cpu_share)


def run(args: argparse.Namespace, server: LocalServer | None) -> Report:
    load_before = os.getloadavg()[0]  # other work on the 2 cores skews everything; say so
    if server is not None:
        say(f"starting stackline serve on {server.url} (data dir {server.data_dir}) ...")
        server.start()
        credentials = server.bootstrap("acme", "web")
        url, dsn, pid = server.url, credentials["dsn"], server.pid
    else:
        url, dsn, pid = args.url, args.dsn, args.server_pid
    target = target_for(url, dsn)

    say(f"building {args.events + args.warmup} envelopes with sentry-sdk {sentry_sdk.VERSION} ...")
    started = time.perf_counter()
    envelopes = build_envelopes(dsn, args.events + args.warmup, args.seed)
    build_seconds = time.perf_counter() - started
    warmup, measured = envelopes[: args.warmup], envelopes[args.warmup :]
    gc.collect()
    gc.freeze()  # the prepared bodies are long-lived; keep the collector from rescanning them
    compressed = statistics.mean(len(e.body) for e in envelopes)
    raw = statistics.mean(e.raw_size for e in envelopes)
    say(
        f"  built in {build_seconds:.1f} s; mean body {compressed / 1024:.1f} KiB gzipped, "
        f"{raw / 1024:.1f} KiB raw"
    )

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        measurement = runner.run(measure(args, target, pid, warmup, measured))
    results, baseline = measurement.results, measurement.rss_after_start

    total_events = sum(r.events for r in results)
    total_post = sum(r.wall_seconds for r in results)
    total_catch_up = sum(r.catch_up_seconds for r in results)
    summary = [
        (
            f"All {total_events} measured events answered 200 with their own event id; posting took "
            f"{total_post:.1f} s in all, projection catch-up after the levels' last 200s "
            f"{total_catch_up:.2f} s "
            f"(end to end {total_events / (total_post + total_catch_up):.0f} events/s)."
        ),
    ]
    budgeted = [str(r.concurrency) for r in results if r.stopped_by_budget]
    if budgeted:
        summary.append(
            f"Concurrency {', '.join(budgeted)} stopped at the {args.level_seconds:.0f} s per-level "
            f"budget; the events it left went to the levels after it."
        )
    if measurement.idle_cpu_share is not None:
        summary.append(
            f"Idle server CPU before posting: {measurement.idle_cpu_share * 100:.1f}% of one core."
        )
    if pid:
        end = proc_status(pid)
        start_rss = f"{baseline['VmRSS'] / 1024:.0f} MiB after start-up, " if baseline else ""
        summary.append(
            f"Server RSS: {start_rss}{end['VmRSS'] / 1024:.0f} MiB at the end (VmRSS), "
            f"peak {end['VmHWM'] / 1024:.0f} MiB (VmHWM)."
        )
    else:
        summary.append("Server RSS: n/a (existing server; pass --server-pid to measure).")

    parameters = (
        f"{total_events} events (+{args.warmup} warm-up, not counted) over concurrency "
        f"{', '.join(map(str, args.levels))}, an even share each, at most {args.level_seconds:.0f} s per "
        "level; one keep-alive connection per client ("
        f"{'raw asyncio HTTP/1.1' if args.client == 'raw' else 'httpx.AsyncClient'}); sentry-sdk "
        f"{sentry_sdk.VERSION} envelopes, one error or message event each, gzip level {GZIP_LEVEL}, "
        f"mean {compressed / 1024:.1f} KiB on the wire ({raw / 1024:.1f} KiB raw); "
        f"{'server started by the bench on a fresh data dir' if server else 'existing server at ' + url}"
    )
    machine = (
        f"{os.cpu_count()} cores ({cpu_model()}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; client and server on the same machine; "
        f"1-minute load average {load_before:.2f} before the run"
    )
    return Report(
        dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        git_commit(),
        parameters,
        machine,
        markdown_table(results),
        summary,
    )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so `finally` stops the server


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    server: LocalServer | None = None
    temp_dir: Path | None = None
    if not args.url:
        temp_dir = Path(tempfile.mkdtemp(prefix="stackline-bench-"))
        data_dir = args.data_dir.resolve() if args.data_dir else temp_dir / "data"
        server = LocalServer(data_dir=data_dir, log_path=temp_dir / "serve.log")
    failed = True
    try:
        report = run(args, server)
        failed = False
    finally:
        if server is not None:
            code = server.stop()
            problems = log_problems(server.log())
            # uvicorn re-raises the SIGTERM it handled once shut down, so -SIGTERM is a clean exit.
            if code not in (0, -signal.SIGTERM, None) or problems or failed:
                say(f"server exited with {code}; log {server.log_path}:")
                for line in problems or server.log().splitlines()[-20:]:
                    say(f"  {line}")
            else:
                say(f"server stopped cleanly (exit {code}); no warnings or errors in its log")
            if temp_dir is not None and not (args.keep or failed):
                shutil.rmtree(temp_dir, ignore_errors=True)
            elif temp_dir is not None:
                say(f"kept {temp_dir}")
    print(report.markdown())
    if args.write:
        write_section("ingest", None, report.markdown())
        say(f"wrote the ingest section of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
