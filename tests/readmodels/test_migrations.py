"""Alembic migrations are the only way the read-model schema changes: the migration head and the
SQLAlchemy models must agree, on every database engine stackline supports."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, select, text

from stackline.readmodels.db import alembic_config, migrate, sync_url
from stackline.readmodels.schema import issue_hashes, metadata, on_dialect
from tests import postgres


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'readmodels.sqlite3'}"
        return
    name = postgres.run_sync(postgres.create_database())
    try:
        yield postgres.url_for(name)
    finally:
        postgres.run_sync(postgres.drop_database(name))


def test_migration_head_matches_the_models(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            only_here = {"include_object": lambda obj, *_: on_dialect(obj, conn.dialect.name)}
            differences = compare_metadata(MigrationContext.configure(conn, opts=only_here), metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert differences == [], f"models and migrations disagree; add a migration: {differences}"
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_migrate_command_is_idempotent(database_url: str, tmp_path: Path) -> None:
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "stackline.entrypoints.cli", "migrate", "--data-dir", str(tmp_path / "d")],
            env={"STACKLINE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "migrated to head" in done.stdout


def test_processes_starting_together_all_migrate(database_url: str, tmp_path: Path) -> None:
    """An API and its projector processes start at once and each migrates: the ones that lose the
    race wait for the winner's upgrade instead of dying on tables that already exist."""
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "stackline.entrypoints.cli", "migrate", "--data-dir", str(tmp_path / "d")],
            env={"STACKLINE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(racer.wait(timeout=120), racer.stderr.read()) for racer in racers]
    for racer in racers:
        racer.stdout.close()
        racer.stderr.close()
    assert [code for code, _ in outcomes] == [0] * 4, [err for code, err in outcomes if code]
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == tuple(
                ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
            )
    finally:
        engine.dispose()


def test_an_unreachable_database_names_the_setting(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stackline.entrypoints.cli", "migrate", "--data-dir", str(tmp_path / "d")],
        env={"STACKLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "STACKLINE_DATABASE_URL: cannot reach" in done.stderr and "Traceback" not in done.stderr


def test_a_failing_migration_is_not_called_unreachable(tmp_path: Path) -> None:
    """A database that answers but cannot take the schema (here: a table of another program
    where stackline's first migration creates one) names the failed migration and its cause."""
    data = tmp_path / "d"
    data.mkdir()
    engine = create_engine(f"sqlite:///{data / 'readmodels.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE api_tokens (anything TEXT)"))
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "stackline.entrypoints.cli", "migrate", "--data-dir", str(data)],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "migrating" in done.stderr and "api_tokens already exists" in done.stderr, done.stderr
    assert "cannot reach" not in done.stderr and "Traceback" not in done.stderr


def test_grouping_moves_from_the_event_rows_to_their_hash_and_back(database_url: str) -> None:
    """0008 keeps each hash's grouping once, as its latest event recorded it; downgrading puts it
    back on every event row."""
    config = alembic_config(database_url)
    command.upgrade(config, "0007")
    engine = create_engine(sync_url(database_url))
    old, new = (
        {"config": "stackline:1", "variant": "exception", "hash": "a" * 32, "components": [name]}
        for name in ("type:Old", "type:New")
    )
    try:
        with engine.begin() as conn:
            tables = MetaData()
            tables.reflect(conn, only=["events", "issue_hashes"])
            conn.execute(
                tables.tables["issue_hashes"].insert(),
                [{"project_id": 1, "hash": "a" * 32, "issue_id": "i1"}],
            )
            at = datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC)
            conn.execute(
                tables.tables["events"].insert(),
                [
                    {
                        "project_id": 1,
                        "event_id": f"{n:032x}",
                        "organization_id": "o",
                        "issue_id": "i1",
                        "position": n,
                        "timestamp": at,
                        "received_at": at,
                        "level": "error",
                        "title": "t",
                        "tags": [],
                        "grouping": grouping,
                        "hash": "a" * 32,
                    }
                    for n, grouping in ((1, old), (2, new))
                ],
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert conn.execute(select(issue_hashes.c.grouping)).scalars().all() == [new]
            assert "grouping" not in {c["name"] for c in inspect(conn).get_columns("events")}
        command.downgrade(config, "0007")
        with engine.connect() as conn:
            assert [
                json.loads(g) if isinstance(g, str) else g
                for g in conn.execute(text("SELECT grouping FROM events ORDER BY position")).scalars()
            ] == [new, new]
    finally:
        engine.dispose()
