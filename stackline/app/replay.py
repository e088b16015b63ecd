"""`stackline replay`: drop the read models and rebuild them from the event store.

`--projection readmodels` rebuilds the SQL read models and keeps the analytics projector's
checkpoint, which lives among them; `--projection analytics` drops and rebuilds the analytics
tables.

The event store is the only source of truth, so this is always safe; it is also how a new
grouping config or a new projection reaches old events. Stop the projectors first (`serve`, or
`stackline project run`): replay refuses to run while another process holds the projector's lease.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from alembic import command
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from stackline.app.settings import Settings
from stackline.analytics.schema import create_tables, drop_tables
from stackline.app.wiring import (
    ANALYTICS_PROJECTOR,
    PROJECTORS,
    READ_MODEL_PROJECTOR,
    analytics_projector,
    open_analytics,
    migrate_read_models,
    open_event_store,
    open_read_models,
    read_model_projector,
)
from stackline.projections.runner import load_checkpoint, save_checkpoint
from stackline.readmodels.db import alembic_config
from stackline.readmodels.schema import projector_checkpoints


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay(settings: Settings, projection: str = READ_MODEL_PROJECTOR, progress: bool = True) -> ReplayResult:
    if projection not in PROJECTORS:
        raise ValueError(f"unknown projection {projection!r} (known: {', '.join(PROJECTORS)})")
    if projection == ANALYTICS_PROJECTOR:
        return await _replay_analytics(settings, progress)
    store = await open_event_store(settings.eventstore_url)
    engine = open_read_models(settings.database_url)
    try:
        runner = read_model_projector(store, engine, bus=None)
        lease_holder_check = await runner.lease_is_free()
        if not lease_holder_check:
            raise RuntimeError(f"projector {projection!r} is running in another process; stop it first")
        # The analytics store is not rebuilt here: its checkpoint outlives the SQL tables.
        try:
            async with engine.connect() as conn:
                kept = await load_checkpoint(conn, ANALYTICS_PROJECTOR)
        except DBAPIError:  # no read-model schema yet
            kept = 0
        # Drop every read-model table and build the schema anew, through the migrations.
        await engine.dispose()
        command.downgrade(alembic_config(settings.database_url), "base")
        migrate_read_models(settings.database_url)
        if kept:
            async with engine.begin() as conn:
                await save_checkpoint(conn, ANALYTICS_PROJECTOR, kept)
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


async def _replay_analytics(settings: Settings, progress: bool) -> ReplayResult:
    store = await open_event_store(settings.eventstore_url)
    migrate_read_models(settings.database_url)  # the checkpoint lives in the SQL read model
    engine = open_read_models(settings.database_url)
    try:
        executor = await open_analytics(settings)  # chDB: refuses while `serve` holds the directory
    except Exception:
        await engine.dispose()
        await store.close()
        raise
    try:
        runner = analytics_projector(store, engine, executor)
        if not await runner.lease_is_free():
            raise RuntimeError(f"projector {ANALYTICS_PROJECTOR!r} is running in another process; stop it first")
        await drop_tables(executor)
        await create_tables(executor)
        async with engine.begin() as conn:
            await conn.execute(projector_checkpoints.delete().where(projector_checkpoints.c.name == ANALYTICS_PROJECTOR))
        head = await store.head_position()
        started = time.perf_counter()
        with tqdm(total=head, unit="ev", desc=f"replaying {ANALYTICS_PROJECTOR}", disable=not progress,
                  smoothing=0.1) as bar:
            await runner.run_until(head, on_batch=lambda n: bar.update(n))
        seconds = time.perf_counter() - started
        return ReplayResult(events=runner.position, seconds=seconds)
    finally:
        await executor.close()
        await engine.dispose()
        await store.close()
