"""Per-user erasure: a person's e-mail and IP, sent by the real SDK, are never stored in clear;
GraphQL shows them until an owner erases the person, then `[erased]` everywhere (a replay of
the read models too), while another person's data in the same issue stays readable."""

from __future__ import annotations

import json
import time
from pathlib import Path

import sentry_sdk
from sentry_sdk import logger as sentry_logger

from tests import postgres
from tests.e2e.server import Server, sentry_client, stackline
from tests.e2e.test_ingest_protocol import Target

ALICE = {"email": "alice.erasable@example.org", "ip_address": "203.0.113.71", "username": "alice_e"}
BOB = {"email": "bob.keeps@example.org", "ip_address": "198.51.100.42", "username": "bob_k"}
ISSUES = """query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) {
  issues(first: 10) { edges { node { timesSeen userCount tags(top: 10) { key topValues { value count } } } } }
  feedback { name email comments } logs(first: 10) { edges { node { body attributes } } } } }"""
EVENT = """query ($org: String!, $p: String!, $e: String!) { project(organizationSlug: $org, slug: $p) {
  event(eventId: $e) { eventId tags { key value } payload } } }"""
ERASE = """mutation ($input: EraseUserInput!) { eraseUser(input: $input) {
  subjectsErased userErrors { message field } } }"""
SEARCH = """query ($org: String!, $p: String!, $q: String!) { project(organizationSlug: $org, slug: $p) {
  issues(first: 10, query: $q) { totalCount } } }"""


def checkout_failed() -> None:
    raise RuntimeError("checkout failed")


def send_as(person: dict[str, str]) -> str:
    with sentry_sdk.new_scope() as scope:
        scope.set_user(person)
        try:
            checkout_failed()
        except RuntimeError:
            event_id = sentry_sdk.capture_exception()
    assert event_id is not None
    return event_id


def event_of(target: Target, event_id: str) -> dict:
    result = target.server.graphql(EVENT, {"org": target.org, "p": target.slug, "e": event_id}, target.token)
    assert "errors" not in result, result
    return result["data"]["project"]["event"]


def issues_of(target: Target) -> dict:
    result = target.server.graphql(ISSUES, {"org": target.org, "p": target.slug}, target.token)
    assert "errors" not in result, result
    return result["data"]["project"]


def wait_for(target: Target, predicate) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + 15
    while not predicate(project := issues_of(target)):
        assert time.monotonic() < deadline, f"not there in time: {project}\n{target.server.log()[-3000:]}"
        time.sleep(0.1)
    return project


def tag_values(project: dict, key: str) -> set[str]:
    return {
        value["value"]
        for edge in project["issues"]["edges"]
        for tag in edge["node"]["tags"]
        if tag["key"] == key
        for value in tag["topValues"]
    }


def files_of(*directories: Path) -> dict[Path, bytes]:
    return {
        path: path.read_bytes()
        for directory in directories
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def holding(files: dict[Path, bytes], *needles: str) -> list[str]:
    """The files that hold any of `needles` in clear, as `path: needle`."""
    return [
        f"{path}: {needle}" for path, data in files.items() for needle in needles if needle.encode() in data
    ]


def postgres_rows(url: str) -> str:
    """Every row of every table of a PostgreSQL database (every schema but the system's), as text."""
    import asyncpg

    async def dump() -> str:
        conn = await asyncpg.connect(url)
        try:
            tables = await conn.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
            )
            texts = []
            for table in tables:
                rows = await conn.fetch(f'SELECT * FROM "{table["table_schema"]}"."{table["table_name"]}"')
                texts.extend(repr(tuple(row)) for row in rows)
            return "\n".join(texts)
        finally:
            await conn.close()

    return postgres.run_sync(dump())


def clear_text_anywhere(server: Server, *needles: str) -> list[str]:
    """Where a needle is stored in clear: any file of the data directory (event store, read
    models, keys, analytics, blobs, WAL files) or the server's log, and on PostgreSQL any row."""
    assert server.log_path is not None
    found = holding(files_of(server.data_dir), *needles)
    found += [f"log: {needle}" for needle in needles if needle in server.log()]
    for name in ("STACKLINE_EVENTSTORE_URL", "STACKLINE_DATABASE_URL"):
        url = server.env.get(name)
        if url and url.startswith("postgresql://"):
            rows = postgres_rows(url)
            found += [f"{name} rows: {needle}" for needle in needles if needle in rows]
    return found


