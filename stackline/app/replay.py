"""`stackline replay`: drop the read models and rebuild them from the event store.

The event store is the only source of truth, so this is always safe; it is also how a new
grouping config or a new projection reaches old events. Stop the projectors first (`serve`, or
`stackline project run`): replay refuses to run while another process holds the projector's lease.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from stackline.app.settings import Settings
from stackline.app.wiring import (
    READ_MODEL_PROJECTOR,
    WEBHOOK_PROJECTOR,
    migrate_read_models,
    open_event_store,
    open_read_models,
    read_model_projector,
)
from stackline.projections.runner import ProjectorLease, load_checkpoint, save_checkpoint
from stackline.readmodels.db import alembic_config
from stackline.readmodels.schema import webhook_deliveries

PROJECTIONS = (READ_MODEL_PROJECTOR,)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay(settings: Settings, projection: str = READ_MODEL_PROJECTOR, progress: bool = True) -> ReplayResult:
    if projection not in PROJECTIONS:
        raise ValueError(f"unknown projection {projection!r} (known: {', '.join(PROJECTIONS)})")
    store = await open_event_store(settings.eventstore_url)
    engine = open_read_models(settings.database_url)
    try:
        runner = read_model_projector(store, engine, bus=None)
        lease_holder_check = await runner.lease_is_free()
        if not lease_holder_check:
            raise RuntimeError(f"projector {projection!r} is running in another process; stop it first")
        async with ProjectorLease(engine, WEBHOOK_PROJECTOR) as webhook_lease:
            if not await webhook_lease.try_acquire():
                raise RuntimeError(f"projector {WEBHOOK_PROJECTOR!r} is running in another process; stop it first")
        kept = await _webhook_worker_state(engine)
        # Drop every read-model table and build the schema anew, through the migrations.
        await engine.dispose()
        command.downgrade(alembic_config(settings.database_url), "base")
        migrate_read_models(settings.database_url)
        await _restore_webhook_worker_state(engine, kept)
        head = await store.head_position()
        started = time.perf_counter()
        with tqdm(total=head, unit="ev", desc=f"replaying {projection}", disable=not progress,
                  smoothing=0.1) as bar:
            await runner.run_until(head, on_batch=lambda n: bar.update(n))
        seconds = time.perf_counter() - started
        return ReplayResult(events=runner.position, seconds=seconds)
    finally:
        await engine.dispose()
        await store.close()


async def _webhook_worker_state(engine: AsyncEngine) -> tuple[int, list[dict]]:
    """What replay must not lose: deliveries already queued (and their log of attempts) and how
    far the webhook worker got, or every past change would be delivered again."""
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        if not {"projector_checkpoints", "webhook_deliveries"} <= tables:
            return 0, []  # a database from before webhooks (or a new one)
        position = await load_checkpoint(conn, WEBHOOK_PROJECTOR)
        rows = [dict(row._mapping) for row in await conn.execute(select(webhook_deliveries))]
    return position, rows


async def _restore_webhook_worker_state(engine: AsyncEngine, kept: tuple[int, list[dict]]) -> None:
    position, rows = kept
    async with engine.begin() as conn:
        if position:
            await save_checkpoint(conn, WEBHOOK_PROJECTOR, position)
        for start in range(0, len(rows), 1000):
            await conn.execute(webhook_deliveries.insert(), rows[start:start + 1000])
