"""The bus contract: every bus adapter passes these same tests; NATS runs on the real server.

The NATS tests need the server at STACKLINE_TEST_NATS_URL (default nats://127.0.0.1:4222, with
JetStream). They fail, never skip, when it is down: CI starts it. Each test uses its own subject
prefix (and stream name), so parallel runs on one server never see each other's changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import cast
from urllib.parse import urlsplit

import nats
import nats.errors
import orjson
import pytest
from nats.js.api import RetentionPolicy

from stackline.bus import Bus, IssueChange, memory
from stackline.bus import nats as nats_bus
from stackline.bus.memory import InProcessBus
from stackline.bus.nats import NatsBus

NATS_URL = os.environ.get("STACKLINE_TEST_NATS_URL", "nats://127.0.0.1:4222")
ORG = str(uuid.uuid4())
OTHER_ORG = str(uuid.uuid4())
PROBE = "probe"  # the issue id of changes that only check a subscriber is listening
WAIT = 5.0
SLOW_QUEUE_LIMIT = 8

OpenNatsBus = Callable[..., Awaitable[NatsBus]]


def change(project_id: int, n: int, kind: str = "UPDATED", organization_id: str = ORG) -> IssueChange:
    return IssueChange(kind, organization_id, project_id, f"issue-{project_id}-{n}", n)


class Listener:
    """One local subscriber consuming in its own task, as a GraphQL subscription would.

    A paused listener stops pulling after the probe (and after each change) until resumed.
    """

    def __init__(self, bus: Bus, project_id: int, *, paused: bool = False) -> None:
        self.changes: list[IssueChange] = []
        self.listening = asyncio.Event()
        self._running = asyncio.Event()
        if not paused:
            self._running.set()
        self._iterator = cast(AsyncGenerator[IssueChange, None], bus.subscribe(project_id))
        self._task = asyncio.get_running_loop().create_task(self._consume())

    async def _consume(self) -> None:
        async for received in self._iterator:
            if received.issue_id == PROBE:
                self.listening.set()
            else:
                self.changes.append(received)
            await self._running.wait()

    def resume(self) -> None:
        self._running.set()

    async def received(self, count: int) -> list[IssueChange]:
        async with asyncio.timeout(WAIT):
            while len(self.changes) < count:
                await asyncio.sleep(0.005)
        return self.changes

    async def received_until(self, last: IssueChange) -> list[IssueChange]:
        async with asyncio.timeout(WAIT):
            while last not in self.changes:
                await asyncio.sleep(0.005)
        return self.changes

    async def close(self) -> None:
        """Stop consuming, then close the iterator (a no-op if cancelling already ended it)."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._iterator.aclose()


async def until_listening(publisher: Bus, project_id: int, *listeners: Listener) -> None:
    """Publish probes until every listener has had one.

    A subscription starts when its iterator is first awaited, and for NATS a moment later on
    the server: changes published before that are, by contract, not seen.
    """
    async with asyncio.timeout(WAIT):
        while not all(listener.listening.is_set() for listener in listeners):
            await publisher.publish(IssueChange("UPDATED", ORG, project_id, PROBE, 0))
            await asyncio.sleep(0.01)


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex}"


@pytest.fixture
async def open_nats_bus(prefix: str) -> AsyncIterator[OpenNatsBus]:
    """Opens NatsBus instances sharing one server and prefix, like the API processes of one site."""
    opened: list[NatsBus] = []

    async def open_one(url: str = NATS_URL) -> NatsBus:
        bus = await NatsBus.connect(url, subject_prefix=prefix)
        opened.append(bus)
        return bus

    yield open_one
    for bus in opened:
        await bus.close()


