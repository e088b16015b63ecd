"""SIGKILL in the middle of a load of real-SDK envelopes loses nothing acknowledged.

A 200 from ingest means the event is durably in the event store, so after a kill and a restart
every acknowledged event is there, the read models converge to exactly the events the store
holds (no more, no less), and the server takes the rest of the load as if nothing happened.
"""

from __future__ import annotations

import gzip
import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from tests.e2e.server import Server, sentry_client

ENVELOPES_PER_SITE = 100
CLIENTS = 16
KILL_AFTER_ACKNOWLEDGED = 0.4  # of all envelopes
RETRIED_ACKNOWLEDGED = 20
CATCH_UP_SECONDS = 15.0
LOOKUPS_PER_QUERY = 100  # aliased `event(eventId:)` lookups per GraphQL request, under the token limit

ISSUES_QUERY = """
query ($org: String!, $project: String!) {
  project(organizationSlug: $org, slug: $project) {
    issues(first: 100) { totalCount edges { node { culprit timesSeen events(first: 1) { totalCount } } } }
  }
}
"""


class CapturingTransport(Transport):
    """Keeps the SDK's envelopes instead of sending them, so the test decides when they go out."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


class StockExhausted(Exception):
    pass


def parse_quantity(raw: str) -> int:
    return int(raw)  # ValueError


def find_customer(customers: dict[str, str], name: str) -> str:
    return customers[name]  # KeyError


def reserve_stock(sku: str) -> None:
    raise StockExhausted(f"no stock left for {sku}")


def split_bill(total: int, people: int) -> float:
    return total / people  # ZeroDivisionError


SITES = {
    "parse_quantity": lambda i: parse_quantity(f"{i} boxes"),
    "find_customer": lambda i: find_customer({}, f"customer-{i}"),
    "reserve_stock": lambda i: reserve_stock(f"SKU-{i}"),
    "split_bill": lambda i: split_bill(i, 0),
}


@dataclass(frozen=True)
class Outgoing:
    event_id: str
    site: str
    body: bytes  # the SDK's serialized envelope, gzip'ed as the SDK sends it


def build_envelopes(dsn: str) -> list[Outgoing]:
    """Distinct events from every site, interleaved so each site is hit early and late in the load."""
    transport = CapturingTransport()
    sites: list[str] = []
    ids: list[str] = []
    with sentry_client(dsn, transport=transport, release="shop@2.0.0", environment="test"):
        for i in range(ENVELOPES_PER_SITE):
            for site, crash in SITES.items():
                try:
                    crash(i)
                except Exception:  # noqa: BLE001 - the point is to report it
                    ids.append(sentry_sdk.capture_exception())
                    sites.append(site)
    with_events = [envelope for envelope in transport.envelopes if envelope.get_event() is not None]
    assert [envelope.get_event()["event_id"] for envelope in with_events] == ids
    assert len(set(ids)) == len(ids)
    return [
        Outgoing(event_id, site, gzip.compress(envelope.serialize()))
        for event_id, site, envelope in zip(ids, sites, with_events, strict=True)
    ]


@dataclass
class Load:
    """`outgoing` posted by `CLIENTS` concurrent clients, each stopping at its first failed connection.

    With `kill_after`, the client that gets the `kill_after`-th 200 SIGKILLs the server while the
    others go on sending, so some requests are in flight when it dies.
    """

    server: Server
    project_id: str
    public_key: str
    outgoing: list[Outgoing]
    kill_after: int | None = None
    acknowledged: set[str] = field(default_factory=set)
    unacknowledged: set[str] = field(default_factory=set)  # attempted, but no 200 arrived
    unexpected: list[tuple[str, int, str]] = field(default_factory=list)
    sent: int = 0
    killed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> Load:
        with ThreadPoolExecutor(CLIENTS) as pool:
            for done in [pool.submit(self._client) for _ in range(CLIENTS)]:
                done.result()
        return self

    @property
    def remainder(self) -> list[Outgoing]:
        return self.outgoing[self.sent :]

    def _next(self) -> Outgoing | None:
        with self._lock:
            if self.sent == len(self.outgoing):
                return None
            self.sent += 1
            return self.outgoing[self.sent - 1]

    def _client(self) -> None:
        with httpx.Client(timeout=10) as client:
            while (item := self._next()) is not None:
                try:
                    response = post(client, self.server.url, self.project_id, self.public_key, item)
                except httpx.TransportError:  # the server died before answering: may or may not be stored
                    with self._lock:
                        self.unacknowledged.add(item.event_id)
                    return
                with self._lock:
                    if response.status_code != 200 or response.json() != {"id": item.event_id}:
                        self.unexpected.append((item.event_id, response.status_code, response.text))
                        continue
                    self.acknowledged.add(item.event_id)
                    kill = len(self.acknowledged) == self.kill_after
                    self.killed |= kill
                if kill:
                    self.server.stop(signal.SIGKILL)


def post(client: httpx.Client, url: str, project_id: str, public_key: str, item: Outgoing) -> httpx.Response:
    return client.post(
        f"{url}/api/{project_id}/envelope/",
        content=item.body,
        headers={
            "Content-Encoding": "gzip",
            "Content-Type": "application/x-sentry-envelope",
            "X-Sentry-Auth": (
                f"Sentry sentry_version=7, sentry_key={public_key}, sentry_client=crash-recovery-test"
            ),
        },
    )


def wait_for_projector(server: Server) -> dict:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        health = httpx.get(f"{server.url}/healthz", timeout=5).json()
        if health["projector_running"] and health["projector_position"] == health["eventstore_head"]:
            return health
        if time.monotonic() > deadline:
            raise AssertionError(f"projector did not catch up: {health}\n{server.log()}")
        time.sleep(0.05)


def stored_event_ids(server: Server) -> list[str]:
    """The SDK event ids of every `ErrorEventReceived` in the event store, read-only, duplicates kept."""
    path = server.data_dir / "events.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT data FROM events WHERE type = 'ErrorEventReceived' ORDER BY position"
        ).fetchall()
    conn.close()
    return [json.loads(data)["event_id"] for (data,) in rows]


def read_model_event_ids(server: Server, token: str, candidates: list[str]) -> set[str]:
    """Which of `candidates` the read model finds through `project { event(eventId:) }`."""
    found: set[str] = set()
    for start in range(0, len(candidates), LOOKUPS_PER_QUERY):
        chunk = candidates[start : start + LOOKUPS_PER_QUERY]
        lookups = " ".join(
            f'e{n}: event(eventId: "{event_id}") {{ eventId }}' for n, event_id in enumerate(chunk)
        )
        result = server.graphql(
            f'{{ project(organizationSlug: "acme", slug: "shop") {{ {lookups} }} }}', token=token
        )
        assert "errors" not in result, result
        for n, event_id in enumerate(chunk):
            event = result["data"]["project"][f"e{n}"]
            if event is not None:
                assert event["eventId"] == event_id
                found.add(event_id)
    return found


def issues_by_site(server: Server, token: str) -> dict[str, int]:
    """timesSeen per exception site, checked against each issue's own events count."""
    result = server.graphql(ISSUES_QUERY, {"org": "acme", "project": "shop"}, token)
    assert "errors" not in result, result
    issues = result["data"]["project"]["issues"]
    nodes = [edge["node"] for edge in issues["edges"]]
    assert issues["totalCount"] == len(nodes)
    for node in nodes:
        assert node["timesSeen"] == node["events"]["totalCount"], node
    by_site: dict[str, int] = {}
    for node in nodes:
        site = node["culprit"].rsplit(" in ", 1)[-1]
        assert site in SITES and site not in by_site, nodes
        by_site[site] = node["timesSeen"]
    return by_site


