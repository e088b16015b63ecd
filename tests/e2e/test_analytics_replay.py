"""An analytics replay in the engine (`projections/analytics_replay.py`: the store hands over the
log as stored, the engine makes the error rows) fills every analytics table row for row as the
projector does, on a log of real SDK events of many shapes, merges, an unmerge, an erasure and
a retention run."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from stackline.analytics.schema import TABLES
from tests.e2e.conftest import backend_settings
from tests.e2e.server import Server, sentry_client
from tests.e2e.test_analytics import send_mix
from tests.e2e.test_erasure import ALICE, BOB, ERASE, send_as
from tests.e2e.test_ingest_protocol import CORPUS, Target
from tests.e2e.test_lifecycle import (
    MERGE,
    UNMERGE,
    Project,
    checkout_failure,
    inventory_failure,
    payment_failure,
    send,
)
from tests.e2e.test_retention import a_cutoff, retention, wait_counted


@pytest.fixture(params=["embedded", "postgres"])
def stopped_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    with backend_settings(request.param) as env:
        server = Server(tmp_path / "data", env=env).start()
        try:
            aged = Project(server, "aged")  # what retention deletes and snapshots, below
            send(aged.dsn, checkout_failure, 3, user={"id": "a"}, tags={"region": "eu"}, times=3)
            send(aged.dsn, inventory_failure, "sku", user={"email": "b@example.com"}, times=2)
            wait_counted(aged, 5)
            cutoff = a_cutoff()
            samples = Target(server, "corpusco", "samples")
            for path in sorted((CORPUS / "sentry-samples").glob("*.json")):
                payload = json.loads(path.read_text())
                payload["event_id"] = uuid.uuid4().hex
                assert samples.post(json.dumps(payload).encode(), "store").status_code == 200, path.name
            envelopes = Target(server, "corpusco", "envelopes")
            for path in sorted((CORPUS / "sdk-envelopes").iterdir()):
                assert envelopes.post(path.read_bytes()).status_code == 200, path.name
            send_mix(server.bootstrap("mixco", "web")["dsn"])

            people = Target(server, "shopco", "web")
            with sentry_client(people.dsn, send_default_pii=True, traces_sample_rate=1.0):
                with sentry_sdk.new_scope() as scope:
                    scope.set_user(ALICE)
                    with sentry_sdk.start_transaction(name="checkout", op="http.server"):
                        pass
                send_as(ALICE)
                send_as(BOB)
            people.wait(lambda p: p["issues"]["totalCount"] >= 1 and p["transactions"]["totalCount"] >= 1)
            erased = people.mutate(ERASE, {"organizationSlug": "shopco", "email": ALICE["email"]})
            assert erased["eraseUser"]["subjectsErased"] == 1

            shop = Project(server, "merged")
            send(shop.dsn, checkout_failure, 1, user={"id": "a"}, tags={"region": "eu"}, times=2)
            send(shop.dsn, payment_failure, 7, user={"email": "b@example.com"})
            deadline = time.monotonic() + 15
            while len(issues := shop.issues()) < 2:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            own = {i["id"]: i["grouping"]["hashes"] for i in issues}
            merged = shop.query(MERGE, {"input": {"issueIds": [i["id"] for i in issues]}})["mergeIssues"][
                "issue"
            ]
            send(shop.dsn, payment_failure, 8)  # lands on the merge's target
            merged = shop.wait_issue(lambda i: i["timesSeen"] == 4, issue_id=merged["id"])
            split = shop.query(
                UNMERGE,
                {
                    "input": {
                        "issueId": merged["id"],
                        "hash": next(h for h in merged["grouping"]["hashes"] if h not in own[merged["id"]]),
                        "expectedVersion": merged["version"],
                    }
                },
            )["unmergeIssue"]
            assert split["userErrors"] == []
            # As of 15 s after the cutoff, a max age of 15 s expires what was recorded before it.
            expired = retention(server, "15s", now=cutoff + 15)
            assert "deleted" in expired and "deleted 0 events" not in expired, expired
        finally:
            server.stop()
        yield server


def test_the_engine_fills_every_analytics_table_as_the_projector_does(stopped_server: Server) -> None:
    by_projector, _ = in_own_process(stopped_server, in_engine=False)
    by_engine, in_engine = in_own_process(stopped_server, in_engine=True)
    errors = sum(1 for row in by_projector["events"] if row[2] == "error")
    assert in_engine == errors >= 20  # the engine made every error row, the projector none
    types = {row[2] for row in by_projector["events"]}
    assert types == {"error", "transaction"} and by_projector["sessions"] and by_projector["outcomes"]
    assert by_projector["error_tag_counts"] and by_projector["issue_tag_counts"]
    for table in TABLES:
        assert by_engine[table] == by_projector[table], f"analytics table {table} differs"


def in_own_process(server: Server, in_engine: bool) -> tuple[dict[str, list[Any]], int]:
    """A replay of analytics alone, then every analytics table; in a fresh interpreter, since
    chDB binds a process to one directory."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_replay_and_dump, server.data_dir, server.env, in_engine).result(timeout=300)


def _replay_and_dump(
    data_dir: Path, env: dict[str, str], in_engine: bool
) -> tuple[dict[str, list[Any]], int]:
    os.environ.update(env)
    from stackline.analytics.chdb import ChdbExecutor
    from stackline.app.replay import replay
    from stackline.app.settings import Settings
    from stackline.projections import analytics_replay

    made_by_engine = 0
    apply = analytics_replay.EngineAnalyticsReplay._apply

    async def counting(self: analytics_replay.EngineAnalyticsReplay, batch: list) -> None:
        nonlocal made_by_engine
        before = self.in_engine
        await apply(self, batch)
        made_by_engine += self.in_engine - before

    analytics_replay.EngineAnalyticsReplay._apply = counting  # type: ignore[method-assign]

    async def run() -> dict[str, list[Any]]:
        settings = Settings.load(data_dir)
        await replay(settings, projection="analytics", progress=False, in_engine=in_engine)
        executor = await ChdbExecutor.open(settings.analytics_dir)
        try:
            return {
                table: await executor.query(f"SELECT * FROM {table} FINAL ORDER BY ALL") for table in TABLES
            }
        finally:
            await executor.close()

    return asyncio.run(run()), made_by_engine
