"""Background work inside `serve` survives its database's mishaps. When the read-model database
drops every connection (a PostgreSQL restart or failover looks like this), the next requests and
events go through as before. A projector that crashes (its table gone for a while) is restarted
until it works again, and `/healthz` says what crashed and how often."""

from __future__ import annotations

import time
from pathlib import Path

import asyncpg
import httpx
import sentry_sdk

from tests import postgres
from tests.e2e.conftest import backend_settings
from tests.e2e.server import Server, sentry_client

TITLES = '{ project(organizationSlug: "sup", slug: "api") { issues { edges { node { title } } } } }'


def titles(server: Server, token: str) -> set[str]:
    data = server.graphql(TITLES, token=token)["data"]
    return {edge["node"]["title"] for edge in data["project"]["issues"]["edges"]}


def wait_for_title(server: Server, token: str, title: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not any(title in t for t in titles(server, token)):
        assert time.monotonic() < deadline, (title, titles(server, token), server.log()[-3000:])
        time.sleep(0.3)


def drop_connections(database_url: str) -> int:
    database = database_url.rsplit("/", 1)[1]

    async def terminate() -> int:
        conn = await asyncpg.connect(postgres.ADMIN_URL)
        try:
            rows = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            return len(rows)
        finally:
            await conn.close()

    return postgres.run_sync(terminate())


def test_events_after_the_database_dropped_every_connection_reach_every_projector(tmp_path: Path) -> None:
    with backend_settings("postgres") as env, Server(tmp_path / "data", env=env).start() as server:
        boot = server.bootstrap("sup", "api")
        with sentry_client(boot["dsn"]):
            try:
                raise ValueError("before the outage")
            except ValueError as error:
                sentry_sdk.capture_exception(error)
        wait_for_title(server, boot["token"], "before the outage")

        assert drop_connections(env["STACKLINE_DATABASE_URL"]) > 0

        with sentry_client(boot["dsn"]):
            try:
                raise ValueError("after the outage")
            except ValueError as error:
                sentry_sdk.capture_exception(error)
        wait_for_title(server, boot["token"], "after the outage")

        # Every projector has reached the log's head.
        deadline = time.monotonic() + 60
        while True:
            health = httpx.get(f"{server.url}/healthz").json()
            projectors = health["projectors"]
            if all(p["running"] and p["position"] == health["eventstore_head"] for p in projectors.values()):
                break
            assert time.monotonic() < deadline, health
            time.sleep(0.3)
        assert set(projectors) == {"readmodels", "analytics", "webhooks", "alerts"}, projectors


def rename_table(database_url: str, old: str, new: str) -> None:
    async def rename() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f"ALTER TABLE {old} RENAME TO {new}")
        finally:
            await conn.close()

    postgres.run_sync(rename())


def test_a_crashed_projector_is_restarted_until_it_works_again(tmp_path: Path) -> None:
    with backend_settings("postgres") as env, Server(tmp_path / "data", env=env).start() as server:
        boot = server.bootstrap("sup", "api")
        # The issues table goes away: projecting the next error fails, again and again.
        rename_table(env["STACKLINE_DATABASE_URL"], "issues", "issues_away")
        with sentry_client(boot["dsn"]):
            sentry_sdk.capture_message("while the table is away")
        deadline = time.monotonic() + 60
        while not httpx.get(f"{server.url}/healthz").json()["task_restarts"].get("projector"):
            assert time.monotonic() < deadline, server.log()[-3000:]
            time.sleep(0.3)
        health = httpx.get(f"{server.url}/healthz").json()
        assert "issues" in health["last_crash"]["projector"], health

        # Back again: the restarted projector projects the event it had failed on.
        rename_table(env["STACKLINE_DATABASE_URL"], "issues_away", "issues")
        wait_for_title(server, boot["token"], "while the table is away")
        assert httpx.get(f"{server.url}/healthz").json()["projector_running"] is True
