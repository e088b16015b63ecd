"""The retention job's SQL (`stackline/app/retention.py`): what it reads of the read models to
find what expires (each project's max age and cap, the projectors' horizon, the evictable
events, the snapshots and first releases a fold starts from, the rows a run cut short left)
and the read-model rows it deletes or marks once the log holds the snapshots that replace them.

Every function runs on the connection it is given and commits nothing: the job decides the
transactions, and their order is what lets a run killed anywhere be finished by the next
(docs/retention.md). Nothing here decides what expires or what a snapshot holds, and nothing
filters by organization: no caller is a viewer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.readmodels.schema import (
    artifact_files,
    attachments,
    check_ins,
    compacted_occurrences,
    events,
    feedback,
    issue_hashes,
    logs,
    organizations,
    projector_checkpoints,
    projects,
    releases,
    transactions,
)

# The read models' rows of expiring items, found by the position of the event that wrote them
# (a check-in's row by its latest event's).
POSITIONED = (transactions, check_ins, logs, feedback)

# -- what expires ------------------------------------------------------------------------------


async def project_retention(conn: AsyncConnection) -> Sequence[Row]:
    """Each project's `id`, max age in `days` and `cap` of error events: the project's own, else
    its organization's (None in neither)."""
    return (
        await conn.execute(
            select(
                projects.c.id,
                func.coalesce(projects.c.retention_days, organizations.c.retention_days).label("days"),
                func.coalesce(projects.c.retention_max_events, organizations.c.retention_max_events).label(
                    "cap"
                ),
            ).join(organizations, organizations.c.id == projects.c.organization_id)
        )
    ).all()


async def error_events_per_project(conn: AsyncConnection) -> Sequence[Row]:
    """(project id, count) of the error events the read model stores, for each project with any."""
    return (await conn.execute(select(events.c.project_id, func.count()).group_by(events.c.project_id))).all()


async def evictable_positions(
    conn: AsyncConnection, project_id: int, horizon: int, after: int, limit: int
) -> list[int]:
    """The project's oldest stored error events after position `after`, up to `horizon`,
    that are neither the first nor the latest of their issue. Read in the order of
    `ix_events_project_position` from `after` on, each candidate checked by two seeks in
    `ix_events_issue_position` (an earlier and a later event of its issue): a batch costs
    what it reads, not what the project stores."""
    other = events.alias("other")
    same_issue = other.c.issue_id == events.c.issue_id
    found = await conn.execute(
        select(events.c.position)
        .where(
            events.c.project_id == project_id,
            events.c.position > after,
            events.c.position <= horizon,
            select(other.c.position).where(same_issue, other.c.position < events.c.position).exists(),
            select(other.c.position).where(same_issue, other.c.position > events.c.position).exists(),
        )
        .order_by(events.c.position)
        .limit(limit)
    )
    return [row[0] for row in found]


async def lowest_checkpoint(conn: AsyncConnection) -> int | None:
    """The lowest position of any projector's checkpoint (None: no projector has one)."""
    return (await conn.execute(select(func.min(projector_checkpoints.c.position)))).scalar()


# -- what a fold starts from -------------------------------------------------------------------


