"""The composition root: the one place that picks adapters by their URL settings."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.analytics.port import AnalyticsExecutor, AnalyticsUnavailable
from stackline.analytics.schema import create_tables
from stackline.app.alert_commands import AlertCommands
from stackline.app.alert_sender import AlertSender
from stackline.app.blobs import BlobStore
from stackline.app.commands import Commands
from stackline.app.intake_pool import IntakePool
from stackline.app.issue_commands import IssueCommands
from stackline.app.limits import OutcomeTally, RateLimiter
from stackline.app.lookups import Lookups
from stackline.app.personal_keys import PersonalKeys
from stackline.app.retention import RetentionJob
from stackline.app.settings import IntakeWorkers, Settings, SettingsError
from stackline.app.webhook_commands import WebhookCommands
from stackline.app.webhook_sender import WebhookSender
from stackline.bus import Bus
from stackline.bus.memory import InProcessBus
from stackline.domain import registry
from stackline.eventstore import EventStore
from stackline.eventstore.port import Upcasters
from stackline.eventstore.sqlite import SQLiteEventStore
from stackline.projections.alerts import AlertNotificationsProjection, AlertRulesProjection
from stackline.projections.analytics import AnalyticsProjection
from stackline.projections.intake import IntakeProjection, monitor_from_row
from stackline.projections.issues import IssuesProjection
from stackline.projections.projects import ProjectsProjection
from stackline.projections.runner import ProjectorRunner
from stackline.projections.sourcemaps import SourceMapsProjection
from stackline.projections.webhooks import WebhookDeliveriesProjection, WebhooksProjection
from stackline.readmodels import clock_queries
from stackline.readmodels.db import check_reachable, create_engine, migrate
from stackline.readmodels.reads import read

log = logging.getLogger(__name__)
READ_MODEL_PROJECTOR = "readmodels"
ANALYTICS_PROJECTOR = "analytics"
WEBHOOK_PROJECTOR = "webhooks"
ALERT_PROJECTOR = "alerts"
PROJECTORS = (
    READ_MODEL_PROJECTOR,
    ANALYTICS_PROJECTOR,
    WEBHOOK_PROJECTOR,
    ALERT_PROJECTOR,
)  # what `stackline project run NAME` knows (and `retention`, the job that is not a projector)
RETENTION_JOB = "retention"
IGNORE_EXPIRY_SECONDS = 1.0
MONITOR_CLOCK_SECONDS = 5.0  # a monitor's margins are whole minutes


def domain_upcasters() -> Upcasters:
    """Every upcaster the domain defines (each beside its event; `stackline.domain.registry`
    collects them), for the event store to lift old shapes on read."""
    upcasters = Upcasters()
    for (type_name, version), function in registry.upcasters().items():
        upcasters.register(type_name, version)(function)
    return upcasters


async def open_event_store(url: str) -> EventStore:
    upcasters = domain_upcasters()
    if url.startswith("sqlite:///"):
        return SQLiteEventStore(Path(url.removeprefix("sqlite:///")), upcasters)
    # The adapters of real servers are imported only when chosen: their clients (asyncpg,
    # kurrentdbclient with grpc, nats) cost the embedded default's process ~60 MB of RSS.
    if url.startswith(("postgresql://", "postgres://")):
        import asyncpg

        from stackline.eventstore.postgres import PostgresEventStore

        try:
            return await PostgresEventStore.open(url, upcasters)
        except (OSError, asyncpg.PostgresError) as error:
            raise SettingsError(f"STACKLINE_EVENTSTORE_URL: cannot use {_redacted(url)}: {error}") from error
    if url.startswith(("kurrentdb://", "kurrentdb+discover://", "esdb://", "esdb+discover://")):
        from stackline.eventstore.kurrentdb import KurrentDBEventStore

        try:
            return await KurrentDBEventStore.open(url, upcasters)
        except Exception as error:  # noqa: BLE001 - the client raises many kinds; all mean "can't use it"
            raise SettingsError(f"STACKLINE_EVENTSTORE_URL: cannot use {_redacted(url)}: {error}") from error
    raise SettingsError(
        f"STACKLINE_EVENTSTORE_URL: unsupported event store URL {_redacted(url)} "
        "(use sqlite:///PATH, postgresql://USER@HOST:PORT/DB or kurrentdb://HOST:PORT?tls=false)"
    )


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def open_read_models(url: str) -> AsyncEngine:
    try:
        return create_engine(url)
    except (ArgumentError, ValueError) as error:
        raise SettingsError(f"STACKLINE_DATABASE_URL: {error}") from error


async def open_bus(settings: Settings) -> Bus:
    """NATS when STACKLINE_NATS_URL is set (changes reach every API process, and a JetStream
    stream keeps them for integrations); else the in-process bus of a single-process setup."""
    if not settings.nats_url:
        return InProcessBus()
    from stackline.bus.nats import NatsBus  # only when chosen, like the event stores above

    try:
        bus = await NatsBus.connect(settings.nats_url, subject_prefix=settings.nats_prefix)
    except ConnectionError as error:
        raise SettingsError(str(error)) from error
    try:
        await bus.ensure_stream(stream_name_for(settings.nats_prefix))
    except RuntimeError as error:
        await bus.close()
        raise SettingsError(f"STACKLINE_NATS_URL: {error}") from error
    return bus


def stream_name_for(prefix: str) -> str:
    """The JetStream stream that keeps a prefix's issue changes: `STACKLINE_ISSUES` by default."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", prefix).upper() + "_ISSUES"


