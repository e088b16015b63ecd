"""Projection of error events and issue streams into issues, their events, tags, users and
activity.

Grouping happens here, on read of the log, so a new grouping config can be rolled out by
replay. An event's hash leads to its issue through `issue_hashes` (merges move hashes); a new
hash creates an issue whose id is derived from (project, hash), so a replay rebuilds the same
ids. What an occurrence means for the issue's lifecycle (regressed, woke from an ignore) is
decided by the pure `Issue` aggregate from the row's state, and handed to the runner as a
reaction to append; the status changes when that event comes back through the log. What an
issue-stream event does to the row is `Issue.apply`'s to say, never this module's: the row
stores what the aggregate decides (`issue_state`, `lifecycle_values`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.bus import IssueChange
from stackline.domain.error_event import ErrorEventReceived, grouping_of
from stackline.domain.grouping import GroupingResult
from stackline.domain.issue import (
    CHANGE_KIND,
    IGNORED,
    REACTIVE,
    UNRESOLVED,
    Issue,
    IssueCreated,
    IssueEvent,
    IssueMerged,
    IssueUnmerged,
    Occurrence,
    issue_id_for,
    stream_name,
)
from stackline.domain.registry import decode
from stackline.domain.retention import OccurrencesCompacted
from stackline.domain.summary import EventSummary
from stackline.eventstore import EventStore, RecordedEvent, StreamState
from stackline.projections.payloads import with_payloads
from stackline.projections.runner import Effects, Reaction
from stackline.readmodels.queries import aware
from stackline.readmodels.schema import (
    compacted_occurrences,
    events,
    issue_activity,
    issue_hashes,
    issue_tags,
    issue_users,
    issues,
    projects,
    releases,
)
from stackline.readmodels.upsert import insert_absent, insert_many, upsert_counts

EVENTS_BY_ISSUE = next(index for index in events.indexes if index.name == "ix_events_issue_position")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TAG_LIMIT = 200


def short_id(project_slug: str, number: int) -> str:
    """Sentry-style short id: `WEB-1`, ..., `WEB-Z`, `WEB-10` (Crockford base32)."""
    digits = ""
    while True:
        number, rest = divmod(number, 32)
        digits = CROCKFORD[rest] + digits
        if number == 0:
            return f"{project_slug.upper()}-{digits}"


def issue_state(row: Mapping[str, Any]) -> Issue:
    """The aggregate's state, rebuilt from the issue's row (all but its hashes, which
    `issue_hashes` keeps and no decision about the row needs)."""
    return Issue(
        id=row["id"],
        project_id=row["project_id"],
        organization_id=row["organization_id"],
        primary_hash=row["primary_hash"],
        status=row["status"],
        substatus=row["substatus"],
        assignee=row["assignee"],
        merged_into=row["merged_into"],
        resolved_in_next_release=row["resolved_in_next_release"],
        resolved_release_position=row["resolved_release_position"],
        ignore_until_count=row["ignore_until_count"],
        ignore_until_timestamp=row["ignore_until_timestamp"],
        ignore_until_users=row["ignore_until_users"],
        events_since_ignore=row["events_since_ignore"],
        users_since_ignore=set(row["users_since_ignore"] or ()),
        version=row["version"],
    )


def lifecycle_values(issue: Issue) -> dict[str, Any]:
    """What the aggregate decided, as the row's lifecycle columns (the version aside: the row
    takes the stream's version of the event it applied)."""
    values = {name: getattr(issue, name) for name in _LIFECYCLE if name != "version"}
    values["users_since_ignore"] = sorted(issue.users_since_ignore)
    return values


@dataclass(slots=True)
class _Occurrence:
    event: RecordedEvent
    received: ErrorEventReceived
    summary: EventSummary  # the facts' summary
    grouping: GroupingResult
    seen: datetime
    release: str | None
    environment: str | None
    user: str | None
    # The grouping at ingest, when the mapped frames of its source maps grouped it otherwise:
    # that hash leads to the same issue (the analytics store counts events by it).
    as_sent: GroupingResult | None = None


