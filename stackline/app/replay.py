"""`stackline replay`: drop the read models and rebuild them from the event store.

By default every projection is rebuilt, side by side. `--projection readmodels` rebuilds the SQL
read models and keeps the analytics projector's checkpoint, which lives among them;
`--projection analytics` drops and rebuilds the analytics tables only.

Replay is a bulk load: it reads the log 10,000 events at a time, one read ahead of the
projector; builds the read models' API-only indexes once, at the end
(`schema.replay_deferred_indexes`); and runs the analytics projector in a second process.

That process never writes to the read-model database: on SQLite the read models' projector
holds its write lock for a whole window (250 k events) and then for each index build, longer
than the busy timeout under load, and the analytics checkpoint's write timed out behind it
("database is locked", at 300 k and 1 M events). The analytics tables are rebuilt from scratch
by every replay, so a checkpoint part way through serves nothing: this process saves the
analytics checkpoint once, when both projectors are done and before the indexes are built.

The event store is the only source of truth, so this is always safe; it is also how a new
grouping config or a new projection reaches old events. Stop the projectors first (`serve`, or
`stackline project run`): replay refuses to run while another process holds the projector's lease.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Index
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from stackline.analytics.schema import create_tables, drop_tables
from stackline.app.blobs import BlobStore
from stackline.app.settings import Settings
from stackline.app.wiring import (
    ALERT_PROJECTOR,
    ANALYTICS_PROJECTOR,
    PROJECTORS,
    READ_MODEL_PROJECTOR,
    WEBHOOK_PROJECTOR,
    analytics_projector,
    migrate_read_models,
    open_analytics,
    open_event_store,
    open_read_models,
    read_model_projector,
)
from stackline.eventstore.port import encoded_log
from stackline.projections.analytics_replay import ENGINE_INSERTS, EngineAnalyticsReplay
from stackline.projections.runner import ProjectorLease, ProjectorRunner, load_checkpoint, save_checkpoint
from stackline.readmodels import replay_queries

# The workers whose outbox lives among the read models but is not derived from the log alone
# (what was sent, and when, happened outside it): replay keeps their rows and checkpoints, or
# every past change would be sent again.
KEPT_WORKERS: tuple[tuple[str, str], ...] = (
    (WEBHOOK_PROJECTOR, "webhook_deliveries"),
    (ALERT_PROJECTOR, "alert_notifications"),
)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def replay(
    settings: Settings, projection: str | None = None, progress: bool = True, in_engine: bool = True
) -> ReplayResult:
    """Rebuild one projection, or (`projection=None`) every one this installation runs, at once.
    The analytics projector then runs in a process of its own, on the log side by side with
    the read models' in this one, as `stackline project run` would run them. Analytics is
    rebuilt by the engine from the stored log where the event store allows it
    (`projections/analytics_replay.py`), unless `in_engine` is False: then by the projector."""
    if projection is not None and projection not in PROJECTORS:
        raise ValueError(f"unknown projection {projection!r} (known: {', '.join(PROJECTORS)})")
    if projection is not None and projection in {name for name, _ in KEPT_WORKERS}:
        # Their rows say what was sent; rebuilding them would send it all again.
        raise ValueError(
            f"{projection!r} is not rebuilt: its outbox records what was sent and is kept by every "
            f"replay (rebuild {READ_MODEL_PROJECTOR} or {ANALYTICS_PROJECTOR})"
        )
    wanted = (
        [projection]
        if projection
        else [READ_MODEL_PROJECTOR] + ([ANALYTICS_PROJECTOR] if settings.analytics_enabled else [])
    )
    store = await open_event_store(settings.eventstore_url)
    migrate_read_models(settings.database_url)  # the checkpoints live in the SQL read model
    engine = open_read_models(settings.database_url)
    deferred: list[Index] = []
    try:
        await _require_free(engine, wanted)
        head = await store.head_position()
        started = time.perf_counter()
        work = []
        if READ_MODEL_PROJECTOR in wanted:
            await _require_free(engine, [name for name, _ in KEPT_WORKERS])
            await _reset_read_models(settings, engine, keep_analytics=ANALYTICS_PROJECTOR not in wanted)
            deferred = await _drop_deferred_indexes(engine)
        if ANALYTICS_PROJECTOR in wanted:
            # Before either projector starts: on SQLite, this write would otherwise wait for
            # the read models' first window to commit, the analytics process idle meanwhile.
            async with engine.begin() as conn:
                await replay_queries.forget_checkpoint(conn, ANALYTICS_PROJECTOR)
        if READ_MODEL_PROJECTOR in wanted:
            work.append(
                _project(
                    read_model_projector(
                        store, engine, bus=None, blobs=BlobStore(settings.data_dir / "blobs")
                    ),
                    head,
                    progress,
                    row=0,
                )
            )
        if ANALYTICS_PROJECTOR in wanted:
            if len(wanted) == 1:
                work.append(_rebuild_analytics(settings, head, progress, 0, in_engine, ENGINE_INSERTS))
            else:
                work.append(
                    _in_own_process(_rebuild_analytics_process, settings, head, progress, 1, in_engine, 1)
                )
        positions = await asyncio.gather(*work)
        if ANALYTICS_PROJECTOR in wanted:
            async with engine.begin() as conn:
                await save_checkpoint(conn, ANALYTICS_PROJECTOR, positions[-1])
        await _build_indexes(engine, deferred, progress)
        deferred = []
        if engine.dialect.name == "postgresql":
            # Tables filled in a few big transactions have no statistics until autovacuum
            # gets to them, and meanwhile the planner guesses, badly for the issue list
            # (docs/benchmarks.md). A database that grew live has been analyzed along the way.
            async with engine.begin() as conn:
                await replay_queries.analyze(conn)
        return ReplayResult(events=min(positions), seconds=time.perf_counter() - started)
    finally:
        if deferred:  # a failed replay still leaves the schema whole
            await _build_indexes(engine, deferred, progress=False)
        await engine.dispose()
        await store.close()


async def _require_free(engine: AsyncEngine, names: list[str]) -> None:
    for name in names:
        async with ProjectorLease(engine, name) as lease:
            if not await lease.try_acquire():
                raise RuntimeError(f"projector {name!r} is running in another process; stop it first")


async def _project(
    runner: ProjectorRunner | EngineAnalyticsReplay,
    head: int,
    progress: bool,
    row: int,
    checkpoints: bool = True,
) -> int:
    with tqdm(
        total=head,
        unit="ev",
        desc=f"replaying {runner.name}",
        disable=not progress,
        smoothing=0.1,
        position=row,
    ) as bar:
        if isinstance(runner, EngineAnalyticsReplay):
            await runner.run_until(head, on_batch=bar.update)
        else:
            await runner.run_until(head, on_batch=bar.update, checkpoints=checkpoints)
    return runner.position


async def _rebuild_analytics(
    settings: Settings, head: int, progress: bool, row: int, in_engine: bool, inserts: int
) -> int:
    """Drop the analytics tables and project the log up to `head` into them anew; the last
    position applied. The caller has deleted the analytics checkpoint, and saves it at that
    position: this function writes nothing to the read-model database."""
    store = await open_event_store(settings.eventstore_url)
    engine = open_read_models(settings.database_url)
    try:
        executor = await open_analytics(settings)
        try:
            await drop_tables(executor)
            await create_tables(executor)
            if in_engine and (log := encoded_log(store)) is not None:
                async with ProjectorLease(engine, ANALYTICS_PROJECTOR) as lease:
                    if not await lease.try_acquire():
                        raise RuntimeError(f"projector {ANALYTICS_PROJECTOR!r} is running in another process")
                    rebuild = EngineAnalyticsReplay(ANALYTICS_PROJECTOR, store, log, executor, inserts)
                    return await _project(rebuild, head, progress, row)
            runner = analytics_projector(store, engine, executor)
            return await _project(runner, head, progress, row, checkpoints=False)
        finally:
            await executor.close()
    finally:
        await engine.dispose()
        await store.close()


def _rebuild_analytics_process(
    settings: Settings, head: int, progress: bool, row: int, in_engine: bool, inserts: int
) -> int:
    return asyncio.run(_rebuild_analytics(settings, head, progress, row, in_engine, inserts))


async def _in_own_process(function: Callable[..., int], *args: object) -> int:
    """Run `function(*args)` in a fresh interpreter (one more core; chDB opens its directory
    only there); its exception, if any, is raised here."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)


