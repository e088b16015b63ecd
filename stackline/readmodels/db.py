"""Connecting to the SQL read model database and bringing its schema up to date.

`migrate` runs alembic, the only thing allowed to change the schema. SQLite connections get
WAL mode so the API reads while a projector writes.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, NullPool, event, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # SQLite's default page cache is 2 MB: once the read models outgrow it, every insert into an
    # index keyed by ids (events, tags) reads its pages from disk again.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


DRIVERS = {
    # backend: (async driver for the app, blocking driver for alembic)
    "sqlite": ("sqlite+aiosqlite", "sqlite"),
    "postgresql": ("postgresql+asyncpg", "postgresql+psycopg"),
}


def _with_driver(url: str, blocking: bool) -> str:
    parsed = make_url(url)
    drivers = DRIVERS.get(parsed.get_backend_name())
    if drivers is None:
        raise ValueError(
            f"STACKLINE_DATABASE_URL: unsupported database {parsed.get_backend_name()!r} (use sqlite or "
            "postgresql)"
        )
    return parsed.set(drivername=drivers[blocking]).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """`postgresql://…` and `sqlite:///…` as the app's async drivers spell them."""
    return _with_driver(url, blocking=False)


def sync_url(url: str) -> str:
    """The same database through a blocking driver, for alembic."""
    return _with_driver(url, blocking=True)


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str) -> AsyncEngine:
    # orjson for JSON columns: the stdlib encoder was a tenth of a replay's CPU time.
    options: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if make_url(url).get_backend_name() == "postgresql":
        # Plans are made for each statement's values and the table's current size: a generic plan
        # cached while a table was small (a replay's first batches) keeps scanning it whole.
        options.update(
            pool_size=10,
            max_overflow=20,
            # A connection the server dropped (a restart, a failover, an idle timeout) is found
            # on checkout and replaced, instead of failing the request that drew it with a 500.
            pool_pre_ping=True,
            connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
        )
    engine = create_async_engine(async_url(url), **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def check_reachable(url: str) -> None:
    """Connect to the read model database once and leave (blocking): raises what connecting raises."""
    engine = sa_create_engine(sync_url(url), poolclass=NullPool)
    try:
        engine.connect().close()
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Upgrade the read model database to the newest migration (blocking)."""
    command.upgrade(alembic_config(url), "head")


MIGRATION_LOCK = 0x5354_4B4C_0002  # any constant; every stackline process migrating takes the same one


@contextmanager
def exclusive_migration(connection: Connection) -> Iterator[None]:
    """Hold the database's migration lock: processes started together (an API and its projector
    processes) all migrate on start-up, and one must upgrade while the others wait and then find
    the schema at head. Without it, two first start-ups both create the same tables and one dies."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()  # the lock is the session's: alembic's transactions come and go under it
        try:
            yield
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":  # nobody else can see this database
        yield
        return
    with open(f"{database}.migrate.lock", "a") as lock:  # SQLite's own locks last one statement
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
