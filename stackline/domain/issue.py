"""The Issue aggregate: the lifecycle of one group of events, as Sentry users know it.

Status is one of unresolved, resolved, ignored or merged. A person changes it through
commands (`resolve`, `ignore`, `assign`, ...), each checked against the version the person
last saw. Occurrences change it by themselves: `react_to_occurrence` is what the lifecycle
processor asks when a new event lands on the issue, and answers with `IssueRegressed` or
`IssueUnignored` when that event ends a resolution or an ignore condition.

This is the lifecycle's only home: `Issue.apply` says what each event does to an issue, and the
read model stores what it says (`projections/issues.py` applies the same events to an `Issue`
rebuilt from the row). Likewise the issue id of a grouping hash (`issue_id_for`) and the kind
of change each event announces (`CHANGE_KIND`, from which the webhooks' kinds and GraphQL's
`IssueChangeKind` are derived) are decided here.

Pure: no I/O. Every decision depends only on the aggregate's state and the arguments.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from stackline.domain.events import DomainEvent, register
from stackline.domain.organization import InvalidCommand

UNRESOLVED, RESOLVED, IGNORED, MERGED = "unresolved", "resolved", "ignored", "merged"
# The statuses in which an occurrence can matter to an issue (`Issue.react_to_occurrence`); in any
# other, an event only adds to the counts.
REACTIVE = frozenset({RESOLVED, IGNORED})


ISSUE_NAMESPACE = uuid.UUID("6f1d3a52-54c3-4ad5-9f4e-4c7c2a3b9e10")


def stream_name(issue_id: str) -> str:
    return f"issue-{issue_id}"


def issue_id_for(project_id: int, primary_hash: str) -> str:
    """The id of the issue a grouping hash first creates in a project: derived, not drawn, so
    that a replay rebuilds the same ids and an unmerge knows where a hash goes back to."""
    return str(uuid.uuid5(ISSUE_NAMESPACE, f"{project_id}:{primary_hash}"))


# -- events ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssueEvent(DomainEvent):
    """An event of an issue's stream (`issue-{issue_id}`)."""

    issue_id: str


@register
@dataclass(frozen=True, slots=True)
class IssueCreated(IssueEvent):
    organization_id: str
    project_id: int
    primary_hash: str
    first_event_id: str


@register
@dataclass(frozen=True, slots=True)
class IssueResolved(IssueEvent):
    """`in_next_release`: only an event of a release first seen after this resolution regresses
    it; `release_position` is the newest release's first-seen position at the time."""

    actor: str | None
    in_next_release: bool = False
    release_position: int | None = None


@register
@dataclass(frozen=True, slots=True)
class IssueUnresolved(IssueEvent):
    actor: str | None


@register
@dataclass(frozen=True, slots=True)
class IssueIgnored(IssueEvent):
    """Ignored forever when every condition is None; otherwise until the first one is met."""

    actor: str | None
    until_event_count: int | None = None
    until_timestamp: float | None = None
    until_user_count: int | None = None


@register
@dataclass(frozen=True, slots=True)
class IssueUnignored(IssueEvent):
    actor: str | None
    reason: str  # "manual" | "event_count" | "user_count" | "time"


@register
@dataclass(frozen=True, slots=True)
class IssueRegressed(IssueEvent):
    event_id: str
    release: str | None


@register
@dataclass(frozen=True, slots=True)
class IssueAssigned(IssueEvent):
    actor: str | None
    assignee: str | None  # a member's email; None unassigns


@register
@dataclass(frozen=True, slots=True)
class IssueMerged(IssueEvent):
    """In the source's stream: its hashes now belong to `into_issue_id`."""

    actor: str | None
    into_issue_id: str
    hashes: tuple[str, ...]


@register
@dataclass(frozen=True, slots=True)
class IssueAbsorbed(IssueEvent):
    """In the target's stream: the counterpart of `IssueMerged`."""

    actor: str | None
    source_issue_id: str
    hashes: tuple[str, ...]


@register
@dataclass(frozen=True, slots=True)
class IssueUnmerged(IssueEvent):
    """In the stream of the issue that gives a hash back: later events of that hash go to
    `to_issue_id` (the issue the hash first created), which becomes unresolved again."""

    actor: str | None
    hash: str
    to_issue_id: str


@register
@dataclass(frozen=True, slots=True)
class IssueRestored(IssueEvent):
    """In the stream of an issue that was merged away and got a hash back by an unmerge."""

    actor: str | None
    hash: str
    from_issue_id: str


class ChangeKind(enum.StrEnum):
    """The kinds of issue change subscribers and webhooks hear of: GraphQL's `IssueChangeKind`
    is this enum, and a webhook asks for some of them."""

    CREATED = "CREATED"  # the error event that formed the issue
    UPDATED = "UPDATED"  # a later error event, or a change with no kind of its own
    REGRESSED = "REGRESSED"
    RESOLVED = "RESOLVED"
    IGNORED = "IGNORED"
    ASSIGNED = "ASSIGNED"
    MERGED = "MERGED"
    UNMERGED = "UNMERGED"