async def _reset_read_models(settings: Settings, engine: AsyncEngine, keep_analytics: bool) -> None:
    """Drop every SQL read-model table and build the schema anew, through the migrations; the
    analytics checkpoint survives unless analytics is rebuilt too, and so do the webhook
    deliveries, the alert notifications and those workers' checkpoints."""
    kept = 0
    if keep_analytics:
        async with engine.connect() as conn:
            kept = await load_checkpoint(conn, ANALYTICS_PROJECTOR)
    workers = [await _worker_state(engine, name, outbox) for name, outbox in KEPT_WORKERS]
    # Every table goes, alembic's version too, and the migrations build the schema anew. (Not
    # `alembic downgrade base`: on SQLite some downgrades copy whole tables to alter them.)
    async with engine.begin() as conn:
        await conn.run_sync(replay_queries.drop_every_table)
    await engine.dispose()
    migrate_read_models(settings.database_url)
    for (name, outbox), state in zip(KEPT_WORKERS, workers, strict=True):
        await _restore_worker_state(engine, name, outbox, state)
    if kept:
        async with engine.begin() as conn:
            await save_checkpoint(conn, ANALYTICS_PROJECTOR, kept)


async def _drop_deferred_indexes(engine: AsyncEngine) -> list[Index]:
    async with engine.begin() as conn:
        return await replay_queries.drop_deferred_indexes(conn)


async def _build_indexes(engine: AsyncEngine, indexes: list[Index], progress: bool) -> None:
    for index in tqdm(indexes, unit="index", desc="building indexes", disable=not progress):
        async with engine.begin() as conn:
            await replay_queries.build_index(conn, index)


async def _worker_state(engine: AsyncEngine, name: str, outbox: str) -> tuple[int, list[dict]]:
    """What replay must not lose of a worker: its outbox rows (and their log of attempts) and
    how far its projector got."""
    async with engine.connect() as conn:
        rows = await replay_queries.outbox_rows(conn, outbox)
        if rows is None:
            return 0, []  # a database from before this worker (or a new one)
        return await load_checkpoint(conn, name), rows


async def _restore_worker_state(
    engine: AsyncEngine, name: str, outbox: str, kept: tuple[int, list[dict]]
) -> None:
    position, rows = kept
    async with engine.begin() as conn:
        if position:
            await save_checkpoint(conn, name, position)
        await replay_queries.restore_outbox_rows(conn, outbox, rows)