def read_model_projector(
    store: EventStore, engine: AsyncEngine, bus: Bus | None, blobs: BlobStore | None = None
) -> ProjectorRunner:
    """The projector of the SQL read models: organizations, projects, issues, events, releases
    and artifacts (source maps are read from `blobs` to symbolicate JavaScript events)."""
    # Before the issues: a release made by the release API is the one its events see, and an
    # event whose maps are uploaded is grouped by its mapped frames.
    sourcemaps = SourceMapsProjection(store, blobs)
    return ProjectorRunner(
        READ_MODEL_PROJECTOR,
        store,
        engine,
        [
            ProjectsProjection(),
            sourcemaps,
            IssuesProjection(store, sourcemaps.groupings),
            IntakeProjection(),
            WebhooksProjection(),
            AlertRulesProjection(),
        ],
        bus,
    )


async def open_analytics(settings: Settings) -> AnalyticsExecutor:
    """The analytics store with its tables: a ClickHouse server when STACKLINE_CLICKHOUSE_URL
    is set, else chDB in the data directory (one process at a time). Raises AnalyticsUnavailable."""
    if not settings.analytics_enabled:
        raise AnalyticsUnavailable("the analytics store is turned off (STACKLINE_CLICKHOUSE_URL=none)")
    if settings.clickhouse_url:
        from stackline.analytics.clickhouse import ClickHouseExecutor

        try:
            executor: AnalyticsExecutor = await ClickHouseExecutor.open(settings.clickhouse_url)
        except AnalyticsUnavailable as error:
            raise SettingsError(f"STACKLINE_CLICKHOUSE_URL: {error}") from error
    else:
        from stackline.analytics.chdb import ChdbExecutor

        executor = await ChdbExecutor.open(settings.analytics_dir)
    try:
        await create_tables(executor)
    except Exception:
        await executor.close()
        raise
    return executor


def analytics_projector(
    store: EventStore, engine: AsyncEngine, executor: AnalyticsExecutor
) -> ProjectorRunner:
    """The projector of the analytics store; its checkpoint lives in the SQL read model."""
    return ProjectorRunner(ANALYTICS_PROJECTOR, store, engine, [AnalyticsProjection(executor, store)])


def webhook_worker(
    settings: Settings, store: EventStore, engine: AsyncEngine, read_models: ProjectorRunner
) -> tuple[ProjectorRunner, WebhookSender]:
    """The webhook worker: a projector that queues deliveries (trailing the read models, whose
    rows it reads) and the sender that sends them, which works while that projector's lease is held."""
    projection = WebhookDeliveriesProjection()
    projector = ProjectorRunner(
        WEBHOOK_PROJECTOR, store, engine, [projection], trails=read_models, idle=projection.is_idle
    )
    sender = WebhookSender(engine, settings.webhooks, projector)
    projection.on_queued = sender.wake
    return projector, sender


def alert_worker(
    settings: Settings, store: EventStore, engine: AsyncEngine, read_models: ProjectorRunner
) -> tuple[ProjectorRunner, AlertSender]:
    """The alerts worker: a projector that queues notifications (trailing the read models, whose
    rows and counts it reads) and the sender that delivers them while that projector's lease is held."""
    projection = AlertNotificationsProjection()
    projector = ProjectorRunner(
        ALERT_PROJECTOR, store, engine, [projection], trails=read_models, idle=projection.is_idle
    )
    sender = AlertSender(engine, settings, AlertCommands(store), projector)
    projection.on_queued = sender.wake
    return projector, sender


def migrate_read_models(url: str) -> None:
    """Bring the read-model schema to the newest migration (blocking). Bad settings name
    themselves; so does a migration that fails on a database it reached (not "cannot reach")."""
    try:
        migrate(url)
    except OperationalError as error:
        try:  # only a failure asks why: start-up connects once
            check_reachable(url)
        except OperationalError as unreachable:
            raise SettingsError(
                f"STACKLINE_DATABASE_URL: cannot reach {_redacted(url)}: {unreachable.orig}"
            ) from error
        raise SettingsError(
            f"STACKLINE_DATABASE_URL: migrating {_redacted(url)} failed: {error.orig}"
        ) from error
    except (ArgumentError, ValueError) as error:
        raise SettingsError(f"STACKLINE_DATABASE_URL: {error}") from error


