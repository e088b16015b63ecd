"""`stackline replay` rebuilds the read models from the event store, row for row."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.app.replay import replay
from stackline.app.settings import Settings
from stackline.domain import error_event
from stackline.projections.issues import IssuesProjection
from stackline.readmodels.db import sync_url
from stackline.readmodels.schema import metadata
from tests.e2e.conftest import backend_settings
from tests.e2e.server import Server, sentry_client, stackline
from tests.e2e.test_lifecycle import (
    MERGE,
    UNMERGE,
    Project,
    checkout_failure,
    inventory_failure,
    payment_failure,
    send,
)
from tests.e2e.test_skeleton import capture, parse_order

VOLATILE = {"projector_checkpoints": {"updated_at"}}


def dump(database_url: str) -> dict[str, list[tuple]]:
    """Every read-model row, in a stable order, without columns that record wall-clock time."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            tables = {}
            for table in metadata.sorted_tables:
                columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, set())]
                rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
                tables[table.name] = [tuple(_comparable(v) for v in row) for row in rows]
            return tables
    finally:
        engine.dispose()


def _comparable(value: object) -> object:
    if isinstance(value, dt.datetime):  # SQLite keeps no zone; PostgreSQL hands back UTC
        return (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(dt.UTC).replace(tzinfo=None)
        )
    return value


@pytest.fixture(params=["embedded", "postgres"])
def stopped_server(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[Server, str]]:  # noqa: ANN001
    with backend_settings(request.param) as env:
        server = Server(tmp_path / "data", env=env).start()
        try:
            project = Project(server, "replayed")
            send(
                project.dsn,
                checkout_failure,
                1,
                release="r@1",
                user={"id": "a"},
                tags={"region": "eu"},
                times=3,
            )
            send(project.dsn, inventory_failure, "sku", release="r@2", user={"email": "b@example.com"})
            send(project.dsn, payment_failure, 7, times=2)
            with sentry_client(project.dsn):
                capture(parse_order, "x")
            issues = project.wait_issue(lambda i: True) and None
            deadline = time.monotonic() + 15
            while len(issues := [i for i in project.issues() if i["version"] == 0]) < 4:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            by_type = {i["title"].split(":")[0]: i for i in issues}
            project.update(id=by_type["RuntimeError"]["id"], expectedVersion=0, status="RESOLVED")
            merged = project.query(
                MERGE,
                {"input": {"issueIds": [by_type["LookupError"]["id"], by_type["ArithmeticError"]["id"]]}},
            )["mergeIssues"]["issue"]
            send(project.dsn, payment_failure, 8)  # lands on the merge's target
            merged = project.wait_issue(
                lambda i: i["timesSeen"] == merged["timesSeen"] + 1, issue_id=merged["id"]
            )
            own = by_type["LookupError"]["grouping"]["hashes"][0]
            split = project.query(
                UNMERGE,
                {
                    "input": {
                        "issueId": merged["id"],
                        "hash": next(h for h in merged["grouping"]["hashes"] if h != own),
                        "expectedVersion": merged["version"],
                    }
                },
            )["unmergeIssue"]
            assert split["userErrors"] == []
            project.query(
                MERGE,
                {"input": {"issueIds": [by_type["LookupError"]["id"], by_type["ArithmeticError"]["id"]]}},
            )
            project.update(
                id=by_type["ValueError"]["id"], expectedVersion=0, status="IGNORED", ignoreUntilEventCount=10
            )
            send(project.dsn, checkout_failure, 2, release="r@3")  # regresses the resolved one
            project.wait_issue(
                lambda i: i["substatus"] == "regressed", issue_id=by_type["RuntimeError"]["id"]
            )
        finally:
            server.stop()
        database_url = (
            env.get("STACKLINE_DATABASE_URL") or f"sqlite:///{tmp_path / 'data' / 'readmodels.sqlite3'}"
        )
        yield server, database_url


def test_replay_rebuilds_the_read_models_row_for_row(stopped_server: tuple[Server, str]) -> None:
    server, database_url = stopped_server
    live = dump(database_url)
    assert len(live["issues"]) == 4 and len(live["events"]) == 9 and live["issue_activity"]
    assert {row[3] for row in live["issue_activity"]} >= {"IssueMerged", "IssueUnmerged", "IssueAbsorbed"}

    done = stackline("replay", "--quiet", "--data-dir", str(server.data_dir), env=server.env)
    assert "replayed" in done.stdout
    rebuilt = dump(database_url)
    for table in live:
        assert rebuilt[table] == live[table], f"table {table} differs after replay"


def test_replay_refuses_while_the_projector_runs(stopped_server: tuple[Server, str]) -> None:
    server, _ = stopped_server
    server.start()
    try:
        with pytest.raises(RuntimeError, match="running in another process"):
            stackline("replay", "--quiet", "--data-dir", str(server.data_dir), env=server.env)
    finally:
        server.stop()


def test_a_replay_under_a_newer_grouping_config_regroups_from_the_stored_payloads(
    stopped_server: tuple[Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event was grouped at ingest, under the config of the day. A replay under another
    config reads the payloads back (the events' bodies, which following the log leaves out)
    and groups them anew: here by the same rules, so the same read models come out."""
    server, database_url = stopped_server
    live = dump(database_url)
    regrouped = []

    def group_event(payload: dict):  # noqa: ANN202 - the domain's own result type
        regrouped.append(payload["event_id"])
        return grouping(payload)

    grouping = error_event.group_event
    monkeypatch.setattr(error_event, "GROUPING_CONFIG", "stackline:next")
    monkeypatch.setattr(error_event, "group_event", group_event)
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    asyncio.run(replay(Settings.load(server.data_dir), projection="readmodels", progress=False))
    assert sorted(regrouped) == sorted(row[1] for row in live["events"])
    rebuilt = dump(database_url)
    for table in live:
        assert rebuilt[table] == live[table], f"table {table} differs after replay"


def test_a_replay_finishes_while_the_read_models_hold_the_write_lock_past_the_busy_timeout(
    stopped_server: tuple[Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A default replay runs the analytics projector in a second process on the same read-model
    database. Here the read models' window keeps its transaction open (its write lock, on SQLite)
    for as long as that process lives, longer than SQLite's 30 s busy timeout if the analytics
    side waits for it: as an index build or a large window did at 300 k events. The replay
    still finishes, and both projectors' checkpoints are where they were live."""
    server, database_url = stopped_server
    live = dump(database_url)
    flush = IssuesProjection.flush

    async def flush_and_hold(self: IssuesProjection, conn: AsyncConnection) -> None:
        await flush(self, conn)
        deadline = time.monotonic() + 10
        while not multiprocessing.active_children() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the analytics process is starting
        deadline = time.monotonic() + 90
        while multiprocessing.active_children() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)

    monkeypatch.setattr(IssuesProjection, "flush", flush_and_hold)
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    asyncio.run(replay(Settings.load(server.data_dir), progress=False))
    rebuilt = dump(database_url)
    for table in live:
        assert rebuilt[table] == live[table], f"table {table} differs after replay"
