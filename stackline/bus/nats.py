"""NATS bus: issue changes fan out to every API process, and into JetStream for integrations.

Each change is published once on core NATS to `{prefix}.{organization_id}.{project_id}.issues.{kind}`
(JSON of the `IssueChange` fields). Every API process holds ONE NATS subscription per project
that has local subscribers and fans it out through bounded queues, like `memory.py`: a slow
subscriber loses its oldest notifications, never holds up the others or the projector.

`ensure_stream` makes a JetStream stream capture the same subjects, so integrations can follow
issue changes durably (docs/integrations.md). Publishing stays on core NATS: the stream
captures those publishes by subject; the API processes never read it.

The bus carries notifications, never the truth: publishing never raises because NATS is away
(the change is dropped and logged) and nothing here reads or writes the read models.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import nats.errors
import nats.js.errors
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from stackline.bus.port import IssueChange

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
STARTUP_TIMEOUT = 5.0  # seconds to reach the server at start-up; afterwards it reconnects forever
CONNECT_TIMEOUT = 2  # seconds per connection attempt
RECONNECT_WAIT = 1
DRAIN_TIMEOUT = 5  # seconds close() waits for in-flight messages
DEFAULT_STREAM = "STACKLINE_ISSUES"
DEFAULT_MAX_AGE = 7 * 24 * 3600.0  # seconds an issue change stays in the stream
# What publish meets while the server is away (or we are closing): drop the change, don't raise.
_UNAVAILABLE = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.OutboundBufferLimitError,
)


class _ProjectFeed:
    """The local subscribers of one project and the one NATS subscription that feeds them."""

    def __init__(self, client: Client, subject: str) -> None:
        self.queues: set[asyncio.Queue[IssueChange]] = set()
        # A task, so that subscribers waiting for it can give up without cancelling it. The
        # callback is bound to this feed: the project's next feed may subscribe before this
        # one's subscription has gone.
        self.subscribing: asyncio.Task[Subscription] = asyncio.get_running_loop().create_task(
            client.subscribe(subject, cb=self.deliver)
        )

    async def deliver(self, msg: Msg) -> None:
        try:
            change = _decode(msg.data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed issue change on %s", msg.subject)
            return
        for queue in list(self.queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(change)


class NatsBus:
    def __init__(self, client: Client, subject_prefix: str = "stackline") -> None:
        """Use a connected client; `connect` is the usual way to get one."""
        _check_prefix(subject_prefix)
        self._client = client
        self._prefix = subject_prefix
        self._feeds: dict[int, _ProjectFeed] = {}
        self._dropping = False

    @classmethod
    async def connect(
        cls, url: str, *, subject_prefix: str = "stackline", timeout: float = STARTUP_TIMEOUT
    ) -> NatsBus:
        """Connect within `timeout` seconds or raise ConnectionError; once up, reconnect forever."""
        _check_prefix(subject_prefix)
        client = Client()
        last_error: Exception | None = None

        async def note_error(error: Exception) -> None:
            nonlocal last_error
            last_error = error
            # Failed reconnection attempts are one per second: the disconnect itself is the warning.
            log.log(logging.WARNING if client.is_connected else logging.DEBUG, "NATS: %r", error)

        async def note_disconnected() -> None:
            if not client.is_closed:  # closing on purpose is not news
                log.warning("NATS disconnected; reconnecting")

        try:
            async with asyncio.timeout(timeout):
                await client.connect(
                    url,
                    name="stackline",
                    connect_timeout=CONNECT_TIMEOUT,
                    drain_timeout=DRAIN_TIMEOUT,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,  # forever: the start-up deadline is the timeout above
                    reconnect_time_wait=RECONNECT_WAIT,
                    error_cb=note_error,
                    disconnected_cb=note_disconnected,
                    reconnected_cb=_log_reconnected,
                )
        except (TimeoutError, OSError, ValueError, nats.errors.Error) as error:
            await client.close()
            cause = last_error or error
            raise ConnectionError(
                f"STACKLINE_NATS_URL: cannot reach NATS at {_redacted(url)} within {timeout:g}s: {cause!r}"
            ) from error
        return cls(client, subject_prefix)

    def subject(self, change: IssueChange) -> str:
        return f"{self._prefix}.{change.organization_id}.{change.project_id}.issues.{change.kind.lower()}"

    @property
    def stream_subjects(self) -> str:
        """What the JetStream stream captures: every issue change under this prefix."""
        return f"{self._prefix}.*.*.issues.*"

    async def publish(self, change: IssueChange) -> None:
        # The id lets JetStream drop a change published twice (within its duplicate window).
        headers = {"Nats-Msg-Id": f"{change.issue_id}:{change.kind}:{change.position}"}
        try:
            await self._client.publish(self.subject(change), _encode(change), headers=headers)
        except _UNAVAILABLE as error:
            # A notification, not the truth: subscribers re-read the read model when they return.
            if not self._dropping:
                log.warning("NATS unavailable, dropping issue changes until it is back: %r", error)
            self._dropping = True
            return
        self._dropping = False

    async def subscribe(self, project_id: int) -> AsyncIterator[IssueChange]:
        queue: asyncio.Queue[IssueChange] = asyncio.Queue(QUEUE_LIMIT)
        feed = self._join(project_id, queue)
        try:
            # Shielded: one subscriber giving up must not cancel the subscription others wait for.
            await asyncio.shield(feed.subscribing)
            while True:
                yield await queue.get()
        finally:
            await self._leave(project_id, feed, queue)

    def _join(self, project_id: int, queue: asyncio.Queue[IssueChange]) -> _ProjectFeed:
        feed = self._feeds.get(project_id)
        if feed is None:
            subject = f"{self._prefix}.*.{project_id}.issues.>"
            feed = self._feeds[project_id] = _ProjectFeed(self._client, subject)
        feed.queues.add(queue)
        return feed

    async def _leave(self, project_id: int, feed: _ProjectFeed, queue: asyncio.Queue[IssueChange]) -> None:
        feed.queues.discard(queue)
        if feed.queues:
            return
        if self._feeds.get(project_id) is feed:
            del self._feeds[project_id]
        try:
            subscription = await asyncio.shield(feed.subscribing)
        except Exception:  # noqa: BLE001 - it never subscribed; the subscriber saw why
            return
        if self._client.is_closed or self._client.is_draining:
            return  # close() takes the subscriptions down with the connection
        try:
            await subscription.unsubscribe()
        except nats.errors.Error as error:
            log.warning("NATS: could not unsubscribe from project %s: %r", project_id, error)

    async def ensure_stream(self, name: str = DEFAULT_STREAM, *, max_age: float = DEFAULT_MAX_AGE) -> None:
        """Create or update the JetStream stream that keeps issue changes for `max_age` seconds."""
        config = StreamConfig(
            name=name,
            description="stackline issue changes (notifications; read issues via GraphQL)",
            subjects=[self.stream_subjects],
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
            max_age=max_age,
        )
        js = self._client.jetstream()
        try:
            try:
                await js.update_stream(config)
            except nats.js.errors.NotFoundError:
                await js.add_stream(config)  # two processes racing here is fine: same config
        except (nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError) as error:
            raise RuntimeError(
                "STACKLINE_NATS_URL: the NATS server has no JetStream (start nats-server with -js)"
            ) from error

    async def close(self) -> None:
        if self._client.is_closed:
            return
        try:
            await self._client.drain()
        except nats.errors.Error:  # reconnecting or already closing: nothing left to drain
            await self._client.close()
        self._feeds.clear()


def _encode(change: IssueChange) -> bytes:
    return orjson.dumps(dataclasses.asdict(change))


def _decode(data: bytes) -> IssueChange:
    # Fields beyond these are ignored, so newer publishers can add some without breaking us.
    fields = orjson.loads(data)
    return IssueChange(
        kind=str(fields["kind"]),
        organization_id=str(fields["organization_id"]),
        project_id=int(fields["project_id"]),
        issue_id=str(fields["issue_id"]),
        position=int(fields["position"]),
        committed_at=float(fields["committed_at"]) if fields.get("committed_at") is not None else None,
    )


def _check_prefix(prefix: str) -> None:
    tokens = prefix.split(".")
    if not all(tokens) or any(c in prefix for c in " \t\r\n*>"):
        raise ValueError(f"subject_prefix {prefix!r}: use dot-separated tokens without spaces, * or >")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


async def _log_reconnected() -> None:
    log.info("NATS reconnected")
