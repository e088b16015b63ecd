"""A real `stackline serve` in a subprocess, and the clients tests talk to it with.

Every process started here runs in a process group of its own and is killed with its group on
every way out (a start-up that times out, an early exit, a fixture's teardown, Ctrl-C): a server
left behind holds hundreds of MB and slows the runs after it into more timeouts. It must never
leave a process running once `start` raises or `stop` returns.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sentry_sdk
import websockets

# Generous on purpose: on a loaded 2-core machine a cold start (imports, migrations, chDB) has
# taken over 30 s. A process that dies fails the wait at once, so the deadline only costs time
# when a server truly hangs.
START_TIMEOUT = float(os.environ.get("STACKLINE_TEST_START_TIMEOUT", "120"))
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stackline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "stackline.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,  # a cold CLI start on a loaded machine
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"stackline {' '.join(args)} failed:\n{done.stderr}")
    return done


_spawned: list[subprocess.Popen[str]] = []


@atexit.register
def _kill_leftovers() -> None:
    """A last resort for a test process that ends without running its fixtures' teardown."""
    for process in _spawned:
        if process.returncode is None:
            kill_group(process, signal.SIGKILL, timeout=5)


def spawn(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m stackline.entrypoints.cli ARGS` in a new session (so a process group of its own, which
    `kill_group` ends with every child it started), output to `log_path`."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "stackline.entrypoints.cli", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    _spawned.append(process)
    return process


def kill_group(
    process: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT
) -> None:
    """Send `sig` to the process's group, wait up to `timeout` for the leader, then SIGKILL the
    group (children included, even when the leader has already exited) and reap the leader."""
    pgid = process.pid  # the leader of a new session: its group id is its pid
    try:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    finally:  # even when a Ctrl-C lands while waiting
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        process.wait()


@dataclass
class Server:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # STACKLINE_* settings, e.g. real engines' URLs
    serve_args: tuple[str, ...] = ()  # e.g. ("--no-projectors",)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float | None = None) -> Server:
        """Start `stackline serve` and wait until `/healthz` answers 200. On any failure (the
        process exits, the deadline passes, Ctrl-C) the process group is killed before raising."""
        self.log_path = self.data_dir.parent / f"serve-{self.port}-{time.monotonic_ns()}.log"
        self.process = spawn(
            ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir), *self.serve_args],
            self.log_path,
            self.env,
        )
        try:
            self._wait_healthy(self.process, START_TIMEOUT if timeout is None else timeout)
        except BaseException:
            kill_group(self.process, signal.SIGKILL, timeout=5)
            raise
        return self

    def _wait_healthy(self, process: subprocess.Popen[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"stackline serve exited with {process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() >= deadline:
                raise RuntimeError(f"stackline serve did not become healthy in {timeout:g} s:\n{self.log()}")
            time.sleep(0.2)

    def stored_events(self) -> int:
        """How many events ingest has stored, not counting its own refusal tallies
        (`OutcomesRecorded`, flushed every few seconds): what a rejected request must not change.
        Issue streams are left out: the projector appends to them on its own time, in reaction to
        events accepted earlier."""
        query = "SELECT count(*) FROM events WHERE stream LIKE 'ingest-%' AND type <> 'OutcomesRecorded'"
        return self.event_store_rows(query)[0][0]

    def event_store_rows(self, query: str, *args: object) -> list[tuple]:
        """`query` run on the server's event store itself (PostgreSQL or the SQLite file, read
        only), its parameters written `$1`, `$2`, ...: the rows as tuples."""
        url = self.env.get("STACKLINE_EVENTSTORE_URL")
        if url and url.startswith("postgresql://"):
            import asyncpg

            from tests.postgres import run_sync

            async def fetch() -> list[tuple]:
                conn = await asyncpg.connect(url)
                try:
                    return [tuple(row) for row in await conn.fetch(query, *args)]
                finally:
                    await conn.close()

            return run_sync(fetch())
        import sqlite3

        conn = sqlite3.connect(f"file:{self.data_dir / 'events.sqlite3'}?mode=ro", uri=True)
        try:
            return conn.execute(re.sub(r"\$\d+", "?", query), args).fetchall()
        finally:
            conn.close()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server with `sig` (SIGKILL to simulate a crash), its whole process group with
        it; waits up to 15 s before killing the group outright."""
        if self.process is not None:
            kill_group(self.process, sig)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def bootstrap(self, org: str, project: str) -> dict[str, str]:
        done = stackline(
            "bootstrap",
            "--org",
            org,
            "--project",
            project,
            "--data-dir",
            str(self.data_dir),
            "--json",
            env=self.env,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()


@contextlib.contextmanager
def sentry_client(dsn: str, **options: Any) -> Iterator[None]:
    """A real sentry-sdk client sending to `dsn`; flushed and closed on exit. Scopes start empty:
    what an earlier test set (a transaction name, tags, a user) must not leak into this one."""
    for scope in (
        sentry_sdk.get_global_scope(),
        sentry_sdk.get_isolation_scope(),
        sentry_sdk.get_current_scope(),
    ):
        scope.clear()
    sentry_sdk.init(dsn=dsn, default_integrations=False, auto_enabling_integrations=False, **options)
    try:
        yield
    finally:
        sentry_sdk.flush(timeout=10)
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # back to a disabled client for whoever runs next


class Subscriber:
    """A `graphql-transport-ws` client collecting every `next` payload of one subscription."""

    def __init__(self, url: str, token: str, query: str, variables: dict[str, Any]) -> None:
        self.ws_url = url.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.query = query
        self.variables = variables
        self.received: list[dict] = []
        self.errors: list[Any] = []
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> Subscriber:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        async with websockets.connect(self.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
            )
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": self.query, "variables": self.variables},
                    }
                )
            )
            # The server registers the subscription as it starts executing it; a ping round trip
            # after the subscribe message means the subscribe message has been handled.
            await ws.send(json.dumps({"type": "ping"}))
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "pong":
                    # The pong proves the subscribe message was read; the operation itself starts
                    # in a task of its own, which registers with the bus a moment later.
                    await asyncio.sleep(0.5)
                    self._ready.set()
                elif message["type"] == "next" and message["payload"].get("errors"):
                    self.errors.append(message["payload"]["errors"])
                elif message["type"] == "next":
                    self.received.append(message["payload"])
                elif message["type"] == "error":
                    self.errors.append(message["payload"])
                    self._ready.set()

    async def wait_for_error(self, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while not self.errors:
            if time.monotonic() > deadline:
                raise AssertionError(f"no error arrived; got {self.received}")
            await asyncio.sleep(0.05)
        return self.errors[0]

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not predicate(self.received):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"subscription did not deliver in time; got {self.received} errors {self.errors}"
                )
            await asyncio.sleep(0.05)
