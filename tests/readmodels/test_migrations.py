"""Alembic migrations are the only way the read-model schema changes: the migration head and the
SQLAlchemy models must agree, on every database engine stackline supports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from stackline.readmodels.db import migrate, sync_url
from stackline.readmodels.schema import metadata, on_dialect
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
            [sys.executable, "-m", "stackline.app.cli", "migrate", "--data-dir", str(tmp_path / "d")],
            env={"STACKLINE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "migrated to head" in done.stdout


def test_an_unreachable_database_names_the_setting(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stackline.app.cli", "migrate", "--data-dir", str(tmp_path / "d")],
        env={"STACKLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "STACKLINE_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