# What each issue-stream event announces, if anything: the one table the issue projection
# (live subscriptions) and the webhook worker both read. IssueCreated announces nothing, since
# CREATED comes from the error event that formed the issue; the issue a merge gives events to is
# also announced UPDATED, by the projection, at the merge.
CHANGE_KIND: dict[type[IssueEvent], ChangeKind | None] = {
    IssueCreated: None,
    IssueResolved: ChangeKind.RESOLVED,
    IssueUnresolved: ChangeKind.UPDATED,
    IssueIgnored: ChangeKind.IGNORED,
    IssueUnignored: ChangeKind.UPDATED,
    IssueRegressed: ChangeKind.REGRESSED,
    IssueAssigned: ChangeKind.ASSIGNED,
    IssueMerged: ChangeKind.MERGED,
    IssueAbsorbed: ChangeKind.UPDATED,
    IssueUnmerged: ChangeKind.UNMERGED,
    IssueRestored: ChangeKind.UPDATED,
}
ISSUE_CHANGE_KINDS: tuple[str, ...] = tuple(ChangeKind)  # in the order the API lists them


# -- the aggregate -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """What the lifecycle processor knows about a new event of this issue."""

    event_id: str
    release: str | None
    release_position: int | None  # when the event's release was first seen in the project
    user_key: str | None
    timestamp: float


