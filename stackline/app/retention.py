"""The retention job: deletes expired error events and keeps what their issues still need.

Design and guarantees: docs/retention.md. A batch at a time: the log first (one event-store
transaction replaces each hash's expired events by one `OccurrencesCompacted`, in place of the
earliest), then the read models (the hash's `compacted_occurrences` row, the deleted `events`
rows), then the analytics rows. A run cut short anywhere is finished by the next: it starts by
bringing the read models and analytics up to every snapshot in the log. Only events that every
projector with a checkpoint has applied are touched, so no reader ever sees an event and the
snapshot that replaces it. This module never decides what a snapshot holds
(`stackline.domain.retention.compact` does) and never deletes anything a projector still has to read.
Its statements are `stackline/readmodels/retention_queries.py`'s; which of them share a transaction,
and in what order the transactions commit, is decided here.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.analytics.port import AnalyticsExecutor
from stackline.analytics.schema import TAG_COUNTS, counting
from stackline.app.blobs import BlobStore
from stackline.app.settings import RetentionSettings
from stackline.domain.error_event import ErrorEventReceived, grouping_of
from stackline.domain.registry import decode
from stackline.domain.retention import (
    EXPIRING_ITEMS,
    Expired,
    Fold,
    ItemsExpired,
    OccurrencesCompacted,
    expire_items,
)
from stackline.eventstore import Compaction, EventStore, RecordedEvent
from stackline.eventstore.port import RetentionUnsupported
from stackline.projections.issues import record_compacted
from stackline.projections.payloads import with_payloads
from stackline.projections.runner import ProjectorLease
from stackline.readmodels import retention_queries as queries
from stackline.readmodels.reads import read

log = logging.getLogger(__name__)
RETENTION = "retention"  # its lease: one process at a time runs the job
INGEST = "ingest-"
ERROR = "ErrorEventReceived"
SNAPSHOT = "OccurrencesCompacted"
ITEMS = [cls.__name__ for cls in EXPIRING_ITEMS]  # expire with their own snapshot, ItemsExpired
ITEMS_SNAPSHOT = ItemsExpired.__name__
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class RetentionResult:
    deleted: int = 0  # error events removed from the log
    snapshots: int = 0  # snapshots written (new or rewritten)
    finished: int = 0  # snapshots of a run cut short, whose read-model work this run did
    items: int = 0  # other items removed from the log (transactions, check-ins, logs, ...)
    seconds: float = 0.0
    cpu_seconds: float = 0.0


@dataclass(slots=True)
class Window:
    """What a run has folded and not yet written: each (project, hash)'s running snapshot and
    the events it replaces in the log (position, stream version), its previous snapshot among
    them."""

    run: str
    folds: dict[tuple[int, str], Fold] = field(default_factory=dict)
    replaced: dict[tuple[int, str], list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    events: int = 0  # expired error events folded

    def clear(self) -> None:
        self.folds.clear()
        self.replaced.clear()
        self.events = 0


class RetentionJob:
    def __init__(
        self,
        store: EventStore,
        engine: AsyncEngine,
        analytics: AnalyticsExecutor | None,
        settings: RetentionSettings,
        blobs: BlobStore | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.analytics = analytics
        self.settings = settings
        self.blobs = blobs  # attachments' blob files

    async def run_forever(self) -> None:
        """Run every `interval`; a run that finds another process's run going skips its turn."""
        while True:
            try:
                result = await self.run_leased(wait=False)
                if result is not None and (result.deleted or result.finished):
                    log.info(
                        "retention deleted %d events into %d snapshots in %.1f s",
                        result.deleted,
                        result.snapshots,
                        result.seconds,
                    )
            except RetentionUnsupported as error:
                log.warning("no retention: %s", error)
                return
            except Exception:
                log.exception("retention run failed; the next one finishes it")
            await asyncio.sleep(self.settings.interval)

    async def run_leased(
        self,
        *,
        wait: bool,
        now: float | None = None,
        on_batch: Callable[[RetentionResult], None] | None = None,
    ) -> RetentionResult | None:
        """One run under the job's lease (held for the run only); None when another process
        holds it and `wait` is False. `now` (unix seconds): the instant the max ages count back
        from, the wall clock unless given (`project run retention --once --now`)."""
        async with ProjectorLease(self.engine, RETENTION) as lease:
            if wait:
                await lease.acquired()
            elif not await lease.try_acquire():
                return None
            return await self.run_once(now=now, on_batch=on_batch)

    async def run_once(
        self, now: float | None = None, on_batch: Callable[[RetentionResult], None] | None = None
    ) -> RetentionResult:
        started, cpu = time.monotonic(), time.process_time()
        result = RetentionResult()
        result.finished = await self._finish_pending()
        pending_items = await self._items_pending()
        await self._apply_items(pending_items)
        result.finished += len(pending_items)
        now = time.time() if now is None else now
        max_ages, caps = await self._project_settings()
        default_cutoff = now - self.settings.max_age
        cutoffs = {project_id: now - age for project_id, age in max_ages.items()}
        # One pass over the log with the latest cutoff of any project; each event then against its own.
        latest = max([default_cutoff, *cutoffs.values()])
        horizon = await self._horizon()
        run = str(uuid.uuid4())
        before = datetime.fromtimestamp(latest, UTC)

        def expired(found: list[RecordedEvent]) -> list[RecordedEvent]:
            return [
                e
                for e in found
                if e.recorded_at.timestamp() < cutoffs.get(int(e.data["project_id"]), default_cutoff)
            ]

        window = Window(run)
        async for found in self._ingest_pages([ERROR], before, horizon, self.settings.batch):
            batch = expired(found)
            if batch:
                await self._fold(window, batch)
                await self._flush_when_due(window, result, on_batch)
        if horizon and (self.settings.max_events is not None or caps):
            await self._evict(caps, horizon, window, result, on_batch)
        await self._flush(window, result, on_batch)
        # Every other item: by max age only (the cap counts errors).
        monitors = await self._monitor_states()
        async for found in self._ingest_pages(ITEMS, before, horizon, self.settings.batch):
            items = expired(found)
            if items:
                await self._apply_items(await self._expire_items(items, run, monitors))
                result.items += len(items)
                if on_batch is not None:
                    on_batch(result)
        if result.deleted or result.items:
            await self.store.reclaim_space()
        result.seconds = time.monotonic() - started
        result.cpu_seconds = time.process_time() - cpu
        return result

    async def _project_settings(self) -> tuple[dict[int, float], dict[int, int]]:
        """Each project's max age (seconds) and cap where it or its organization has one: the
        project's own, else its organization's (else, not in these, the server's)."""
        rows = await read(self.engine, queries.project_retention)
        ages = {row.id: row.days * 86400 for row in rows if row.days is not None}
        caps = {row.id: row.cap for row in rows if row.cap is not None}
        return ages, caps

    async def _evict(
        self,
        caps: dict[int, int],
        horizon: int,
        window: Window,
        result: RetentionResult,
        on_batch: Callable[[RetentionResult], None] | None,
    ) -> None:
        """Projects storing more than their cap (`caps`, else the server's) of error events lose
        their oldest, a batch at a time, but never an issue's first or latest event."""
        default = self.settings.max_events
        over = [
            (project_id, stored - cap)
            for project_id, stored in await read(self.engine, queries.error_events_per_project)
            if (cap := caps.get(project_id, default)) is not None and stored > cap
        ]
        for project_id, excess in over:
            after = 0  # keyset: each batch reads on from the last position the previous one kept
            while excess > 0:
                positions = await read(
                    self.engine,
                    queries.evictable_positions,
                    project_id,
                    horizon,
                    after,
                    min(excess, self.settings.batch),
                )
                if not positions:
                    break
                after = positions[-1]
                batch = [e for e in await self.store.read_positions(positions) if e.type == ERROR]
                if not batch:
                    continue
                await self._fold(window, batch)
                excess -= len(batch)
                await self._flush_when_due(window, result, on_batch)

    async def _horizon(self) -> int:
        """The last position every projector with a checkpoint has applied (0: none has one),
        short of the log's last event: that one stays, so the log's head, where a replay
        leaves the checkpoints, remains where the live projectors' checkpoints are."""
        lowest = await read(self.engine, queries.lowest_checkpoint)
        return max(0, min(int(lowest or 0), await self.store.head_position() - 1))

    # -- the log -----------------------------------------------------------------------------

    async def _fold(self, window: Window, batch: Sequence[RecordedEvent]) -> None:
        """Fold a batch of expired error events into the window's snapshots; nothing is written
        (`_flush` does), so a run killed before its flush leaves the log as it was."""
        decoded = [(event, decode(event.type, event.data)) for event in batch]
        groups: dict[tuple[int, str], list[tuple[RecordedEvent, ErrorEventReceived]]] = defaultdict(list)
        for event, received in await with_payloads(self.store, decoded):
            if isinstance(received, ErrorEventReceived):
                groups[(received.project_id, grouping_of(received).hash)].append((event, received))
        fresh = [key for key in groups if key not in window.folds]
        async with self.engine.connect() as conn:
            previous_at = await queries.snapshot_positions(conn, fresh)
            first_releases = await queries.first_release_positions(conn, releases_of(groups))
        previous_events = {e.position: e for e in await self.store.read_positions(list(previous_at.values()))}
        for key in fresh:
            previous_event = previous_events.get(previous_at.get(key, -1))
            previous = None
            if previous_event is not None:
                found = decode(previous_event.type, previous_event.data)
                previous = found if isinstance(found, OccurrencesCompacted) else None
            replaced = window.replaced[key]
            if previous is not None and previous_event is not None:
                replaced.append((previous_event.position, previous_event.version))
            window.folds[key] = Fold(previous, replaced[0][0] if replaced else None)
        for key, items in groups.items():
            window.folds[key].add(
                [Expired(event.position, received) for event, received in items],
                first_releases.get(key[0], {}),
            )
            window.replaced[key].extend((event.position, event.version) for event, _ in items)
            window.events += len(items)

    async def _flush_when_due(
        self, window: Window, result: RetentionResult, on_batch: Callable[[RetentionResult], None] | None
    ) -> None:
        """Write the window once it holds ten events per snapshot it would rewrite (so each
        deleted event costs a tenth of a rewrite at most, however many issues the project has),
        or `transaction` events (so one transaction of the log stays bounded)."""
        if window.events >= min(self.settings.transaction, 10 * len(window.folds)):
            await self._flush(window, result, on_batch)

    async def _flush(
        self, window: Window, result: RetentionResult, on_batch: Callable[[RetentionResult], None] | None
    ) -> None:
        """One event-store transaction for the window: each hash's folded events and previous
        snapshot become one snapshot in place of the earliest; then the read models and
        analytics (`_apply`)."""
        if not window.folds:
            return
        compactions: list[Compaction] = []
        written: list[tuple[int, OccurrencesCompacted]] = []
        for key, fold in window.folds.items():
            replaced = window.replaced[key]
            snapshot = fold.snapshot(window.run)
            position = min(p for p, _ in replaced)
            compactions.append(
                Compaction(
                    position=position,
                    type=SNAPSHOT,
                    data=snapshot.to_data(),
                    schema_version=snapshot.schema_version,
                    version=max(v for _, v in replaced),
                    deleted=tuple(p for p, _ in replaced if p != position),
                )
            )
            written.append((position, snapshot))
        await self.store.compact(compactions)
        await self._apply(written)
        result.deleted += window.events
        result.snapshots += len(written)
        window.clear()
        if on_batch is not None:
            on_batch(result)

    async def _expire_items(
        self, batch: Sequence[RecordedEvent], run: str, monitors: dict[int, dict[str, dict[str, Any]]]
    ) -> list[ItemsExpired]:
        """One event-store transaction: each project's expired items of the batch become one
        `ItemsExpired` in place of the earliest. `monitors`: each project's monitors as the
        log's latest `ItemsExpired` left them, brought up to these."""
        by_project: dict[int, list[RecordedEvent]] = defaultdict(list)
        for event in batch:
            by_project[int(event.data["project_id"])].append(event)
        compactions: list[Compaction] = []
        written: list[ItemsExpired] = []
        for project_id, expired in by_project.items():
            snapshot = expire_items(
                [(e.position, decode(e.type, e.data)) for e in expired], run, monitors.get(project_id)
            )
            monitors.setdefault(project_id, {}).update(snapshot.monitors)
            position = min(e.position for e in expired)
            compactions.append(
                Compaction(
                    position=position,
                    type=ITEMS_SNAPSHOT,
                    data=snapshot.to_data(),
                    schema_version=snapshot.schema_version,
                    version=max(e.version for e in expired),
                    deleted=tuple(e.position for e in expired if e.position != position),
                )
            )
            written.append(snapshot)
        await self.store.compact(compactions)
        return written

    async def _apply_items(self, snapshots: Sequence[ItemsExpired]) -> None:
        """What `ItemsExpired` snapshots mean outside the log, each step idempotent: analytics
        rows first (when the store is open here), then the read-model rows, then the blobs no
        attachment row names any more. The read-model rows go last but one, so a run cut short
        before them is found again by `_finish_pending` (their rows are still there)."""
        for snapshot in snapshots:
            covers = list(snapshot.covers)
            if self.analytics is not None:
                for start in range(0, len(covers), 5000):
                    chunk = ",".join(str(p) for p in covers[start : start + 5000])
                    await self.analytics.execute(
                        f"DELETE FROM events WHERE project_id = {int(snapshot.project_id)}"
                        f" AND type = 'transaction' AND position IN ({chunk})"
                    )
                    if snapshot.sessions:
                        await self.analytics.execute(
                            f"DELETE FROM sessions WHERE project_id = {int(snapshot.project_id)}"
                            f" AND position IN ({chunk})"
                        )
            ids = [attachment_id for attachment_id, _ in snapshot.attachments]
            async with self.engine.begin() as conn:
                await queries.delete_item_rows(conn, snapshot.project_id, covers, ids)
            await self._delete_unnamed_blobs({sha256 for _, sha256 in snapshot.attachments})

    async def _delete_unnamed_blobs(self, digests: set[str]) -> None:
        if self.blobs is None or not digests:
            return
        named = await read(self.engine, queries.named_digests, digests)
        for digest in digests - named:
            await self.blobs.delete(digest)

    async def _items_pending(self) -> list[ItemsExpired]:
        """The `ItemsExpired` of the log whose read-model rows are still there (a run cut short)."""
        pending: list[ItemsExpired] = []
        async for page in self._snapshot_pages(ITEMS_SNAPSHOT):
            async with self.engine.connect() as conn:
                for event in page:
                    snapshot = decode(event.type, event.data)
                    if not isinstance(snapshot, ItemsExpired):
                        continue
                    ids = [attachment_id for attachment_id, _ in snapshot.attachments]
                    covers = list(snapshot.covers)[:5000]
                    left = await queries.item_rows_left(conn, snapshot.project_id, covers)
                    if not left and ids:
                        left = await queries.attachment_rows_left(conn, snapshot.project_id, ids[:5000])
                    if not left and snapshot.sessions and self.analytics is not None:
                        # Session updates have no read-model rows of their own: ask analytics.
                        chunk = ",".join(str(p) for p in covers)
                        left = bool(
                            await self.analytics.query(
                                f"SELECT 1 FROM sessions WHERE project_id = {int(snapshot.project_id)}"
                                f" AND position IN ({chunk}) LIMIT 1"
                            )
                        )
                    if left:
                        pending.append(snapshot)
        return pending

    async def _monitor_states(self) -> dict[int, dict[str, dict[str, Any]]]:
        """Each project's monitors as the log's latest `ItemsExpired` that holds them left them:
        where the next snapshot's monitor states start from."""
        states: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
        async for page in self._snapshot_pages(ITEMS_SNAPSHOT):
            for event in page:
                snapshot = decode(event.type, event.data)
                if isinstance(snapshot, ItemsExpired) and snapshot.monitors:
                    states[int(snapshot.project_id)].update(snapshot.monitors)
        return states

    async def _snapshot_pages(self, event_type: str) -> AsyncIterator[list[RecordedEvent]]:
        """The log's snapshot events of one type, up to its head now, a page at a time."""
        async for page in self._ingest_pages(
            [event_type], FAR_FUTURE, await self.store.head_position(), 1000
        ):
            yield page

    async def _ingest_pages(
        self, event_types: Sequence[str], before: datetime, through: int, limit: int
    ) -> AsyncIterator[list[RecordedEvent]]:
        """The ingest streams' events of `event_types` recorded before `before`, up to position
        `through` (none when it is 0: an empty log), a page of `limit` at a time."""
        after = 0
        while through:
            page = await self.store.read_recorded_before(
                before,
                through_position=through,
                stream_prefix=INGEST,
                event_types=list(event_types),
                after_position=after,
                limit=limit,
            )
            if not page:
                return
            after = page[-1].position
            yield page

    # -- the read models and analytics ------------------------------------------------------------

    async def _apply(self, snapshots: Sequence[tuple[int, OccurrencesCompacted]]) -> None:
        """What snapshots mean for the read models (one transaction, a few statements per
        project and 500 hashes or 5,000 positions), then for analytics; each idempotent."""
        if not snapshots:
            return
        by_project: dict[int, list[tuple[int, OccurrencesCompacted]]] = defaultdict(list)
        for position, snapshot in snapshots:
            by_project[int(snapshot.project_id)].append((position, snapshot))
        async with self.engine.begin() as conn:
            for project_id, written in by_project.items():
                hashes = [snapshot.hash for _, snapshot in written]
                issue_ids = await queries.issue_ids_of_hashes(conn, project_id, hashes)
                covers = sorted(p for _, snapshot in written for p in snapshot.covers)
                await queries.delete_error_events(conn, project_id, covers)
                await record_compacted(
                    conn,
                    [
                        (issue_ids[snapshot.hash], position, snapshot)
                        for position, snapshot in written
                        if snapshot.hash in issue_ids
                    ],
                    analytics_done=False,
                )
        await self._apply_analytics([snapshot for _, snapshot in snapshots])

    async def _apply_analytics(self, snapshots: Sequence[OccurrencesCompacted]) -> None:
        if self.analytics is None or not snapshots:
            return  # another process's job (the one beside the analytics store) deletes them
        by_project: dict[int, list[int]] = defaultdict(list)
        for snapshot in snapshots:
            by_project[int(snapshot.project_id)].extend(int(p) for p in snapshot.covers)
        for project_id, covers in by_project.items():
            for start in range(0, len(covers), 5000):
                chunk = ",".join(str(p) for p in covers[start : start + 5000])
                await self._recount_tag_days(project_id, chunk)
                await self.analytics.execute(
                    f"DELETE FROM events WHERE project_id = {project_id} AND type = 'error'"
                    f" AND position IN ({chunk})"
                )
        done: dict[tuple[int, str], list[str]] = defaultdict(list)
        for snapshot in snapshots:
            done[(int(snapshot.project_id), snapshot.run)].append(snapshot.hash)
        async with self.engine.begin() as conn:
            for (project_id, run), hashes in done.items():
                await queries.mark_analytics_done(conn, project_id, run, hashes)

    async def _recount_tag_days(self, project_id: int, chunk: str) -> None:
        """The tag counts tables of the days the events at positions `chunk` fall on, counted
        again from the events stored without them: what a replay of analytics counts. Done
        before those rows are deleted, so a run cut short in between finds the days again (and
        counts them again: a recount is idempotent) instead of leaving them counted as they were."""
        assert self.analytics is not None
        days = [
            str(row[0])
            for row in await self.analytics.query(
                "SELECT DISTINCT toString(toDate(timestamp)) AS day FROM events"
                f" WHERE project_id = {project_id} AND type = 'error' AND position IN ({chunk})"
            )
        ]
        if not days:
            return  # deleted by an earlier run, after it had recounted their days
        listed = ",".join(f"'{day}'" for day in days)
        kept = (
            f"(SELECT * FROM events FINAL WHERE project_id = {project_id} AND type = 'error'"
            f" AND toDate(timestamp) IN ({listed}) AND position NOT IN ({chunk}))"
        )
        for table in TAG_COUNTS:
            await self.analytics.execute(
                f"DELETE FROM {table} WHERE project_id = {project_id} AND day IN ({listed})"
            )
            # The recount of a day can be the very rows inserted before: no block deduplication.
            await self.analytics.execute(
                f"INSERT INTO {table} SETTINGS insert_deduplicate = 0 {counting(table, kept)}"
            )

    async def _finish_pending(self) -> int:
        """Bring the read models (and analytics) up to every snapshot of the log: a run cut short
        between its steps left some behind. How many needed it."""
        recorded = {
            (row.project_id, row.hash): (row.position, row.run, row.times_seen, row.analytics_run)
            for row in await read(self.engine, queries.compacted_rows)
        }
        finished = 0
        async for page in self._snapshot_pages(SNAPSHOT):
            unapplied: list[tuple[int, OccurrencesCompacted]] = []
            analytics_behind: list[OccurrencesCompacted] = []
            for event in page:
                snapshot = decode(event.type, event.data)
                if not isinstance(snapshot, OccurrencesCompacted):
                    continue
                stored = recorded.get((snapshot.project_id, snapshot.hash))
                # A run folds each batch into the hash's snapshot at the same position: its count
                # tells whether the read models got the last fold before the run was cut short.
                if stored is None or stored[:3] != (event.position, snapshot.run, snapshot.count):
                    unapplied.append((event.position, snapshot))
                elif stored[3] != snapshot.run and self.analytics is not None:
                    analytics_behind.append(snapshot)
            await self._apply(unapplied)
            await self._apply_analytics(analytics_behind)
            finished += len(unapplied) + len(analytics_behind)
        return finished


def releases_of(
    groups: dict[tuple[int, str], list[tuple[RecordedEvent, ErrorEventReceived]]],
) -> dict[int, set[str]]:
    """Each project's releases named by the folded events of `groups`: whose first positions a
    fold needs."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for (project_id, _), items in groups.items():
        wanted[project_id].update(r.facts.release for _, r in items if r.facts.release)
    return wanted