@dataclass
class Services:
    settings: Settings
    store: EventStore
    engine: AsyncEngine
    bus: Bus
    commands: Commands
    lookups: Lookups
    projector: ProjectorRunner
    issue_commands: IssueCommands
    blobs: BlobStore
    limiter: RateLimiter
    webhook_commands: WebhookCommands
    webhook_projector: ProjectorRunner
    webhook_sender: WebhookSender
    alert_commands: AlertCommands
    alert_projector: ProjectorRunner
    alert_sender: AlertSender
    chunks: BlobStore  # sentry-cli's uploaded chunks, by SHA-1, until a bundle is assembled
    outcomes: OutcomeTally = field(default_factory=OutcomeTally)
    intake_pool: IntakePool = field(default_factory=lambda: IntakePool(IntakeWorkers()))
    supervisor: Supervisor = field(default_factory=lambda: Supervisor())
    analytics: AnalyticsExecutor | None = None
    analytics_projector: ProjectorRunner | None = None
    analytics_unavailable: str | None = None  # why `analytics` is None, for the API's answers
    personal: PersonalKeys | None = None  # subject keys (crypto-shredding): open_services sets it
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _serving_tasks: list[asyncio.Task] = field(default_factory=list)

    def start_serving(self) -> None:
        """What an ingest process runs beside its requests: flushing the refusal tally."""
        task = asyncio.get_running_loop().create_task(
            self.supervisor.keep_running(
                "outcomes", lambda: self.outcomes.run(self.commands.record_outcomes)
            ),
            name="outcomes",
        )
        task.add_done_callback(_report_crash)
        self._serving_tasks.append(task)

    def retention_job(self) -> RetentionJob:
        return RetentionJob(self.store, self.engine, self.analytics, self.settings.retention, self.blobs)

    def projectors(self) -> list[ProjectorRunner]:
        """Every projector this process can run (the analytics one when its store is open here)."""
        runners = [self.projector, self.analytics_projector, self.webhook_projector, self.alert_projector]
        return [runner for runner in runners if runner is not None]

    @property
    def projector_running(self) -> bool:
        return self.projector.running

    def require_analytics(self) -> AnalyticsExecutor:
        if self.analytics is None:
            raise AnalyticsUnavailable(
                self.analytics_unavailable or "the analytics store is not open in this process"
            )
        return self.analytics

    def start_projectors(self, names: tuple[str, ...] = (*PROJECTORS, RETENTION_JOB)) -> None:
        """Run the named projectors here: `readmodels` (with the clock's ignore expiry), `analytics`
        (when its store is open here), `webhooks` (the delivery queue and its sender) and `alerts`
        (the notification queue and its sender). Each works while its lease is held."""
        loop = asyncio.get_running_loop()
        work: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = []
        if READ_MODEL_PROJECTOR in names:
            work += [
                ("projector", self.projector.run),
                ("ignore-expiry", self.expire_ignores),
                ("monitor-clock", self.watch_monitors),
            ]
        if ANALYTICS_PROJECTOR in names and self.analytics_projector is not None:
            work.append(("analytics-projector", self.analytics_projector.run))
        if WEBHOOK_PROJECTOR in names:
            work += [
                ("webhook-projector", self.webhook_projector.run),
                ("webhook-sender", self.webhook_sender.run),
            ]
        if ALERT_PROJECTOR in names:
            work += [
                ("alert-projector", self.alert_projector.run),
                ("alert-sender", self.alert_sender.run),
            ]
        if RETENTION_JOB in names:
            work.append(("retention", self.retention_job().run_forever))
        for name, run in work:
            task = loop.create_task(self.supervisor.keep_running(name, run), name=name)
            task.add_done_callback(_report_crash)
            self._tasks.append(task)

    async def wait_closed(self) -> None:
        """Until a background task ends (it should not) or the process is stopped."""
        await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)

    async def expire_ignores(self) -> None:
        """The clock's part of the lifecycle: wake issues ignored until a time that has passed."""
        while True:
            now = time.time()
            for issue_id in await read(self.engine, clock_queries.issues_ignored_until_passed, now):
                await self.issue_commands.expire_ignore(issue_id, now)
            await asyncio.sleep(IGNORE_EXPIRY_SECONDS)

    async def mark_overdue_monitors(self, now: float) -> int:
        """The clock's part of cron monitors: append each missed or timed-out check-in that the
        monitors due by `now` have (`Monitor.overdue`); returns how many. Only once the read
        model holds every check-in accepted so far, so a late one is not taken for missing."""
        if not await self.projector.wait_for(await self.store.head_position(), MONITOR_CLOCK_SECONDS):
            return 0
        rows = await read(self.engine, clock_queries.monitors_due, now)
        marks = [mark for row in rows for mark in monitor_from_row(row).overdue(now)]
        for mark in marks:
            await self.commands.mark_monitor(mark)
        return len(marks)

    async def watch_monitors(self) -> None:
        while True:
            await self.mark_overdue_monitors(time.time())
            await asyncio.sleep(MONITOR_CLOCK_SECONDS)

    async def close(self) -> None:
        for task in (*self._tasks, *self._serving_tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._serving_tasks, return_exceptions=True)
        await self.outcomes.flush(self.commands.record_outcomes)
        await asyncio.to_thread(self.intake_pool.close)
        await self.bus.close()
        if self.analytics is not None:
            await self.analytics.close()
        await self.store.close()
        await self.engine.dispose()
        if self.personal is not None:
            await self.personal.close()