class IssuesProjection:
    """Counts held back until `flush`: the issues' changed rows and the tag counts. A live
    projector flushes every batch; a replay flushes once per window of many batches, so an issue
    or a tag value seen all through the window is written once, not once per batch."""

    def __init__(
        self, store: EventStore | None = None, mapped: Mapping[tuple[int, str], GroupingResult] | None = None
    ) -> None:
        self.store = store  # to read the payloads of events to regroup (`payloads.with_payloads`)
        # (project, event id) -> the grouping of its frames mapped through source maps, decided
        # by the sourcemaps projection ahead of this one in the same batch.
        self.mapped = mapped if mapped is not None else {}
        self._dirty: dict[str, dict[str, Any]] = {}  # issue id -> its row, changed since the flush
        # (issue, key, value) -> [count, first seen, last seen], times as unix seconds until the flush
        self._tags: dict[tuple[str, str, str], list] = {}

    async def flush(self, conn: AsyncConnection) -> None:
        """Write what the batches since the last flush held back (before the transaction commits)."""
        if self._dirty:
            await conn.execute(
                issues.update()
                .where(issues.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in _WRITTEN}),
                [{"b_id": i, **{f"b_{n}": row[n] for n in _WRITTEN}} for i, row in self._dirty.items()],
            )
            self._dirty = {}
        if self._tags:
            await upsert_counts(
                conn,
                issue_tags,
                [
                    {
                        "issue_id": i,
                        "key": k,
                        "value": v,
                        "times_seen": n,
                        "first_seen": datetime.fromtimestamp(first, UTC),
                        "last_seen": datetime.fromtimestamp(last, UTC),
                    }
                    for (i, k, v), (n, first, last) in self._tags.items()
                ],
            )
            self._tags = {}

    def discard(self) -> None:
        self._dirty, self._tags = {}, {}

    async def _rows(self, conn: AsyncConnection, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """The issues' rows as they stand: held-back changes first, else as stored."""
        rows = {i: self._dirty[i] for i in ids if i in self._dirty}
        missing = [i for i in ids if i not in rows]
        for start in range(0, len(missing), 5000):
            for row in await conn.execute(
                select(issues).where(issues.c.id.in_(missing[start : start + 5000]))
            ):
                rows[row.id] = dict(row._mapping)
        return rows

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        """Events are applied a run at a time (a few statements per run, not per event): a run
        of occurrences, then a run of issue-stream events, and so on, in log order."""
        occurrences: list[tuple[RecordedEvent, ErrorEventReceived]] = []
        lifecycle: list[tuple[RecordedEvent, IssueEvent]] = []
        for event in batch:
            domain_event = decode(event.type, event.data)
            if isinstance(domain_event, ErrorEventReceived):
                if lifecycle:
                    await self._lifecycle(conn, lifecycle, effects)
                    lifecycle = []
                occurrences.append((event, domain_event))
            elif isinstance(domain_event, IssueEvent):
                if occurrences:
                    await self._occurrences(conn, occurrences, effects)
                    occurrences = []
                lifecycle.append((event, domain_event))
            elif isinstance(domain_event, OccurrencesCompacted):  # only a replay meets one
                if occurrences:
                    await self._occurrences(conn, occurrences, effects)
                    occurrences = []
                if lifecycle:
                    await self._lifecycle(conn, lifecycle, effects)
                    lifecycle = []
                await self._compacted(conn, event, domain_event, effects)
        if occurrences:
            await self._occurrences(conn, occurrences, effects)
        if lifecycle:
            await self._lifecycle(conn, lifecycle, effects)

    # -- occurrences ---------------------------------------------------------------------------

    async def _occurrences(
        self, conn: AsyncConnection, run: list[tuple[RecordedEvent, ErrorEventReceived]], effects: Effects
    ) -> None:
        items = [
            _analyze(event, received, self.mapped) for event, received in await with_payloads(self.store, run)
        ]
        by_project: dict[int, list[_Occurrence]] = defaultdict(list)
        for item in items:
            by_project[item.received.project_id].append(item)

        # Read, in bulk, everything the run's events touch.
        stored_events: set[tuple[int, str]] = set()
        issue_of_hash: dict[tuple[int, str], str] = {}
        release_positions: dict[tuple[int, str], int] = {}
        for project_id, group in by_project.items():
            ids = list({i.received.event_id for i in group})
            for (event_id,) in await conn.execute(
                select(events.c.event_id).where(events.c.project_id == project_id, events.c.event_id.in_(ids))
            ):
                stored_events.add((project_id, event_id))
            hashes = list({i.grouping.hash for i in group} | {i.as_sent.hash for i in group if i.as_sent})
            for hash_, issue_id in await conn.execute(
                select(issue_hashes.c.hash, issue_hashes.c.issue_id).where(
                    issue_hashes.c.project_id == project_id, issue_hashes.c.hash.in_(hashes)
                )
            ):
                issue_of_hash[(project_id, hash_)] = issue_id
            versions = list({i.release for i in group if i.release})
            if versions:
                for version, first in await conn.execute(
                    select(releases.c.version, releases.c.first_position).where(
                        releases.c.project_id == project_id, releases.c.version.in_(versions)
                    )
                ):
                    release_positions[(project_id, version)] = first
        rows = await self._rows(conn, set(issue_of_hash.values()))
        counters = {
            row.id: [row.slug, row.issue_counter]
            for row in await conn.execute(
                select(projects.c.id, projects.c.slug, projects.c.issue_counter).where(
                    projects.c.id.in_(list(by_project))
                )
            )
        }

        # Decide, in log order, in memory.
        created: list[str] = []
        changed: set[str] = set()
        new_hashes, new_releases, new_events = [], [], []
        seen_by: set[tuple[str, str]] = set()
        tag_counts = self._tags
        for item in items:
            received, event = item.received, item.event
            project_id = received.project_id
            if (project_id, received.event_id) in stored_events:  # an SDK retried an event
                continue
            stored_events.add((project_id, received.event_id))
            release_position = None
            if item.release:
                release_position = release_positions.get((project_id, item.release))
                if release_position is None:
                    release_position = release_positions[(project_id, item.release)] = event.position
                    new_releases.append(
                        {
                            "project_id": project_id,
                            "version": item.release,
                            "first_position": event.position,
                            "first_seen": item.seen,
                        }
                    )
            if (
                item.as_sent is not None
                and (project_id, item.grouping.hash) not in issue_of_hash
                and (project_id, item.as_sent.hash) in issue_of_hash
            ):
                # Its issue was made before the maps were uploaded: the same crash stays one issue.
                item.grouping, item.as_sent = item.as_sent, None
            issue_id = issue_of_hash.get((project_id, item.grouping.hash))
            if issue_id is None:
                issue_id = issue_id_for(project_id, item.grouping.hash)
                counters[project_id][1] += 1
                rows[issue_id] = _new_issue_row(
                    issue_id, item, short_id(counters[project_id][0], counters[project_id][1])
                )
                issue_of_hash[(project_id, item.grouping.hash)] = issue_id
                created.append(issue_id)
                new_hashes.append(
                    {
                        "project_id": project_id,
                        "hash": item.grouping.hash,
                        "issue_id": issue_id,
                        "grouping": item.grouping.to_data(),
                    }
                )
                creation = IssueCreated(
                    issue_id, received.organization_id, project_id, item.grouping.hash, received.event_id
                )
                effects.reactions.append(
                    Reaction(stream_name(issue_id), creation, event, StreamState.NO_STREAM)
                )
                effects.changes.append(
                    IssueChange("CREATED", received.organization_id, project_id, issue_id, event.position)
                )
            else:
                row = rows[issue_id]
                _count_occurrence(row, item, event.position)
                if row["status"] in REACTIVE:
                    state = issue_state(row)
                    for reaction in state.react_to_occurrence(
                        Occurrence(
                            received.event_id,
                            item.release,
                            release_position,
                            item.user,
                            item.summary.timestamp,
                        )
                    ):
                        effects.reactions.append(
                            Reaction(stream_name(issue_id), reaction, event, StreamState.ANY)
                        )
                    if row["status"] == IGNORED:
                        row["events_since_ignore"] = state.events_since_ignore
                        row["users_since_ignore"] = sorted(state.users_since_ignore)
                if issue_id not in changed:  # one notice per issue and run: the runner keeps only the first
                    changed.add(issue_id)
                    effects.changes.append(
                        IssueChange("UPDATED", received.organization_id, project_id, issue_id, event.position)
                    )
            if item.as_sent is not None and (project_id, item.as_sent.hash) not in issue_of_hash:
                # Grouped by its mapped frames: the hash it was sent with leads here too.
                issue_of_hash[(project_id, item.as_sent.hash)] = issue_id
                new_hashes.append(
                    {
                        "project_id": project_id,
                        "hash": item.as_sent.hash,
                        "issue_id": issue_id,
                        "grouping": item.as_sent.to_data(),
                    }
                )
            if item.user:
                seen_by.add((issue_id, item.user))
            at = item.summary.timestamp
            for key, value in item.summary.tags[:TAG_LIMIT]:
                pair = (issue_id, key[:200], value[:200])
                counted = tag_counts.get(pair)
                if counted is None:
                    tag_counts[pair] = [1, at, at]
                else:
                    counted[0] += 1
                    if at < counted[1]:
                        counted[1] = at
                    elif at > counted[2]:
                        counted[2] = at
            new_events.append(_event_row(item, issue_id))

        # Write, in bulk. Users first: the pairs not stored before are the issues' new users.
        if seen_by:
            for (issue_id,) in await insert_absent(
                conn,
                issue_users,
                [{"issue_id": i, "user_key": u} for i, u in seen_by],
                returning=(issue_users.c.issue_id,),
            ):
                rows[issue_id]["user_count"] += 1
        fresh = set(created)
        if created:
            await conn.execute(issues.insert(), [rows[i] for i in created])
        if new_hashes:
            await conn.execute(issue_hashes.insert(), new_hashes)
        if created:
            await conn.execute(
                projects.update()
                .where(projects.c.id == bindparam("b_id"))
                .values(issue_counter=bindparam("b_counter")),
                [{"b_id": p, "b_counter": c} for p, (_, c) in counters.items()],
            )
        for issue_id in changed - fresh:
            self._dirty[issue_id] = rows[issue_id]
        if new_releases:
            await conn.execute(releases.insert(), new_releases)
        await insert_many(conn, events, new_events)

    # -- retention's snapshots -------------------------------------------------------------

    async def _compacted(
        self, conn: AsyncConnection, event: RecordedEvent, snapshot: OccurrencesCompacted, effects: Effects
    ) -> None:
        """A snapshot stands for the occurrences retention deleted (docs/retention.md): applied as
        their sum, so a replay reaches the rows the live projector had. It reacts to nothing but
        a new issue: whatever those occurrences caused is in the issue's stream already."""
        project_id = snapshot.project_id
        issue_id = (
            await conn.execute(
                select(issue_hashes.c.issue_id).where(
                    issue_hashes.c.project_id == project_id, issue_hashes.c.hash == snapshot.hash
                )
            )
        ).scalar()
        first_seen = datetime.fromtimestamp(snapshot.first_seen, UTC)
        last_seen = datetime.fromtimestamp(snapshot.last_seen, UTC)
        if issue_id is None:
            project = (
                await conn.execute(
                    select(projects.c.slug, projects.c.issue_counter).where(projects.c.id == project_id)
                )
            ).one()
            number = project.issue_counter + 1
            issue_id = issue_id_for(project_id, snapshot.hash)
            row = _snapshot_issue_row(issue_id, snapshot, event.position, short_id(project.slug, number))
            await conn.execute(issues.insert(), [row])
            await conn.execute(
                issue_hashes.insert(),
                [
                    {
                        "project_id": project_id,
                        "hash": snapshot.hash,
                        "issue_id": issue_id,
                        "grouping": GroupingResult(
                            snapshot.hash, snapshot.variant, snapshot.components
                        ).to_data(),
                    }
                ],
            )
            await conn.execute(
                projects.update().where(projects.c.id == project_id).values(issue_counter=number)
            )
            creation = IssueCreated(
                issue_id, snapshot.organization_id, project_id, snapshot.hash, snapshot.event_id
            )
            effects.reactions.append(Reaction(stream_name(issue_id), creation, event, StreamState.NO_STREAM))
            effects.changes.append(
                IssueChange("CREATED", snapshot.organization_id, project_id, issue_id, event.position)
            )
        else:
            row = (await self._rows(conn, [issue_id]))[issue_id]
            row["times_seen"] += snapshot.count
            row["last_position"] = max(row["last_position"], snapshot.last_position)
            row["first_seen"] = min(aware(row["first_seen"]), first_seen)
            if last_seen >= aware(row["last_seen"]):
                row["last_seen"] = last_seen
                row["title"], row["culprit"], row["level"] = snapshot.title, snapshot.culprit, snapshot.level
                if snapshot.last_release:
                    row["last_release"] = snapshot.last_release
            self._dirty[issue_id] = row
            effects.changes.append(
                IssueChange("UPDATED", snapshot.organization_id, project_id, issue_id, event.position)
            )
        if snapshot.users:
            added = await insert_absent(
                conn,
                issue_users,
                [{"issue_id": issue_id, "user_key": u} for u in snapshot.users],
                returning=(issue_users.c.issue_id,),
            )
            new_users = len(list(added))
            if new_users:
                row = (await self._rows(conn, [issue_id]))[issue_id]
                row["user_count"] += new_users
                self._dirty[issue_id] = row
        for key, value, n, tag_first, tag_last in snapshot.tags:
            counted = self._tags.get((issue_id, key, value))
            if counted is None:
                self._tags[(issue_id, key, value)] = [n, tag_first, tag_last]
            else:
                counted[0] += n
                counted[1] = min(counted[1], tag_first)
                counted[2] = max(counted[2], tag_last)
        if snapshot.releases:
            known = set(
                (
                    await conn.execute(
                        select(releases.c.version).where(
                            releases.c.project_id == project_id,
                            releases.c.version.in_([v for v, _, _ in snapshot.releases]),
                        )
                    )
                ).scalars()
            )
            fresh = [
                {
                    "project_id": project_id,
                    "version": version,
                    "first_position": position,
                    "first_seen": datetime.fromtimestamp(seen, UTC),
                }
                for version, position, seen in snapshot.releases
                if version not in known
            ]
            if fresh:
                await conn.execute(releases.insert(), fresh)
        await record_compacted(conn, [(issue_id, event.position, snapshot)])

    # -- the issue streams -----------------------------------------------------------------

    async def _lifecycle(
        self, conn: AsyncConnection, run: list[tuple[RecordedEvent, IssueEvent]], effects: Effects
    ) -> None:
        """Issue-stream events change their issue's row in memory, in order, as the `Issue`
        aggregate applies them (the row stores what it decides); the rows and the activity are
        written once per run. A merge or unmerge moves rows between issues in the database, so
        the run is written out before one and read anew after it."""
        rows = await self._rows(conn, {change.issue_id for _, change in run})
        activity: list[dict[str, Any]] = []
        for event, change in run:
            issue_id = change.issue_id
            row = rows.get(issue_id)
            if row is None:  # e.g. an issue from an older grouping config, after a replay
                continue
            if isinstance(change, (IssueMerged, IssueUnmerged)):
                await self._write_activity(conn, activity)
                activity = []
                await self.flush(conn)  # the move recounts from what is stored
                target = change.into_issue_id if isinstance(change, IssueMerged) else change.to_issue_id
                await self._move(
                    conn, issue_id, target, None if isinstance(change, IssueMerged) else change.hash
                )
                for moved in (issue_id, target):
                    fresh = (await conn.execute(select(issues).where(issues.c.id == moved))).first()
                    if fresh is not None:
                        rows[moved] = dict(fresh._mapping)
                row = rows[issue_id]
                effects.changes.append(
                    IssueChange("UPDATED", row["organization_id"], row["project_id"], target, event.position)
                )
            state = issue_state(row)
            state.apply(change)
            row.update(lifecycle_values(state))
            row["version"] = event.version
            self._dirty[issue_id] = row
            activity.append(
                {
                    "issue_id": issue_id,
                    "position": event.position,
                    "organization_id": row["organization_id"],
                    "kind": event.type,
                    "actor": getattr(change, "actor", None),
                    "data": {k: v for k, v in change.to_data().items() if k not in ("issue_id", "actor")},
                    "at": event.recorded_at,
                }
            )
            if kind := CHANGE_KIND[type(change)]:
                effects.changes.append(
                    IssueChange(
                        kind.value, row["organization_id"], row["project_id"], issue_id, event.position
                    )
                )
        await self._write_activity(conn, activity)

    async def _write_activity(self, conn: AsyncConnection, activity: list[dict[str, Any]]) -> None:
        if activity:
            await conn.execute(issue_activity.insert(), activity)

    async def _move(self, conn: AsyncConnection, source: str, target: str, only_hash: str | None) -> None:
        """Move hashes (all, or one) and their events from one issue to another; recount both."""
        # The move and the recounts find an issue's events by this index, which a replay builds
        # only at the end (`schema.replay_deferred_indexes`): a replay's first move builds it
        # now, rather than every move scanning the events table (docs/benchmarks.md, "Figures
        # behind choices in the code").
        await conn.run_sync(lambda sync: EVENTS_BY_ISSUE.create(sync, checkfirst=True))
        hashes = update(issue_hashes).where(issue_hashes.c.issue_id == source)
        moved_events = update(events).where(events.c.issue_id == source)
        if only_hash is not None:
            hashes = hashes.where(issue_hashes.c.hash == only_hash)
            moved_events = moved_events.where(events.c.hash == only_hash)
        compacted = update(compacted_occurrences).where(compacted_occurrences.c.issue_id == source)
        if only_hash is not None:
            compacted = compacted.where(compacted_occurrences.c.hash == only_hash)
        await conn.execute(hashes.values(issue_id=target))
        await conn.execute(moved_events.values(issue_id=target))
        await conn.execute(compacted.values(issue_id=target))
        for issue_id in (source, target):
            await recount(conn, issue_id)


async def record_compacted(
    conn: AsyncConnection,
    written: Sequence[tuple[str, int, OccurrencesCompacted]],
    analytics_done: bool = True,
) -> None:
    """Each hash's `compacted_occurrences` row, as its snapshot (issue id, position, snapshot)
    says, replacing the one of its previous snapshot: what recounts add to the stored events.
    One project's snapshots, or any: a few statements per 500 hashes."""
    by_project: dict[int, list[str]] = {}
    for _, _, snapshot in written:
        by_project.setdefault(int(snapshot.project_id), []).append(snapshot.hash)
    for project_id, hashes in by_project.items():
        for start in range(0, len(hashes), 500):
            await conn.execute(
                delete(compacted_occurrences).where(
                    compacted_occurrences.c.project_id == project_id,
                    compacted_occurrences.c.hash.in_(hashes[start : start + 500]),
                )
            )
    if not written:
        return
    await conn.execute(
        compacted_occurrences.insert(),
        [
            {
                "project_id": snapshot.project_id,
                "hash": snapshot.hash,
                "issue_id": issue_id,
                "position": position,
                "run": snapshot.run,
                # A replay's analytics never hold the deleted events; live, the job deletes them.
                "analytics_run": snapshot.run if analytics_done else None,
                "times_seen": snapshot.count,
                "first_seen": datetime.fromtimestamp(snapshot.first_seen, UTC),
                "last_seen": datetime.fromtimestamp(snapshot.last_seen, UTC),
                "last_release": snapshot.last_release,
                "users": list(snapshot.users),
                "tags": [list(tag) for tag in snapshot.tags],
            }
            for issue_id, position, snapshot in written
        ],
    )


async def recount(conn: AsyncConnection, issue_id: str) -> None:
    """Recompute an issue's counters, users and tags from its events and what retention kept of
    the deleted ones (after a merge/unmerge)."""
    totals = (
        await conn.execute(
            select(
                func.count(),
                func.min(events.c.timestamp),
                func.max(events.c.timestamp),
            ).where(events.c.issue_id == issue_id)
        )
    ).one()
    count, first_seen, last_seen = totals
    first_seen = aware(first_seen) if first_seen is not None else None
    last_seen = aware(last_seen) if last_seen is not None else None
    latest = None
    if count:
        latest = (
            await conn.execute(
                select(events.c.release, events.c.timestamp)
                .where(events.c.issue_id == issue_id, events.c.release.is_not(None))
                .order_by(events.c.timestamp.desc())
                .limit(1)
            )
        ).first()
    latest_release = (latest[0], aware(latest[1])) if latest is not None else None
    compacted = (
        await conn.execute(select(compacted_occurrences).where(compacted_occurrences.c.issue_id == issue_id))
    ).all()
    keys_of_compacted: set[str] = set()
    for part in compacted:
        count += part.times_seen
        part_first, part_last = aware(part.first_seen), aware(part.last_seen)
        first_seen = part_first if first_seen is None else min(first_seen, part_first)
        last_seen = part_last if last_seen is None else max(last_seen, part_last)
        if part.last_release and (latest_release is None or part_last > latest_release[1]):
            latest_release = (part.last_release, part_last)
        keys_of_compacted.update(part.users)
    user_rows = await conn.execute(
        select(events.c.user_key)
        .where(events.c.issue_id == issue_id, events.c.user_key.is_not(None))
        .distinct()
    )
    keys = sorted({r[0] for r in user_rows} | keys_of_compacted)
    values: dict[str, Any] = {"times_seen": count, "user_count": len(keys)}
    if count:
        values.update(first_seen=first_seen, last_seen=last_seen)
        values["last_release"] = latest_release[0] if latest_release is not None else None
    await conn.execute(issues.update().where(issues.c.id == issue_id).values(**values))

    await conn.execute(delete(issue_users).where(issue_users.c.issue_id == issue_id))
    if keys:
        await conn.execute(issue_users.insert(), [{"issue_id": issue_id, "user_key": k} for k in keys])

    await conn.execute(delete(issue_tags).where(issue_tags.c.issue_id == issue_id))
    counts: Counter[tuple[str, str]] = Counter()
    spans: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for tags, timestamp in await conn.execute(
        select(events.c.tags, events.c.timestamp).where(events.c.issue_id == issue_id)
    ):
        at = aware(timestamp)
        for key, value in tags[:TAG_LIMIT]:
            pair = (key[:200], value[:200])
            counts[pair] += 1
            first, last = spans.get(pair, (at, at))
            spans[pair] = (min(first, at), max(last, at))
    for part in compacted:
        for key, value, n, tag_first, tag_last in part.tags:
            pair = (key, value)
            counts[pair] += n
            first_at, last_at = datetime.fromtimestamp(tag_first, UTC), datetime.fromtimestamp(tag_last, UTC)
            first, last = spans.get(pair, (first_at, last_at))
            spans[pair] = (min(first, first_at), max(last, last_at))
    if counts:
        await conn.execute(
            issue_tags.insert(),
            [
                {
                    "issue_id": issue_id,
                    "key": k,
                    "value": v,
                    "times_seen": n,
                    "first_seen": spans[(k, v)][0],
                    "last_seen": spans[(k, v)][1],
                }
                for (k, v), n in counts.items()
            ],
        )


# What occurrences and issue-stream events change on an issue's row.
_LIFECYCLE = (
    "version",
    "status",
    "substatus",
    "assignee",
    "merged_into",
    "resolved_in_next_release",
    "resolved_release_position",
    "ignore_until_count",
    "ignore_until_timestamp",
    "ignore_until_users",
    "events_since_ignore",
    "users_since_ignore",
)
_WRITTEN = tuple(
    dict.fromkeys(
        _LIFECYCLE
        + (
            "times_seen",
            "last_position",
            "first_seen",
            "last_seen",
            "title",
            "culprit",
            "level",
            "last_release",
            "user_count",
        )
    )
)


def _analyze(
    event: RecordedEvent, received: ErrorEventReceived, mapped: Mapping[tuple[int, str], GroupingResult]
) -> _Occurrence:
    facts = received.facts
    summary = facts.summary
    grouping = grouping_of(received)
    symbolicated = mapped.get((received.project_id, received.event_id))
    return _Occurrence(
        event=event,
        received=received,
        summary=summary,
        grouping=symbolicated or grouping,
        as_sent=grouping if symbolicated is not None and symbolicated.hash != grouping.hash else None,
        seen=datetime.fromtimestamp(summary.timestamp, UTC),
        release=facts.release,
        environment=facts.environment,
        user=facts.user,
    )


def _new_issue_lifecycle() -> dict[str, Any]:
    """A new issue's lifecycle columns: unassigned, not merged, resolved or ignored."""
    return {
        # What `expectedVersion` needs: the IssueCreated appended in reaction to the issue's first
        # event is the stream's first event, version 0. (Until it lands, a change is told to retry.)
        "version": 0,
        "assignee": None,
        "merged_into": None,
        "resolved_in_next_release": False,
        "resolved_release_position": None,
        "ignore_until_count": None,
        "ignore_until_timestamp": None,
        "ignore_until_users": None,
        "events_since_ignore": 0,
        "users_since_ignore": [],
    }


def _new_issue_row(issue_id: str, item: _Occurrence, short: str) -> dict[str, Any]:
    received, summary = item.received, item.summary
    return {
        "id": issue_id,
        "organization_id": received.organization_id,
        "project_id": received.project_id,
        "short_id": short,
        "primary_hash": item.grouping.hash,
        "grouping_variant": item.grouping.variant,
        "title": summary.title,
        "culprit": summary.culprit,
        "level": summary.level,
        "status": UNRESOLVED,
        "substatus": "new",
        "first_seen": item.seen,
        "last_seen": item.seen,
        "times_seen": 1,
        "user_count": 0,
        "first_release": item.release,
        "last_release": item.release,
        "last_position": item.event.position,
        **_new_issue_lifecycle(),
    }


def _snapshot_issue_row(
    issue_id: str, snapshot: OccurrencesCompacted, position: int, short: str
) -> dict[str, Any]:
    """A new issue's row from a snapshot of its first occurrences (as `_new_issue_row` and
    `_count_occurrence` would have made it from them)."""
    return {
        "id": issue_id,
        "organization_id": snapshot.organization_id,
        "project_id": snapshot.project_id,
        "short_id": short,
        "primary_hash": snapshot.hash,
        "grouping_variant": snapshot.variant,
        "title": snapshot.title,
        "culprit": snapshot.culprit,
        "level": snapshot.level,
        "status": UNRESOLVED,
        "substatus": "new",
        "first_seen": datetime.fromtimestamp(snapshot.first_seen, UTC),
        "last_seen": datetime.fromtimestamp(snapshot.last_seen, UTC),
        "times_seen": snapshot.count,
        "user_count": 0,
        "first_release": snapshot.first_release,
        "last_release": snapshot.last_release,
        "last_position": max(position, snapshot.last_position),
        **_new_issue_lifecycle(),
    }


def _count_occurrence(row: dict[str, Any], item: _Occurrence, position: int) -> None:
    first_seen, last_seen = aware(row["first_seen"]), aware(row["last_seen"])
    row["times_seen"] += 1
    row["last_position"] = position
    row["first_seen"] = min(item.seen, first_seen)
    if item.seen >= last_seen:  # the issue shows what its latest event says
        row["last_seen"] = item.seen
        summary = item.summary
        row["title"], row["culprit"], row["level"] = summary.title, summary.culprit, summary.level
        if item.release:
            row["last_release"] = item.release


def _event_row(item: _Occurrence, issue_id: str) -> dict[str, Any]:
    received, summary, grouping = item.received, item.summary, item.grouping
    return {
        "project_id": received.project_id,
        "event_id": received.event_id,
        "organization_id": received.organization_id,
        "issue_id": issue_id,
        "position": item.event.position,
        "timestamp": item.seen,
        "received_at": datetime.fromtimestamp(received.received_at, UTC),
        "level": summary.level,
        "title": summary.title,
        "message": summary.message,
        "platform": summary.platform,
        "tags": summary.tags,
        "hash": grouping.hash,
        "release": item.release,
        "environment": item.environment,
        "user_key": item.user,
    }
