from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from stackline.eventstore import EventStore
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


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """A factory opening the same store again (for reopen tests), per engine."""
    if request.param == "sqlite":
        async def open_sqlite() -> EventStore:
            return SQLiteEventStore(tmp_path / "events.sqlite3")

        return open_sqlite
    database = request.getfixturevalue("pg_database")
    url = postgres.url_for(database, await postgres.create_schema(database))
    return lambda: PostgresEventStore.open(url)


@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[EventStore]:
    opened = await open_store()
    yield opened
    await opened.close()
