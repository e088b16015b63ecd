from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres
from tests.e2e.receivers import empty_mailbox, mailbox, receiver  # noqa: F401 - fixtures for every e2e test
from tests.e2e.server import Server

BACKENDS = ["embedded", "postgres"]
# Pinned JavaScript tools (sentry-cli, esbuild, @sentry/node) from its package-lock.json.
JS_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sourcemaps"


@contextlib.contextmanager
def backend_settings(backend: str) -> Iterator[dict[str, str]]:
    """Settings for one backend: the embedded defaults, or the event store and the read models
    in two fresh databases on the machine's real PostgreSQL (dropped afterwards)."""
    if backend == "embedded":
        yield {}
        return
    event_store = postgres.run_sync(postgres.create_database())
    read_models = postgres.run_sync(postgres.create_database())
    try:
        yield {
            "STACKLINE_EVENTSTORE_URL": postgres.url_for(event_store),
            "STACKLINE_DATABASE_URL": postgres.url_for(read_models),
        }
    finally:
        for name in (event_store, read_models):
            postgres.run_sync(postgres.drop_database(name))


@pytest.fixture(params=BACKENDS)
def backend_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Fresh stores for one test, per backend."""
    with backend_settings(request.param) as env:
        yield env


@pytest.fixture(scope="module", params=BACKENDS)
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """One real `stackline serve` subprocess shared by a module's tests, per backend."""
    with backend_settings(request.param) as env:
        running = Server(tmp_path_factory.mktemp("stackline") / "data", env=env).start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def js_tools() -> Path:
    """The fixture's node_modules (sentry-cli, esbuild, @sentry/node), installed once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(
            "node and npm are not installed: these tests run the real sentry-cli, esbuild and @sentry/node"
        )
    with open(JS_FIXTURE / ".npm-ci.lock", "w") as lock:  # the xdist workers install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS_FIXTURE / "node_modules" / ".package-lock.json").is_file():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=JS_FIXTURE,
                env={**os.environ, "SENTRYCLI_SKIP_DOWNLOAD": "1"},
                check=True,
                capture_output=True,
                timeout=600,
            )
    return JS_FIXTURE
