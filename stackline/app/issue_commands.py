"""Command handlers for issues: triage by people (resolve, ignore, assign, merge, unmerge) and
the clock's part (ignores that expire at a time).

Each loads the issue's stream, lets the `Issue` aggregate decide against the version the
client last saw, and appends with that version: of two concurrent changes one wins and the
other hears `VersionConflict`. Handlers never write read models.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from stackline.domain.events import DomainEvent, event_type
from stackline.domain.issue import Issue, VersionConflict, stream_name
from stackline.domain.organization import InvalidCommand
from stackline.domain.registry import decode
from stackline.eventstore import EventStore, NewEvent, StreamState, WrongExpectedVersion

UNSET = object()
CREATION_WAIT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class IssueUpdate:
    status: str | None = None  # "resolved" | "unresolved" | "ignored"
    in_next_release: bool = False
    newest_release_position: int | None = None
    ignore_until_event_count: int | None = None
    ignore_until_timestamp: float | None = None
    ignore_until_user_count: int | None = None
    assignee: object = UNSET  # an email, None to unassign, UNSET to leave as is


class IssueCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load(self, issue_id: str) -> Issue:
        recorded = await self.store.read_stream(stream_name(issue_id))
        return Issue.from_events(
            (e for r in recorded if (e := decode(r.type, r.data)) is not None),
            recorded[-1].version if recorded else -1,
        )

    async def _append(self, issue: Issue, events: Sequence[DomainEvent], actor: str | None) -> int | None:
        """Append at the version the decision was made against; returns the log position."""
        if not events:
            return None
        assert issue.id is not None
        try:
            result = await self.store.append(
                stream_name(issue.id),
                [
                    NewEvent(
                        event_type(e), e.to_data(), metadata={"actor": actor}, schema_version=e.schema_version
                    )
                    for e in events
                ],
                issue.version if issue.version >= 0 else StreamState.NO_STREAM,
            )
        except WrongExpectedVersion as error:
            raise VersionConflict(error.actual) from None
        return result.position

    async def load_created(self, issue_id: str, wait: float = CREATION_WAIT_SECONDS) -> Issue:
        """The issue, waiting up to `wait` seconds for its stream: callers ask for issues the read
        models already show, whose `IssueCreated` the projector appends a moment after the row
        appears (the row says version 0 meanwhile, the version that event will have)."""
        deadline = asyncio.get_running_loop().time() + wait
        while not (issue := await self.load(issue_id)).exists:
            if asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(0.05)
        return issue

    async def update(
        self, issue_id: str, expected_version: int, change: IssueUpdate, actor: str | None
    ) -> int | None:
        issue = await self.load_created(issue_id)
        if not issue.exists:
            raise InvalidCommand("issue not found (or still being created; retry in a moment)")
        decided: list[DomainEvent] = []
        version = expected_version
        if change.status == "resolved":
            decided += issue.resolve(
                actor,
                version,
                in_next_release=change.in_next_release,
                newest_release_position=change.newest_release_position,
            )
        elif change.status == "unresolved":
            decided += issue.unresolve(actor, version)
        elif change.status == "ignored":
            decided += issue.ignore(
                actor,
                version,
                until_event_count=change.ignore_until_event_count,
                until_timestamp=change.ignore_until_timestamp,
                until_user_count=change.ignore_until_user_count,
            )
        elif change.status is not None:
            raise InvalidCommand(f"unknown status {change.status!r}")
        if change.assignee is not UNSET:
            decided += issue.assign(actor, version, change.assignee)  # type: ignore[arg-type]
        if not decided:
            issue.require_current(version)  # nothing to change still reports a stale version
        return await self._append(issue, decided, actor)

    async def merge(
        self, source_ids: Sequence[str], target_id: str, expected_versions: dict[str, int], actor: str | None
    ) -> int | None:
        """Merge each source into the target: `IssueMerged` in every source's stream (each at the
        version its client saw), then `IssueAbsorbed` in the target's."""
        target = await self.load_created(target_id)
        if not target.exists:
            raise InvalidCommand("merge target not found")
        sources = [await self.load_created(source_id) for source_id in source_ids if source_id != target_id]
        if not sources:
            raise InvalidCommand("name at least one issue besides the target")
        for source in sources:  # decide all before appending any
            source.merge_into(actor, expected_versions.get(source.id or ""), target)
        position = None
        for source in sources:
            merged = source.merge_into(actor, expected_versions.get(source.id or ""), target)
            await self._append(source, merged, actor)
            for attempt in range(5):
                try:
                    position = await self._append(
                        target, target.absorb(actor, source.id or "", merged[0].hashes), actor
                    )
                    break
                except VersionConflict:
                    if attempt == 4:
                        raise
                    target = await self.load(target_id)
            target = await self.load(target_id)
        return position

    async def unmerge(
        self, issue_id: str, hash_: str, to_issue_id: str, expected_version: int, actor: str | None
    ) -> int | None:
        issue = await self.load(issue_id)
        position = await self._append(
            issue, issue.unmerge(actor, expected_version, hash_, to_issue_id), actor
        )
        for attempt in range(5):
            restored = await self.load(to_issue_id)
            if not restored.exists:
                break
            try:
                return await self._append(restored, restored.restore(actor, hash_, issue_id), actor)
            except VersionConflict:
                if attempt == 4:
                    raise
        return position

    async def expire_ignore(self, issue_id: str, now: float) -> int | None:
        issue = await self.load(issue_id)
        try:
            return await self._append(issue, issue.ignore_expired(now), None)
        except VersionConflict:
            return None  # someone changed it meanwhile; the next tick looks again
