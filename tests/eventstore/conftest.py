from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from stackline.eventstore import EventStore
from stackline.eventstore.kurrentdb import KurrentDBEventStore
from stackline.eventstore.port import Upcasters
from stackline.eventstore.postgres import PostgresEventStore
from stackline.eventstore.sqlite import SQLiteEventStore
from tests import postgres

OpenStore = Callable[[], Awaitable[EventStore]]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One database per test run on the real PostgreSQL server; one schema per test inside it."""
    name = postgres.run_sync(postgres.create_database())
    yield name
    postgres.run_sync(postgres.drop_database(name))


@pytest.fixture
def upcasters() -> Upcasters:
    """The upcasters the stores under test read through (tests may register more)."""
    return Upcasters()


KURRENTDB_URL = os.environ.get("STACKLINE_TEST_KURRENTDB_URL")


@pytest.fixture(params=["sqlite", "postgres", "kurrentdb"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path, upcasters: Upcasters) -> OpenStore:
    """A factory opening the same store again (for reopen tests), per engine."""
    if request.param == "sqlite":

        async def open_sqlite() -> EventStore:
            return SQLiteEventStore(tmp_path / "events.sqlite3", upcasters)

        return open_sqlite
    if request.param == "kurrentdb":
        if not KURRENTDB_URL:
            pytest.skip(
                "KurrentDB contract: set STACKLINE_TEST_KURRENTDB_URL (e.g. kurrentdb://127.0.0.1:2113?tls=false)"
            )
        # A fresh namespace per test: the store only sees its own streams in a shared server.
        separator = "&" if "?" in KURRENTDB_URL else "?"
        url = f"{KURRENTDB_URL}{separator}namespace=t{uuid.uuid4().hex[:12]}"
        return lambda: KurrentDBEventStore.open(url, upcasters)
    database = request.getfixturevalue("pg_database")
    url = postgres.url_for(database, await postgres.create_schema(database))
    return lambda: PostgresEventStore.open(url, upcasters)


@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[EventStore]:
    opened = await open_store()
    yield opened
    await opened.close()