class Supervisor:
    """Restarts a background task (a projector, a sender) that crashed: a read-model database
    that drops its connections, say, must not leave events unprojected until someone restarts
    the process. Restarts wait 1 s, doubling to a minute while the task keeps crashing soon
    after starting (a poison event); `/healthz` reports each task's restarts and last crash."""

    FIRST_DELAY = 1.0
    MAX_DELAY = 60.0
    STEADY_SECONDS = 60.0  # a run this long resets the delay

    def __init__(self) -> None:
        self.restarts: dict[str, int] = {}
        self.last_crash: dict[str, str] = {}

    async def keep_running(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        delay = self.FIRST_DELAY
        while True:
            started = time.monotonic()
            try:
                await run()
                return  # finished of its own accord (a worker that is done)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # stopping: what failed on the way out (a dead connection) is no crash
                if time.monotonic() - started >= self.STEADY_SECONDS:
                    delay = self.FIRST_DELAY
                log.error("%s crashed; restarting in %.0f s", name, delay, exc_info=error)
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.last_crash[name] = f"{type(error).__name__}: {error}"[:500]
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.MAX_DELAY)


def _report_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


# Embedded chDB is written only by an analytics projector in the same process: an API process
# without projectors would read a store nobody feeds (all zeros, without a word).
ANALYTICS_APART = (
    "an API process without projectors (serve --no-projectors) reads analytics from a ClickHouse "
    "server only: set STACKLINE_CLICKHOUSE_URL in every process and run `stackline project run analytics`"
)


async def open_services(settings: Settings, analytics: bool = True, runs_projectors: bool = True) -> Services:
    """Open every adapter and bring the read model schema up to date (alembic).

    The analytics store is opened only when `analytics` is asked for, and embedded chDB only in a
    process that runs projectors (`ANALYTICS_APART`). When chDB's directory is held by another
    process, this process serves without it. Without it, its analytics fields answer why."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_event_store(settings.eventstore_url)
    engine = open_read_models(settings.database_url)
    await asyncio.to_thread(migrate_read_models, settings.database_url)
    try:
        bus = await open_bus(settings)
    except SettingsError:
        await store.close()
        await engine.dispose()
        raise
    blobs = BlobStore(settings.data_dir / "blobs")
    projector = read_model_projector(store, engine, bus, blobs)
    webhook_projector, webhook_sender = webhook_worker(settings, store, engine, projector)
    alert_projector, alert_sender = alert_worker(settings, store, engine, projector)
    services = Services(
        settings,
        store,
        engine,
        bus,
        Commands(store),
        Lookups(engine),
        projector,
        IssueCommands(store),
        blobs,
        RateLimiter(engine),
        WebhookCommands(store),
        webhook_projector,
        webhook_sender,
        AlertCommands(store),
        alert_projector,
        alert_sender,
        BlobStore(settings.data_dir / "chunks", digest_length=40),
        intake_pool=IntakePool(settings.intake),
        personal=await PersonalKeys.open(settings.database_url, settings.data_dir),
    )
    if not analytics:
        services.analytics_unavailable = "this process does not open the analytics store"
        return services
    if not runs_projectors and settings.analytics_enabled and not settings.clickhouse_url:
        log.warning("serving without analytics: %s", ANALYTICS_APART)
        services.analytics_unavailable = ANALYTICS_APART
        return services
    try:
        services.analytics = await open_analytics(settings)
    except AnalyticsUnavailable as error:
        log.warning("serving without analytics: %s", error)
        services.analytics_unavailable = str(error)
    except BaseException:
        await services.close()
        raise
    else:
        services.analytics_projector = analytics_projector(store, engine, services.analytics)
    return services
