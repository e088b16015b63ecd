"""The subject keys under load: written in group commits of many requests, yet each one durable
before the events sealed under it are acknowledged, and one key per person even when several API
processes on one data directory meet the same new person at once."""

from __future__ import annotations

import gzip
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sentry_sdk

from tests.e2e.server import Server, free_port, sentry_client
from tests.e2e.test_crash_recovery import CapturingTransport, Load, Outgoing, wait_for_projector
from tests.e2e.test_erasure import ERASE, checkout_failed
from tests.e2e.test_ingest_protocol import Target

PEOPLE = 240
KILL_AFTER_ACKNOWLEDGED = 150
LOOKUPS_PER_QUERY = 40


def person(number: int) -> dict[str, str]:
    return {
        "email": f"person{number}@shop.example",
        "username": f"shopper{number}",
        "ip_address": f"198.51.{number // 250}.{number % 250 + 1}",
    }


def envelopes_of(dsn: str, people: list[dict[str, str]]) -> list[Outgoing]:
    """One real-SDK error event per person, gzip'ed as the SDK posts it (`site`: the e-mail)."""
    transport = CapturingTransport()
    ids = []
    with sentry_client(dsn, transport=transport):
        for who in people:
            with sentry_sdk.new_scope() as scope:
                scope.set_user(who)
                try:
                    checkout_failed()
                except RuntimeError:
                    ids.append(sentry_sdk.capture_exception())
    envelopes = [envelope for envelope in transport.envelopes if envelope.get_event() is not None]
    assert [envelope.get_event()["event_id"] for envelope in envelopes] == ids
    return [
        Outgoing(event_id, who["email"], gzip.compress(envelope.serialize()))
        for event_id, who, envelope in zip(ids, people, envelopes, strict=True)
    ]


def users_shown(target: Target, event_ids: list[str]) -> dict[str, dict | None]:
    """Each event's `payload.user` as GraphQL shows it (None: the event is not found)."""
    shown: dict[str, dict | None] = {}
    for start in range(0, len(event_ids), LOOKUPS_PER_QUERY):
        chunk = event_ids[start : start + LOOKUPS_PER_QUERY]
        lookups = " ".join(
            f'e{n}: event(eventId: "{event_id}") {{ payload }}' for n, event_id in enumerate(chunk)
        )
        result = target.server.graphql(
            f'{{ project(organizationSlug: "{target.org}", slug: "{target.slug}") {{ {lookups} }} }}',
            token=target.token,
        )
        assert "errors" not in result, result
        for n, event_id in enumerate(chunk):
            event = result["data"]["project"][f"e{n}"]
            shown[event_id] = None if event is None else event["payload"]["user"]
    return shown


def test_the_key_of_every_acknowledged_event_survives_a_sigkill(tmp_path: Path) -> None:
    """A new person in every event, SIGKILL in the middle of the burst: after a restart, every
    event that was answered 200 still opens to its person (a key written after the answer, or
    lost with the process, would read `[erased]`)."""
    server = Server(tmp_path / "data").start()
    try:
        target = Target(server, "keyco", "web")
        people = [person(number) for number in range(PEOPLE)]
        outgoing = envelopes_of(target.dsn, people)
        load = Load(server, target.project_id, target.key, outgoing, kill_after=KILL_AFTER_ACKNOWLEDGED).run()
        assert load.killed and server.process is not None and server.process.returncode == -signal.SIGKILL
        assert load.unexpected == [], server.log()
        assert len(load.acknowledged) >= KILL_AFTER_ACKNOWLEDGED

        server.start()
        wait_for_projector(server)
        email_of = {item.event_id: item.site for item in outgoing}
        shown = users_shown(target, sorted(load.acknowledged))
        wrong = {
            event_id: user
            for event_id, user in shown.items()
            if user is None or user.get("email") != email_of[event_id]
        }
        assert wrong == {}, f"{len(wrong)} of {len(shown)} acknowledged events lost their person"
        opened = next(iter(shown.values()))
        assert opened is not None and opened["username"].startswith("shopper")
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


def test_two_api_processes_meeting_a_new_person_at_once_make_one_key(tmp_path: Path) -> None:
    """Both processes get the same new person's events at the same moment, each with its own
    cold cache: the key store keeps one key for them (erasure finds exactly one subject), and
    every event opens under it until the erasure, then none does."""
    balancer = free_port()
    env = {"STACKLINE_PUBLIC_URL": f"http://127.0.0.1:{balancer}/"}
    first = Server(tmp_path / "data", env=env, port=balancer)
    second = Server(tmp_path / "data", env=env, serve_args=("--no-projectors",))
    with first.start(), second.start():
        target = Target(first, "twoco", "web")
        ana = {"email": "ana.twice@shop.example", "username": "ana_t", "ip_address": "203.0.113.5"}
        outgoing = envelopes_of(target.dsn, [ana] * 24)

        def post(numbered: tuple[int, Outgoing]) -> int:
            number, item = numbered
            server = (first, second)[number % 2]
            return httpx.post(
                f"{server.url}/api/{target.project_id}/envelope/",
                content=item.body,
                headers={
                    "Content-Encoding": "gzip",
                    "Content-Type": "application/x-sentry-envelope",
                    "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={target.key}",
                },
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(len(outgoing)) as pool:
            assert list(pool.map(post, enumerate(outgoing))) == [200] * len(outgoing)
        wait_for_projector(first)
        ids = [item.event_id for item in outgoing]
        assert {user["email"] for user in users_shown(target, ids).values() if user} == {ana["email"]}

        erased = target.mutate(ERASE, {"organizationSlug": "twoco", "email": ana["email"]})["eraseUser"]
        assert erased == {"subjectsErased": 1, "userErrors": []}
        assert list(users_shown(target, ids).values()) == [
            {"email": "[erased]", "username": "[erased]"}
        ] * len(ids)