@pytest.fixture(params=["memory", "nats"])
async def bus(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[Bus]:
    if request.param == "memory":
        opened: Bus = InProcessBus()
    else:
        opened = await NatsBus.connect(NATS_URL, subject_prefix=prefix)
    yield opened
    await opened.close()


async def connect_raw() -> nats.aio.client.Client:
    # nats-py keeps retrying an unreachable server for minutes: a down server must fail fast.
    async with asyncio.timeout(WAIT):
        return await nats.connect(NATS_URL, allow_reconnect=False)


@pytest.fixture
async def raw_nats() -> AsyncIterator[nats.aio.client.Client]:
    """A plain client, standing in for an integration or for the server's point of view."""
    client = await connect_raw()
    yield client
    await client.close()


# -- the contract, for every adapter -------------------------------------------------------------


async def test_a_subscriber_gets_its_projects_changes_in_order(bus: Bus) -> None:
    first, second = Listener(bus, 1), Listener(bus, 2)
    await until_listening(bus, 1, first)
    await until_listening(bus, 2, second)

    published = [change(1 + n % 2, n, kind="CREATED" if n < 2 else "UPDATED") for n in range(20)]
    for each in published:
        await bus.publish(each)

    # Both projects' changes come from one publisher in order, so once the last arrived
    # nothing else of the other project can still be on its way.
    assert await first.received(10) == [c for c in published if c.project_id == 1]
    assert await second.received(10) == [c for c in published if c.project_id == 2]
    await first.close()
    await second.close()


async def test_every_subscriber_of_a_project_receives(bus: Bus) -> None:
    listeners = [Listener(bus, 7), Listener(bus, 7)]
    await until_listening(bus, 7, *listeners)
    published = [change(7, n) for n in range(5)]
    for each in published:
        await bus.publish(each)
    for listener in listeners:
        assert await listener.received(5) == published
        await listener.close()


async def test_the_commit_time_travels_with_the_change(bus: Bus) -> None:
    listener = Listener(bus, 16)
    await until_listening(bus, 16, listener)
    stamped = dataclasses.replace(change(16, 1), committed_at=1_795_000_000.123456)
    await bus.publish(stamped)
    await bus.publish(change(16, 2))  # from an older publisher: no commit time
    received = await listener.received(2)
    assert [c.committed_at for c in received] == [1_795_000_000.123456, None]
    assert received == [stamped, change(16, 2)]
    await listener.close()


async def test_closing_the_iterator_stops_delivery(bus: Bus) -> None:
    cancelled, closed, staying = Listener(bus, 3), Listener(bus, 3, paused=True), Listener(bus, 3)
    await until_listening(bus, 3, cancelled, closed, staying)

    await cancelled.close()  # cancelled while awaiting the next change
    await closed.close()  # closed with aclose() between two changes
    await bus.publish(change(3, 1))
    assert await staying.received(1) == [change(3, 1)]
    assert cancelled.changes == closed.changes == []

    await staying.close()
    await bus.publish(change(3, 2))  # nobody listens: nothing to do, no error
    again = Listener(bus, 3)  # and the project can be followed again
    await until_listening(bus, 3, again)
    await bus.publish(change(3, 3))
    assert await again.received(1) == [change(3, 3)]
    await again.close()
    assert staying.changes == [change(3, 1)]


async def test_a_slow_subscriber_loses_its_oldest_and_blocks_nobody(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "QUEUE_LIMIT", SLOW_QUEUE_LIMIT)
    monkeypatch.setattr(nats_bus, "QUEUE_LIMIT", SLOW_QUEUE_LIMIT)
    slow, fast = Listener(bus, 5, paused=True), Listener(bus, 5)
    await until_listening(bus, 5, slow, fast)

    published = [change(5, n) for n in range(50)]
    for n, each in enumerate(published):
        # In step with the fast subscriber (its queue is as short as the slow one's): it gets
        # every change while the slow one has not taken any.
        await bus.publish(each)
        await fast.received(n + 1)
    assert fast.changes == published

    slow.resume()
    assert await slow.received(SLOW_QUEUE_LIMIT) == published[-SLOW_QUEUE_LIMIT:]
    await asyncio.sleep(0.05)
    assert slow.changes == published[-SLOW_QUEUE_LIMIT:]
    await slow.close()
    await fast.close()


# -- NATS: several API processes on one server ---------------------------------------------------


async def test_a_change_published_by_one_process_reaches_subscribers_of_another(
    open_nats_bus: OpenNatsBus,
) -> None:
    process_a, process_b = await open_nats_bus(), await open_nats_bus()
    on_a, on_b = Listener(process_a, 11), Listener(process_b, 11)
    await until_listening(process_b, 11, on_a, on_b)

    from_b = [change(11, n) for n in range(3)]
    for each in from_b:
        await process_b.publish(each)
    assert await on_a.received(3) == from_b
    assert await on_b.received(3) == from_b
    await on_a.close()
    await on_b.close()


async def test_one_nats_subscription_per_project_however_many_local_subscribers(prefix: str) -> None:
    client = await connect_raw()
    bus = NatsBus(client, prefix)  # built on our own client, to read its delivery count
    try:
        listeners = [Listener(bus, 12) for _ in range(3)]
        await until_listening(bus, 12, *listeners)
        await bus.publish(change(12, 0))
        for listener in listeners:  # every probe has arrived: they were published before it
            await listener.received(1)

        delivered_before = client.stats["in_msgs"]
        published = [change(12, n) for n in range(1, 11)]
        for each in published:
            await bus.publish(each)
        for listener in listeners:
            assert (await listener.received(11))[1:] == published
        # The server delivered each message to this process once, not once per local subscriber.
        assert client.stats["in_msgs"] - delivered_before == len(published)
        for listener in listeners:
            await listener.close()
    finally:
        await bus.close()


async def test_the_last_local_subscriber_leaving_removes_the_nats_subscription(
    open_nats_bus: OpenNatsBus, raw_nats: nats.aio.client.Client
) -> None:
    bus = await open_nats_bus()
    subject = bus.subject(change(13, 0))

    async def server_has_interest() -> bool:
        # With no subscriber the server answers a request at once with "no responders"; our
        # subscriber ignores the (malformed) request, so it times out instead.
        try:
            await raw_nats.request(subject, b"", timeout=0.3)
        except nats.errors.NoRespondersError:
            return False
        except nats.errors.TimeoutError:
            return True
        raise AssertionError("nobody should answer an issue change")

    assert not await server_has_interest()
    first, second = Listener(bus, 13), Listener(bus, 13)
    await until_listening(bus, 13, first, second)
    assert await server_has_interest()

    await first.close()
    assert await server_has_interest()
    await second.close()
    async with asyncio.timeout(WAIT):
        while await server_has_interest():
            pass


async def test_malformed_messages_on_a_project_subject_are_skipped(
    open_nats_bus: OpenNatsBus, raw_nats: nats.aio.client.Client
) -> None:
    bus = await open_nats_bus()
    listener = Listener(bus, 14)
    await until_listening(bus, 14, listener)
    await raw_nats.publish(bus.subject(change(14, 0)), b"not json")
    await raw_nats.publish(bus.subject(change(14, 0)), orjson.dumps({"kind": "CREATED"}))
    await bus.publish(change(14, 1))
    assert await listener.received(1) == [change(14, 1)]
    await listener.close()


async def test_the_payload_is_the_json_of_the_change_on_its_subject(
    open_nats_bus: OpenNatsBus, raw_nats: nats.aio.client.Client, prefix: str
) -> None:
    bus = await open_nats_bus()
    seen = await raw_nats.subscribe(f"{prefix}.>")
    await raw_nats.flush()
    created = dataclasses.replace(change(15, 4, kind="CREATED"), committed_at=1_795_000_000.25)
    await bus.publish(created)
    message = await seen.next_msg(timeout=WAIT)
    assert message.subject == f"{prefix}.{ORG}.15.issues.created"
    assert orjson.loads(message.data) == {
        "kind": "CREATED",
        "organization_id": ORG,
        "project_id": 15,
        "issue_id": "issue-15-4",
        "position": 4,
        "committed_at": 1_795_000_000.25,
    }


async def test_connect_fails_fast_naming_the_setting() -> None:
    with pytest.raises(ConnectionError, match="STACKLINE_NATS_URL") as raised:
        await NatsBus.connect("nats://someone:s3cret@127.0.0.1:1", timeout=0.5)
    assert "s3cret" not in str(raised.value)


# -- NATS: JetStream, the way an integration follows issue changes (docs/integrations.md) --------


async def test_a_durable_pull_consumer_gets_changes_published_while_it_was_away(
    open_nats_bus: OpenNatsBus, raw_nats: nats.aio.client.Client, prefix: str
) -> None:
    bus = await open_nats_bus()
    stream = f"T{uuid.uuid4().hex}"
    js = raw_nats.jetstream()
    try:
        await bus.ensure_stream(stream)
        await bus.ensure_stream(stream)  # again, as every API process does at start-up
        info = await js.stream_info(stream)
        assert info.config.subjects == [f"{prefix}.*.*.issues.*"]
        assert info.config.retention == RetentionPolicy.LIMITS
        assert info.config.max_age == 7 * 24 * 3600

        # The integration follows one organization with a durable consumer it names.
        async def follow() -> nats.js.JetStreamContext.PullSubscription:
            return await js.pull_subscribe(f"{prefix}.{ORG}.*.issues.*", durable="crm-sync", stream=stream)

        async def pull(count: int) -> list[IssueChange]:
            pulled: list[IssueChange] = []
            async with asyncio.timeout(WAIT):
                while len(pulled) < count:
                    for message in await subscription.fetch(count - len(pulled), timeout=WAIT):
                        pulled.append(IssueChange(**orjson.loads(message.data)))
                        await message.ack()
            return pulled

        subscription = await follow()
        first = [change(21, 1, kind="CREATED"), change(22, 2), change(23, 3, organization_id=OTHER_ORG)]
        for each in first:
            await bus.publish(each)
        await bus.publish(first[1])  # published twice: the stream keeps it once
        assert await pull(2) == first[:2]
        await subscription.unsubscribe()

        # The integration is away; changes keep coming.
        later = [change(21, 4), change(24, 5, kind="CREATED"), change(21, 6, organization_id=OTHER_ORG)]
        for each in later:
            await bus.publish(each)

        subscription = await follow()
        assert await pull(2) == later[:2]
        with pytest.raises(nats.errors.TimeoutError):  # nothing more, nothing redelivered
            await subscription.fetch(1, timeout=0.3)
        assert (await js.consumer_info(stream, "crm-sync")).num_pending == 0
    finally:
        await js.delete_stream(stream)


# -- NATS: losing the server for a while ---------------------------------------------------------


class FlakyLink:
    """A TCP relay to the NATS server that can cut every connection and refuse new ones."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._relays, return_exceptions=True)
        await self._server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        relay = asyncio.current_task()
        assert relay is not None
        self._relays.add(relay)
        url = urlsplit(NATS_URL)
        server_reader, server_writer = await asyncio.open_connection(url.hostname, url.port or 4222)
        self._writers |= {client_writer, server_writer}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
        self._writers -= {client_writer, server_writer}
        self._relays.discard(relay)


@pytest.fixture
async def link() -> AsyncIterator[FlakyLink]:
    opened = FlakyLink()
    await opened.start()
    yield opened
    await opened.cut()


async def test_after_start_up_the_bus_reconnects_and_keeps_its_subscriptions(
    link: FlakyLink, open_nats_bus: OpenNatsBus
) -> None:
    behind_link = await open_nats_bus(f"nats://127.0.0.1:{link.port}")
    direct = await open_nats_bus()
    listener = Listener(behind_link, 31)
    await until_listening(direct, 31, listener)

    await link.cut()
    await behind_link.publish(change(31, 1))  # may be lost (at most once), but never raises
    await asyncio.sleep(0.2)
    await link.start()  # the server is back on the same address

    listener.listening.clear()
    await until_listening(direct, 31, listener)  # resubscribed by itself
    await direct.publish(change(31, 2))
    assert (await listener.received_until(change(31, 2)))[-1] == change(31, 2)
    await listener.close()
