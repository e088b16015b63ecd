from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from stackline.eventstore import EventStore
from stackline.eventstore.sqlite import SQLiteEventStore


def sqlite_store(tmp_path: Path) -> Callable[[], EventStore]:
    return lambda: SQLiteEventStore(tmp_path / "events.sqlite3")


ENGINES = {"sqlite": sqlite_store}


@pytest.fixture(params=sorted(ENGINES))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], EventStore]:
    """A factory opening the same store again (for reopen tests), per engine."""
    return ENGINES[request.param](tmp_path)


@pytest.fixture
async def store(open_store: Callable[[], EventStore]) -> AsyncIterator[EventStore]:
    opened = open_store()
    yield opened
    await opened.close()
