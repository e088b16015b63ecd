from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests import postgres
from tests.e2e.server import Server

BACKENDS = ["embedded", "postgres"]


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
