"""Use cases on issues: update (status, ignore conditions, assignee), merge and unmerge.

Authorization: the issue must be in an organization where the viewer holds `event:write` (one
elsewhere answers like a missing one); the answer shows the issue as the viewer may read it
(`event:read`) once the projector has applied the change. Commands run through
`stackline/app/issue_commands.py`. Never writes read models.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Row

from stackline.app.issue_commands import UNSET, IssueUpdate
from stackline.domain.issue import issue_id_for
from stackline.domain.organization import InvalidCommand
from stackline.readmodels import queries
from stackline.readmodels.reads import read
from stackline.usecases.refusals import Refusal

if TYPE_CHECKING:
    from stackline.app.lookups import Viewer
    from stackline.app.wiring import Services

# How long a change waits for the read model before answering with what it shows.
READ_YOUR_WRITES_TIMEOUT = 5.0


@dataclass(frozen=True)
class IssueChangeRequest:
    status: str | None = None  # unresolved, resolved or ignored; merged is refused
    in_next_release: bool = False
    ignore_until_event_count: int | None = None
    ignore_until_user_count: int | None = None
    ignore_until: datetime | None = None
    assignee: str | None = None  # a member's email
    unassign: bool = False


@dataclass(frozen=True)
class IssueAnswer:
    """The issue after the change (for an unmerge: where the fingerprint went, and `source`, the
    issue it left), or why there was no change."""

    issue: Row | None = None
    source: Row | None = None
    refusal: Refusal | None = None


async def writable_issue(services: Services, org_ids: Collection[str], issue_id: str | None) -> Row | None:
    """The issue, if it is in one of `org_ids` (those where the viewer may change issues)."""
    if issue_id is None:
        return None
    return await read(services.engine, queries.issue, org_ids, issue_id)


async def fresh_issue(services: Services, viewer: Viewer, issue_id: str, position: int | None) -> Row | None:
    """The issue as the read model shows it once the projector has applied `position`."""
    if position is not None:
        await services.projector.wait_for(position, READ_YOUR_WRITES_TIMEOUT)
    return await read(services.engine, queries.issue, viewer.orgs("event:read"), issue_id)


async def update_issue(
    services: Services,
    viewer: Viewer,
    issue_id: str | None,
    expected_version: int,
    request: IssueChangeRequest,
) -> IssueAnswer:
    row = await writable_issue(services, viewer.orgs("event:write"), issue_id)
    if row is None:
        return IssueAnswer(refusal=Refusal("issue not found", ["id"]))
    assignee: object = UNSET
    if request.unassign:
        assignee = None
    elif request.assignee is not None:
        assignee = request.assignee.strip().lower()
        if not await read(services.engine, queries.is_member, row.organization_id, assignee):
            return IssueAnswer(
                refusal=Refusal("the assignee is not a member of this organization", ["assignee"])
            )
    newest = await read(services.engine, queries.newest_release_position, row.organization_id, row.project_id)
    change = IssueUpdate(
        status=request.status,
        in_next_release=request.in_next_release,
        newest_release_position=newest,
        ignore_until_event_count=request.ignore_until_event_count,
        ignore_until_timestamp=request.ignore_until.timestamp() if request.ignore_until else None,
        ignore_until_user_count=request.ignore_until_user_count,
        assignee=assignee,
    )
    if request.status == "merged":
        return IssueAnswer(refusal=Refusal("use mergeIssues to merge", ["status"]))
    try:
        position = await services.issue_commands.update(row.id, expected_version, change, viewer.actor)
    except InvalidCommand as error:
        return IssueAnswer(refusal=Refusal.of(error))
    return IssueAnswer(issue=await fresh_issue(services, viewer, row.id, position))


def merge_refusal(labels: Sequence[str], target: str | None) -> Refusal | None:
    """Why issues named by `labels` (and `target`, defaulting to the first) cannot be merged,
    before anything is looked up."""
    if target is None or len(set(labels) | {target}) < 2:
        return Refusal("name at least two issues", ["issueIds"])
    return None


async def merge_issues(
    services: Services,
    viewer: Viewer,
    org_ids: Collection[str],
    issues: dict[str, str | None],
    sources: list[str],
    target: str,
    versions: dict[str, int],
) -> IssueAnswer:
    """Merge `sources` into `target`, both labels of `issues` (label -> issue id, None for one
    that is not an issue id), within `org_ids`, where the viewer may change issues."""
    rows = {}
    for label in {*sources, target}:
        row = await writable_issue(services, org_ids, issues[label])
        if row is None:
            return IssueAnswer(refusal=Refusal(f"issue {label} not found", ["issueIds"]))
        rows[label] = row
    if len({r.project_id for r in rows.values()}) > 1:
        return IssueAnswer(refusal=Refusal("only issues of one project can be merged", ["issueIds"]))
    try:
        position = await services.issue_commands.merge(
            [rows[label].id for label in sources], rows[target].id, versions, viewer.actor
        )
    except InvalidCommand as error:
        return IssueAnswer(refusal=Refusal.of(error))
    return IssueAnswer(issue=await fresh_issue(services, viewer, rows[target].id, position))


async def unmerge_issue(
    services: Services, viewer: Viewer, issue_id: str | None, fingerprint: str, expected_version: int
) -> IssueAnswer:
    row = await writable_issue(services, viewer.orgs("event:write"), issue_id)
    if row is None:
        return IssueAnswer(refusal=Refusal("issue not found", ["issueId"]))
    to_issue_id = issue_id_for(row.project_id, fingerprint)
    try:
        position = await services.issue_commands.unmerge(
            row.id, fingerprint, to_issue_id, expected_version, viewer.actor
        )
    except InvalidCommand as error:
        return IssueAnswer(refusal=Refusal.of(error, ["hash"]))
    restored = await fresh_issue(services, viewer, to_issue_id, position)
    return IssueAnswer(issue=restored, source=await fresh_issue(services, viewer, row.id, None))
