"""`stackline replay`: drop the read models and rebuild them from the event store.

By default every projection is rebuilt, side by side. `--projection readmodels` rebuilds the SQL
read models and keeps the analytics projector's checkpoint, which lives among them;
`--projection analytics` drops and rebuilds the analytics tables only.

The event store is the only source of truth, so this is always safe; it is also how a new
grouping config or a new projection reaches old events. Stop the projectors first (`serve`, or
`stackline project run`): replay refuses to run while another process holds the projector's lease.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from stackline.app.settings import Settings
from stackline.analytics.schema import create_tables, drop_tables
from stackline.app.wiring import (
    ANALYTICS_PROJECTOR,
    PROJECTORS,
    READ_MODEL_PROJECTOR,
    analytics_projector,
    open_analytics,
    WEBHOOK_PROJECTOR,
    migrate_read_models,
    open_event_store,
    open_read_models,
    read_model_projector,
)
from stackline.projections.runner import ProjectorLease, ProjectorRunner, load_checkpoint, save_checkpoint
from stackline.readmodels.db import alembic_config
from stackline.readmodels.schema import projector_checkpoints, webhook_deliveries


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay(settings: Settings, projection: str | None = None, progress: bool = True) -> ReplayResult:
    """Rebuild one projection, or (`projection=None`) every one this installation runs, at once:
    the projectors read the same log side by side."""
    if projection is not None and projection not in PROJECTORS:
        raise ValueError(f"unknown projection {projection!r} (known: {', '.join(PROJECTORS)})")
    wanted = [projection] if projection else [READ_MODEL_PROJECTOR] + (
        [ANALYTICS_PROJECTOR] if settings.analytics_enabled else [])
    store = await open_event_store(settings.eventstore_url)
    migrate_read_models(settings.database_url)  # the checkpoints live in the SQL read model
    engine = open_read_models(settings.database_url)
    executor = None
    try:
        runners = [read_model_projector(store, engine, bus=None)] if READ_MODEL_PROJECTOR in wanted else []
        if ANALYTICS_PROJECTOR in wanted:
            await _require_free(runners)  # before chDB, which refuses while `serve` holds its directory
            executor = await open_analytics(settings)
            runners.append(analytics_projector(store, engine, executor))
        await _require_free(runners)
        if READ_MODEL_PROJECTOR in wanted:
            async with ProjectorLease(engine, WEBHOOK_PROJECTOR) as webhook_lease:
                if not await webhook_lease.try_acquire():
                    raise RuntimeError(f"projector {WEBHOOK_PROJECTOR!r} is running in another process; stop it first")
            await _reset_read_models(settings, engine, keep_analytics=ANALYTICS_PROJECTOR not in wanted)
        if executor is not None:
            await drop_tables(executor)
            await create_tables(executor)
            async with engine.begin() as conn:
                await conn.execute(
                    projector_checkpoints.delete().where(projector_checkpoints.c.name == ANALYTICS_PROJECTOR))
        head = await store.head_position()
        started = time.perf_counter()
        bars = [tqdm(total=head, unit="ev", desc=f"replaying {runner.name}", disable=not progress, smoothing=0.1,
                     position=i) for i, runner in enumerate(runners)]
        try:
            await asyncio.gather(*(runner.run_until(head, on_batch=bar.update) for runner, bar in zip(runners, bars)))
        finally:
            for bar in bars:
                bar.close()
        seconds = time.perf_counter() - started
        return ReplayResult(events=min(runner.position for runner in runners), seconds=seconds)
    finally:
        if executor is not None:
            await executor.close()
        await engine.dispose()
        await store.close()


async def _require_free(runners: list[ProjectorRunner]) -> None:
    for runner in runners:
        if not await runner.lease_is_free():
            raise RuntimeError(f"projector {runner.name!r} is running in another process; stop it first")


async def _reset_read_models(settings: Settings, engine: AsyncEngine, keep_analytics: bool) -> None:
    """Drop every SQL read-model table and build the schema anew, through the migrations; the
    analytics checkpoint survives unless analytics is rebuilt too, and so do the webhook
    deliveries and the webhook worker's checkpoint."""
    kept = 0
    if keep_analytics:
        async with engine.connect() as conn:
            kept = await load_checkpoint(conn, ANALYTICS_PROJECTOR)
    webhooks = await _webhook_worker_state(engine)
    await engine.dispose()
    command.downgrade(alembic_config(settings.database_url), "base")
    migrate_read_models(settings.database_url)
    await _restore_webhook_worker_state(engine, webhooks)
    if kept:
        async with engine.begin() as conn:
            await save_checkpoint(conn, ANALYTICS_PROJECTOR, kept)


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