@dataclass(slots=True)
class Issue:
    id: str | None = None
    project_id: int | None = None
    organization_id: str | None = None
    primary_hash: str | None = None
    status: str = UNRESOLVED
    substatus: str = "new"
    hashes: set[str] = field(default_factory=set)
    assignee: str | None = None
    merged_into: str | None = None
    resolved_in_next_release: bool = False
    resolved_release_position: int | None = None
    ignore_until_count: int | None = None
    ignore_until_timestamp: float | None = None
    ignore_until_users: int | None = None
    # Counted by the processor since the last IssueIgnored; not part of the stream.
    events_since_ignore: int = 0
    users_since_ignore: set[str] = field(default_factory=set)
    version: int = -1

    @classmethod
    def from_events(cls, events: Iterable[DomainEvent], version: int = -1) -> Issue:
        issue = cls()
        for event in events:
            issue.apply(event)
        issue.version = version
        return issue

    @property
    def exists(self) -> bool:
        return self.id is not None

    def apply(self, event: DomainEvent) -> None:
        """What an event of the issue's stream does to it. A status keeps the fields of its
        own (a resolution's release, an ignore's conditions and counts) and no other's: every
        change of status starts from `_enter`, which clears what belonged to the status left."""
        match event:
            case IssueCreated():
                self.id, self.project_id = event.issue_id, event.project_id
                self.organization_id, self.primary_hash = event.organization_id, event.primary_hash
                self.hashes = {event.primary_hash}
            case IssueResolved():
                self._enter(RESOLVED, "resolved")
                self.resolved_in_next_release = event.in_next_release
                self.resolved_release_position = event.release_position
            case IssueUnresolved():
                self._enter(UNRESOLVED, "ongoing")
            case IssueIgnored():
                conditions = (event.until_event_count, event.until_timestamp, event.until_user_count)
                forever = not any(conditions)
                self._enter(IGNORED, "archived_forever" if forever else "archived_until_condition_met")
                self.ignore_until_count = event.until_event_count
                self.ignore_until_timestamp = event.until_timestamp
                self.ignore_until_users = event.until_user_count
            case IssueUnignored():
                self._enter(UNRESOLVED, "ongoing" if event.reason == "manual" else "escalating")
            case IssueRegressed():
                self._enter(UNRESOLVED, "regressed")
            case IssueAssigned():
                self.assignee = event.assignee
            case IssueMerged():
                self._enter(MERGED, "merged")
                self.merged_into = event.into_issue_id
                self.hashes -= set(event.hashes)
            case IssueAbsorbed():
                self.hashes |= set(event.hashes)
            case IssueUnmerged():
                self.hashes.discard(event.hash)
            case IssueRestored():
                self._enter(UNRESOLVED, "ongoing")
                self.merged_into = None
                self.hashes.add(event.hash)

    def _enter(self, status: str, substatus: str) -> None:
        self.status, self.substatus = status, substatus
        self.resolved_in_next_release, self.resolved_release_position = False, None
        self.ignore_until_count = self.ignore_until_timestamp = self.ignore_until_users = None
        self.events_since_ignore, self.users_since_ignore = 0, set()

    def require_current(self, expected_version: int | None) -> str:
        if self.id is None:
            raise InvalidCommand("issue not found")
        if expected_version is not None and expected_version != self.version:
            raise VersionConflict(self.version)
        if self.status == MERGED:
            raise InvalidCommand(f"issue was merged into another issue ({self.merged_into})")
        return self.id

    # -- commands by people ------------------------------------------------------------------

    def resolve(
        self,
        actor: str | None,
        expected_version: int | None,
        *,
        in_next_release: bool = False,
        newest_release_position: int | None = None,
    ) -> list[DomainEvent]:
        issue_id = self.require_current(expected_version)
        if self.status == RESOLVED and self.resolved_in_next_release == in_next_release:
            return []
        return [
            IssueResolved(
                issue_id, actor, in_next_release, newest_release_position if in_next_release else None
            )
        ]

    def unresolve(self, actor: str | None, expected_version: int | None) -> list[DomainEvent]:
        issue_id = self.require_current(expected_version)
        if self.status == IGNORED:
            return [IssueUnignored(issue_id, actor, "manual")]
        if self.status == UNRESOLVED:
            return []
        return [IssueUnresolved(issue_id, actor)]

    def ignore(
        self,
        actor: str | None,
        expected_version: int | None,
        *,
        until_event_count: int | None = None,
        until_timestamp: float | None = None,
        until_user_count: int | None = None,
    ) -> list[DomainEvent]:
        issue_id = self.require_current(expected_version)
        for name, value in (("untilEventCount", until_event_count), ("untilUserCount", until_user_count)):
            if value is not None and value < 1:
                raise InvalidCommand(f"{name} must be at least 1")
        return [IssueIgnored(issue_id, actor, until_event_count, until_timestamp, until_user_count)]

    def assign(
        self, actor: str | None, expected_version: int | None, assignee: str | None
    ) -> list[DomainEvent]:
        issue_id = self.require_current(expected_version)
        if assignee == self.assignee:
            return []
        return [IssueAssigned(issue_id, actor, assignee)]

    def merge_into(self, actor: str | None, expected_version: int | None, target: Issue) -> list[IssueMerged]:
        issue_id = self.require_current(expected_version)
        if target.id is None or target.status == MERGED:
            raise InvalidCommand("the merge target does not exist or was merged itself")
        if target.id == issue_id:
            raise InvalidCommand("an issue cannot be merged into itself")
        if target.project_id != self.project_id:
            raise InvalidCommand("only issues of one project can be merged")
        return [IssueMerged(issue_id, actor, target.id, tuple(sorted(self.hashes)))]

    def absorb(self, actor: str | None, source_id: str, hashes: tuple[str, ...]) -> list[DomainEvent]:
        return [IssueAbsorbed(self.require_current(None), actor, source_id, hashes)]

    def unmerge(
        self, actor: str | None, expected_version: int | None, hash_: str, to_issue_id: str
    ) -> list[DomainEvent]:
        issue_id = self.require_current(expected_version)
        if hash_ not in self.hashes:
            raise InvalidCommand("this fingerprint is not part of the issue")
        if hash_ == self.primary_hash:
            raise InvalidCommand("the issue's own first fingerprint cannot be unmerged from it")
        return [IssueUnmerged(issue_id, actor, hash_, to_issue_id)]

    def restore(self, actor: str | None, hash_: str, from_issue_id: str) -> list[DomainEvent]:
        if self.id is None:
            raise InvalidCommand("issue not found")
        return [IssueRestored(self.id, actor, hash_, from_issue_id)]

    # -- what an occurrence does by itself ---------------------------------------------------

    def react_to_occurrence(self, occurrence: Occurrence) -> list[DomainEvent]:
        """Count the occurrence against any ignore condition, and decide whether it regresses
        or wakes the issue. The processor calls this for every event, in log order."""
        if self.id is None or self.status == MERGED:
            return []
        if self.status == RESOLVED:
            if self.resolved_in_next_release and not self._is_newer_release(occurrence):
                return []
            return [IssueRegressed(self.id, occurrence.event_id, occurrence.release)]
        if self.status == IGNORED:
            self.events_since_ignore += 1
            if occurrence.user_key:
                self.users_since_ignore.add(occurrence.user_key)
            if self.ignore_until_count is not None and self.events_since_ignore >= self.ignore_until_count:
                return [IssueUnignored(self.id, None, "event_count")]
            if (
                self.ignore_until_users is not None
                and len(self.users_since_ignore) >= self.ignore_until_users
            ):
                return [IssueUnignored(self.id, None, "user_count")]
            if (
                self.ignore_until_timestamp is not None
                and occurrence.timestamp >= self.ignore_until_timestamp
            ):
                return [IssueUnignored(self.id, None, "time")]
        return []

    def _is_newer_release(self, occurrence: Occurrence) -> bool:
        if occurrence.release_position is None:
            return False  # no release on the event: nothing says it is newer
        if self.resolved_release_position is None:
            return True  # no release existed when it was resolved: any release is newer
        return occurrence.release_position > self.resolved_release_position

    def ignore_expired(self, now: float) -> list[DomainEvent]:
        if (
            self.id
            and self.status == IGNORED
            and self.ignore_until_timestamp is not None
            and now >= self.ignore_until_timestamp
        ):
            return [IssueUnignored(self.id, None, "time")]
        return []


class VersionConflict(InvalidCommand):
    """The issue changed since the client read it."""

    def __init__(self, actual: int) -> None:
        super().__init__(
            f"the issue was changed by someone else (it is at version {actual}); reload and retry"
        )
        self.actual = actual
