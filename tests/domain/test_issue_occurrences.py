"""The projector asks the issue aggregate about an occurrence only in the statuses listed in
`REACTIVE`; in any other status an occurrence must change nothing and call for nothing."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from stackline.domain.issue import IGNORED, MERGED, REACTIVE, RESOLVED, UNRESOLVED, Issue, Occurrence

STATUSES = (UNRESOLVED, RESOLVED, IGNORED, MERGED)


def issue_in(status: str) -> Issue:
    return Issue(
        id="issue-1",
        project_id=1,
        organization_id="org",
        primary_hash="h",
        status=status,
        resolved_release_position=3,
        ignore_until_count=1,
        ignore_until_users=1,
        ignore_until_timestamp=0.0,
    )


OCCURRENCES = [Occurrence("e1", "shop@2", 9, "id:1", 10.0), Occurrence("e2", None, None, None, 0.0)]


@pytest.mark.parametrize("status", [s for s in STATUSES if s not in REACTIVE])
def test_an_occurrence_changes_nothing_outside_the_reactive_statuses(status: str) -> None:
    for occurrence in OCCURRENCES:
        issue = issue_in(status)
        before = copy.deepcopy(dataclasses.asdict(issue))
        assert issue.react_to_occurrence(occurrence) == []
        assert dataclasses.asdict(issue) == before


@pytest.mark.parametrize("status", sorted(REACTIVE))
def test_each_reactive_status_can_react(status: str) -> None:
    issue = issue_in(status)
    assert issue.react_to_occurrence(OCCURRENCES[0]) != []