async def snapshot_positions(
    conn: AsyncConnection, keys: list[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """The log position of the current snapshot of each (project id, hash) of `keys` that has
    one, as its `compacted_occurrences` row records it."""
    found: dict[tuple[int, str], int] = {}
    by_project: dict[int, list[str]] = defaultdict(list)
    for project_id, hash_ in keys:
        by_project[project_id].append(hash_)
    for project_id, hashes in by_project.items():
        for hash_, position in await conn.execute(
            select(compacted_occurrences.c.hash, compacted_occurrences.c.position).where(
                compacted_occurrences.c.project_id == project_id,
                compacted_occurrences.c.hash.in_(hashes),
            )
        ):
            found[(project_id, hash_)] = position
    return found


async def first_release_positions(
    conn: AsyncConnection, wanted: dict[int, set[str]]
) -> dict[int, dict[str, int]]:
    """Project id -> release version -> the log position the release was first seen at, for
    the versions `wanted` of each project that the `releases` read model knows."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for project_id, versions in wanted.items():
        if versions:
            for version, first in await conn.execute(
                select(releases.c.version, releases.c.first_position).where(
                    releases.c.project_id == project_id, releases.c.version.in_(sorted(versions))
                )
            ):
                found[project_id][version] = first
    return found


async def compacted_rows(conn: AsyncConnection) -> Sequence[Row]:
    """Every `compacted_occurrences` row: `project_id`, `hash`, `position`, `run`, `times_seen`
    and `analytics_run`, what tells the job whether a snapshot of the log reached the read
    models (and analytics)."""
    return (
        await conn.execute(
            select(
                compacted_occurrences.c.project_id,
                compacted_occurrences.c.hash,
                compacted_occurrences.c.position,
                compacted_occurrences.c.run,
                compacted_occurrences.c.times_seen,
                compacted_occurrences.c.analytics_run,
            )
        )
    ).all()


# -- what a snapshot of error events changes ---------------------------------------------------


async def issue_ids_of_hashes(conn: AsyncConnection, project_id: int, hashes: list[str]) -> dict[str, str]:
    """Hash -> issue id, for the project's `hashes` that `issue_hashes` knows (500 to a query)."""
    issue_ids: dict[str, str] = {}
    for start in range(0, len(hashes), 500):
        for hash_, issue_id in await conn.execute(
            select(issue_hashes.c.hash, issue_hashes.c.issue_id).where(
                issue_hashes.c.project_id == project_id,
                issue_hashes.c.hash.in_(hashes[start : start + 500]),
            )
        ):
            issue_ids[hash_] = issue_id
    return issue_ids


async def delete_error_events(conn: AsyncConnection, project_id: int, positions: list[int]) -> None:
    """Delete the project's `events` rows at `positions` (5,000 to a statement)."""
    for start in range(0, len(positions), 5000):
        await conn.execute(
            delete(events).where(
                events.c.project_id == project_id,
                events.c.position.in_(positions[start : start + 5000]),
            )
        )


async def mark_analytics_done(conn: AsyncConnection, project_id: int, run: str, hashes: list[str]) -> None:
    """Record on the project's `compacted_occurrences` rows of `hashes` written by `run` that
    analytics no longer holds the events their snapshots replace (500 to a statement)."""
    for start in range(0, len(hashes), 500):
        await conn.execute(
            update(compacted_occurrences)
            .where(
                compacted_occurrences.c.project_id == project_id,
                compacted_occurrences.c.hash.in_(hashes[start : start + 500]),
                compacted_occurrences.c.run == run,
            )
            .values(analytics_run=run)
        )


# -- what a snapshot of other items changes ----------------------------------------------------


async def delete_item_rows(
    conn: AsyncConnection, project_id: int, positions: list[int], attachment_ids: list[str]
) -> None:
    """Delete the project's rows of expired items: those of `POSITIONED` tables at `positions`,
    then the `attachments` rows of `attachment_ids` (5,000 to a statement)."""
    for table in POSITIONED:
        for start in range(0, len(positions), 5000):
            await conn.execute(
                delete(table).where(
                    table.c.project_id == project_id,
                    table.c.position.in_(positions[start : start + 5000]),
                )
            )
    for start in range(0, len(attachment_ids), 5000):
        await conn.execute(
            delete(attachments).where(
                attachments.c.project_id == project_id,
                attachments.c.attachment_id.in_(attachment_ids[start : start + 5000]),
            )
        )


async def named_digests(conn: AsyncConnection, digests: set[str]) -> set[str]:
    """The blob digests of `digests` that an attachment or a release file still names."""
    return {
        row[0]
        for table in (attachments, artifact_files)
        for row in await conn.execute(
            select(table.c.sha256).where(table.c.sha256.in_(sorted(digests))).distinct()
        )
    }


async def item_rows_left(conn: AsyncConnection, project_id: int, positions: list[int]) -> bool:
    """Whether a row of the project at one of `positions` is still in a `POSITIONED` table
    (one query per table until one finds a row)."""
    for table in POSITIONED:
        if (
            await conn.execute(
                select(table.c.position)
                .where(table.c.project_id == project_id, table.c.position.in_(positions))
                .limit(1)
            )
        ).first() is not None:
            return True
    return False


async def attachment_rows_left(conn: AsyncConnection, project_id: int, attachment_ids: list[str]) -> bool:
    """Whether an `attachments` row of the project's `attachment_ids` is still there."""
    return (
        await conn.execute(
            select(attachments.c.attachment_id)
            .where(attachments.c.project_id == project_id, attachments.c.attachment_id.in_(attachment_ids))
            .limit(1)
        )
    ).first() is not None