def assert_converged(
    server: Server, token: str, outgoing: list[Outgoing], must_hold: set[str], may_hold: set[str]
) -> set[str]:
    """The store holds `must_hold`, nothing outside `may_hold`, each once; the read model exactly that."""
    wait_for_projector(server)
    in_store = stored_event_ids(server)
    stored = set(in_store)
    assert len(in_store) == len(stored), Counter(in_store).most_common(3)
    assert must_hold - stored == set(), f"acknowledged events lost: {sorted(must_hold - stored)}"
    assert stored - may_hold == set(), f"events stored that were never sent: {sorted(stored - may_hold)}"

    projected = read_model_event_ids(server, token, [item.event_id for item in outgoing])
    assert projected == stored, (
        f"stored but not in the read model: {sorted(stored - projected)}; "
        f"in the read model but not stored: {sorted(projected - stored)}"
    )
    site_of = {item.event_id: item.site for item in outgoing}
    expected_by_site = Counter(site_of[event_id] for event_id in stored)
    assert issues_by_site(server, token) == dict(expected_by_site)
    return stored


def test_sigkill_during_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    logs: list[str] = []
    try:
        boot = server.bootstrap("acme", "shop")
        dsn = urlsplit(boot["dsn"])
        project_id, public_key = dsn.path.strip("/"), dsn.username
        outgoing = build_envelopes(boot["dsn"])
        everything = {item.event_id for item in outgoing}

        load = Load(
            server, project_id, public_key, outgoing, kill_after=int(len(outgoing) * KILL_AFTER_ACKNOWLEDGED)
        ).run()
        logs.append(server.log())
        assert load.killed and server.process.returncode == -signal.SIGKILL
        assert load.unexpected == [], server.log()
        # Every client ends on exactly one failed request: in flight at the kill, or refused after it.
        assert len(load.unacknowledged) == CLIENTS, (load.unacknowledged, server.log())
        attempted = load.acknowledged | load.unacknowledged
        assert len(attempted) == load.sent and load.remainder, "the kill should leave envelopes unsent"

        server.start()
        stored = assert_converged(
            server, boot["token"], outgoing, must_hold=load.acknowledged, may_hold=attempted
        )
        assert len(load.acknowledged) <= len(stored) <= len(attempted)

        # The rest of the load, and SDK retries of what was not acknowledged (stored or not) and of
        # some that were: all accepted, and each event stored and counted exactly once.
        retried = [item for item in outgoing if item.event_id in load.unacknowledged]
        retried += [item for item in outgoing if item.event_id in load.acknowledged][:RETRIED_ACKNOWLEDGED]
        rest = Load(server, project_id, public_key, load.remainder + retried).run()
        assert (rest.unexpected, rest.unacknowledged) == ([], set()), server.log()
        assert rest.acknowledged == {item.event_id for item in load.remainder + retried}
        assert_converged(server, boot["token"], outgoing, must_hold=everything, may_hold=everything)
        assert sum(issues_by_site(server, boot["token"]).values()) == len(outgoing)
    finally:
        server.stop()
        logs.append(server.log())
    for log in logs:
        assert "Traceback" not in log and "ERROR" not in log, log
