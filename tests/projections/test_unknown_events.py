"""A stored event of a type this code does not know (a newer version wrote it) is skipped by
the projectors, counted and logged: the projector goes on, and `/healthz` can say so."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from stackline.app.wiring import read_model_projector
from stackline.domain import registry
from stackline.eventstore import NewEvent, StreamState
from stackline.eventstore.sqlite import SQLiteEventStore
from stackline.readmodels.db import create_engine, migrate


def test_the_projector_skips_an_unknown_type_and_counts_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'readmodels.sqlite3'}"
    migrate(url)

    async def project() -> int:
        store = SQLiteEventStore(tmp_path / "events.sqlite3")
        engine = create_engine(url)
        try:
            result = await store.append(
                "organization-future",
                [NewEvent("OrganizationRenamedInTheFuture", {"slug": "x"})],
                StreamState.ANY,
            )
            runner = read_model_projector(store, engine, None)
            await runner.run_until(result.position)
            return runner.position
        finally:
            await engine.dispose()
            await store.close()

    before = registry.unknown_event_types().get("OrganizationRenamedInTheFuture", 0)
    with caplog.at_level(logging.WARNING, logger=registry.__name__):
        assert asyncio.run(project()) == 1  # past the event: the projector did not stop at it
    assert registry.unknown_event_types()["OrganizationRenamedInTheFuture"] > before
    assert any("OrganizationRenamedInTheFuture" in r.getMessage() for r in caplog.records)