def test_an_erased_person_reads_erased_everywhere_and_is_stored_nowhere(
    tmp_path: Path, backend_env: dict[str, str]
) -> None:
    server = Server(tmp_path / "data", env=backend_env).start()
    try:
        target = Target(server, "shopco", "web")
        stranger = Target(server, "otherco", "app")
        with sentry_client(target.dsn, send_default_pii=True, traces_sample_rate=1.0, enable_logs=True):
            with sentry_sdk.new_scope() as scope:
                scope.set_user(ALICE)
                with sentry_sdk.start_transaction(name="checkout", op="http.server"):
                    sentry_logger.info("cart of {who} abandoned", who=ALICE["email"])
            alice_event = send_as(ALICE)
            bob_event = send_as(BOB)
            # `{{auto}}` (what browser SDKs send): the address the request came from.
            auto_event = send_as({"email": ALICE["email"], "ip_address": "{{auto}}"})
        wait_for(target, lambda p: sum(e["node"]["timesSeen"] for e in p["issues"]["edges"]) == 3)
        report = target.post(
            b'{}\n{"type":"user_report"}\n'
            + json.dumps(
                {
                    "event_id": alice_event,
                    "name": "Alice Erasable",
                    "email": ALICE["email"],
                    "comments": "it broke",
                }
            ).encode()
        )
        assert report.status_code == 200, report.text
        wait_for(target, lambda p: len(p["feedback"]) == 1 and len(p["logs"]["edges"]) == 1)

        # Shown while the person is known.
        alice = event_of(target, alice_event)
        assert alice["payload"]["user"]["email"] == ALICE["email"]
        assert alice["payload"]["user"]["ip_address"] == ALICE["ip_address"]
        assert {"key": "user.email", "value": ALICE["email"]} in alice["tags"]
        assert event_of(target, auto_event)["payload"]["user"]["ip_address"] == "127.0.0.1"
        before = issues_of(target)
        assert {ALICE["email"], BOB["email"]} <= tag_values(before, "user.email")
        assert before["feedback"][0]["email"] == ALICE["email"]
        log = before["logs"]["edges"][0]["node"]
        assert log["body"] == f"cart of {ALICE['email']} abandoned"
        assert log["attributes"]["user.email"]["value"] == ALICE["email"]
        searched = server.graphql(
            SEARCH, {"org": "shopco", "p": "web", "q": f"user.email:{ALICE['email']}"}, target.token
        )
        assert searched["data"]["project"]["issues"]["totalCount"] == 1, searched
        # ... but never stored in clear, not even in the event store: sealed at ingest.
        assert clear_text_anywhere(server, ALICE["email"], ALICE["ip_address"], BOB["email"]) == []

        # Another organization's owner cannot erase this one's people.
        refused = server.graphql(
            ERASE, {"input": {"organizationSlug": "shopco", "email": ALICE["email"]}}, stranger.token
        )
        assert refused["data"]["eraseUser"]["subjectsErased"] == 0
        assert refused["data"]["eraseUser"]["userErrors"][0]["message"] == "organization not found"
        assert event_of(target, alice_event)["payload"]["user"]["email"] == ALICE["email"]

        erased = target.mutate(ERASE, {"organizationSlug": "shopco", "email": ALICE["email"]})["eraseUser"]
        assert erased == {"subjectsErased": 1, "userErrors": []}

        def erased_everywhere(target: Target) -> None:
            alice = event_of(target, alice_event)
            assert alice["payload"]["user"] == {
                "email": "[erased]",
                "ip_address": "[erased]",
                "username": "[erased]",
            }
            assert {"key": "user.email", "value": "[erased]"} in alice["tags"]
            assert event_of(target, auto_event)["payload"]["user"]["ip_address"] == "[erased]"
            bob = event_of(target, bob_event)
            assert bob["payload"]["user"]["email"] == BOB["email"]
            assert bob["payload"]["user"]["ip_address"] == BOB["ip_address"]
            after = issues_of(target)
            assert tag_values(after, "user.email") == {"[erased]", BOB["email"]}
            assert ALICE["username"] not in tag_values(after, "user.username")
            assert after["feedback"][0]["email"] == "[erased]"
            assert after["feedback"][0]["name"] == "[erased]"
            assert after["feedback"][0]["comments"] == "it broke"
            log = after["logs"]["edges"][0]["node"]
            assert log["body"] == "[erased]"
            assert log["attributes"]["user.email"]["value"] == "[erased]"
            counts = [(e["node"]["timesSeen"], e["node"]["userCount"]) for e in after["issues"]["edges"]]
            assert counts == [(3, 2)]  # counted as before: Alice is still one user, just unnamed

        erased_everywhere(target)
        assert clear_text_anywhere(server, ALICE["email"], ALICE["ip_address"], ALICE["username"]) == []
        audit = server.event_store_rows("SELECT type FROM events WHERE stream LIKE 'erasure-%'")
        assert [row[0] for row in audit] == ["UserErased"]

        # A replay rebuilds every read model (and analytics) from the log: still erased.
        server.stop()
        stackline("replay", "--quiet", "--data-dir", str(server.data_dir), env=backend_env)
        server = Server(server.data_dir, env=backend_env).start()
        target.server = server
        erased_everywhere(target)
        assert clear_text_anywhere(server, ALICE["email"], ALICE["ip_address"]) == []
    finally:
        server.stop()
