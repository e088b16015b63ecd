"""The alerts projector on a real SQLite event store and read model: frequency conditions count
the events of their window only (in SQL), the action interval holds across batches, and a batch
applied again queues nothing twice.

Real commands append (`Commands`, `AlertCommands`), the real read-model projector builds the rows
the alerts projector reads, and `AlertNotificationsProjection` runs in a `ProjectorRunner` of its
own, as `stackline project run alerts` runs it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from stackline.app.alert_commands import AlertCommands
from stackline.app.commands import Commands
from stackline.app.wiring import ALERT_PROJECTOR, read_model_projector
from stackline.domain.alert import Channel, Condition, RuleConfig
from stackline.domain.error_event import error_event_received
from stackline.eventstore.sqlite import SQLiteEventStore
from stackline.projections.alerts import AlertNotificationsProjection
from stackline.projections.runner import ProjectorRunner, save_checkpoint
from stackline.readmodels.db import create_engine, migrate
from stackline.readmodels.schema import alert_notifications

T0 = 1_700_000_000.0
MINUTE = 60.0


class World:
    def __init__(self, path: Path) -> None:
        url = f"sqlite:///{path / 'readmodels.sqlite3'}"
        migrate(url)
        self.store = SQLiteEventStore(path / "events.sqlite3")
        self.engine = create_engine(url)
        self.read_models = read_model_projector(self.store, self.engine, None)
        self.alerts = ProjectorRunner(
            ALERT_PROJECTOR,
            self.store,
            self.engine,
            [AlertNotificationsProjection()],
            trails=self.read_models,
        )

    async def setup(self) -> None:
        commands = Commands(self.store)
        organization = await commands.create_organization("alertco", "Alert Co")
        project = await commands.create_project("alertco", "web", "Web")
        assert organization.id is not None
        self.organization_id, self.project_id = organization.id, project.project_id
        await AlertCommands(self.store).create(
            self.organization_id,
            self.project_id,
            RuleConfig(
                "More than 2 in 10 minutes",
                (Condition("EVENT_FREQUENCY", 2, 10),),
                channels=(Channel("SLACK", url="https://hooks.example.com/x"),),
                action_interval_minutes=60,
            ),
            [],
            actor=None,
        )
        await self.catch_up()

    async def occur(self, received_at: float) -> None:
        """An error event of one group arrives at `received_at`, as ingest appends it."""
        payload: dict[str, Any] = {
            "event_id": uuid.uuid4().hex,
            "message": "storage is full",
            "level": "error",
            "timestamp": received_at,
            "fingerprint": ["storage-full"],
            "platform": "python",
        }
        received = error_event_received(
            self.organization_id, self.project_id, payload["event_id"], received_at, payload
        )
        await Commands(self.store).receive_intake(self.project_id, [(uuid.uuid4(), received)])

    async def catch_up(self) -> None:
        """Both projectors up to the head, the reactions the read models append included."""
        while (head := await self.store.head_position()) > self.read_models.position:
            await self.read_models.run_until(head)
        await self.alerts.run_until(head)

    async def notified(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(select(alert_notifications)))

    async def close(self) -> None:
        await self.engine.dispose()
        await self.store.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[asyncio.AbstractEventLoop, World]]:
    loop = asyncio.new_event_loop()
    made = World(tmp_path)
    try:
        loop.run_until_complete(made.setup())
        yield loop, made
    finally:
        loop.run_until_complete(made.close())
        loop.close()


def test_frequency_counts_the_window_only_and_fires_once_per_interval(
    world: tuple[asyncio.AbstractEventLoop, World],
) -> None:
    loop, w = world

    async def scenario() -> None:
        # Three events twenty minutes apart: never more than one in any 10 minutes.
        for minutes in (0, 20, 40):
            await w.occur(T0 + minutes * MINUTE)
        await w.catch_up()
        assert await w.notified() == []
        # Two more within the last event's 10 minutes: three in the window, over 2.
        await w.occur(T0 + 41 * MINUTE)
        await w.occur(T0 + 42 * MINUTE)
        await w.catch_up()
        [row] = await w.notified()
        assert row.trigger == "EVENT_FREQUENCY" and row.status == "PENDING"
        assert '"count":3' in row.subject
        # More of the storm, in later batches: within the action interval, no second notification.
        for minutes in range(43, 50):
            await w.occur(T0 + minutes * MINUTE)
            await w.catch_up()
        assert len(await w.notified()) == 1

        # The whole log applied again by the alerts projector (its checkpoint set back): the
        # notification log it reads decides alike, nothing is queued twice.
        async with w.engine.begin() as conn:
            await save_checkpoint(conn, ALERT_PROJECTOR, 0)
        w.alerts.position = 0
        await w.alerts.run_until(await w.store.head_position())
        assert [r.id for r in await w.notified()] == [row.id]

    loop.run_until_complete(scenario())


def test_the_sender_records_each_outcome_once_in_the_rules_stream(
    world: tuple[asyncio.AbstractEventLoop, World], tmp_path: Path
) -> None:
    """Sent, the notification is `AlertNotificationSent` in the rule's stream; an outcome whose
    recording was cut off (its `recorded_position` still empty) is recorded by the sweep, and a
    second recording stores nothing new (the event's id comes from the notification)."""
    import httpx
    from sqlalchemy import update

    from stackline.app.alert_sender import AlertSender
    from stackline.app.settings import Settings

    loop, w = world
    received: list[httpx.Request] = []

    def slack(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, text="ok")

    async def scenario() -> None:
        for minutes in (0, 1, 2):
            await w.occur(T0 + minutes * MINUTE)
        await w.catch_up()
        [row] = await w.notified()
        w.alerts.running = True  # as while its lease is held
        sender = AlertSender(w.engine, Settings.load(tmp_path / "settings"), AlertCommands(w.store), w.alerts)
        async with httpx.AsyncClient(transport=httpx.MockTransport(slack)) as client:
            await sender.dispatch_due(client)
            await asyncio.gather(*sender._tasks)
        assert len(received) == 1 and received[0].url == "https://hooks.example.com/x"
        [sent] = await w.notified()
        assert sent.status == "SUCCEEDED" and sent.attempts == 1 and sent.recorded_position is not None

        async def audit() -> list[str]:
            stream = await w.store.read_stream(f"alert-rule-{row.rule_id}")
            return [e.type for e in stream]

        assert await audit() == ["AlertRuleCreated", "AlertNotificationSent"]
        async with w.engine.begin() as conn:
            await conn.execute(update(alert_notifications).values(recorded_position=None))
        await sender.record_unrecorded()
        assert await audit() == ["AlertRuleCreated", "AlertNotificationSent"]
        [again] = await w.notified()
        assert again.recorded_position == sent.recorded_position

    loop.run_until_complete(scenario())
