"""One table says what each issue event announces (`CHANGE_KIND`); live subscriptions, webhooks
and the GraphQL enum all take their kinds from it, so they cannot drift apart."""

from __future__ import annotations

from stackline.domain import issue
from stackline.domain.issue import CHANGE_KIND, ISSUE_CHANGE_KINDS, ChangeKind, IssueEvent
from stackline.domain.webhook import check_events


def issue_event_types() -> set[type[IssueEvent]]:
    return {
        value
        for value in vars(issue).values()
        if isinstance(value, type) and issubclass(value, IssueEvent) and value is not IssueEvent
    }


def test_every_issue_event_has_its_row_in_the_table() -> None:
    assert issue_event_types() == set(CHANGE_KIND)


def test_every_kind_but_the_occurrences_is_announced_by_some_event() -> None:
    announced = {kind for kind in CHANGE_KIND.values() if kind is not None}
    # CREATED and UPDATED also come from error events (the first of an issue, and later ones).
    assert announced | {ChangeKind.CREATED, ChangeKind.UPDATED} == set(ChangeKind)


def test_webhooks_take_their_kinds_from_the_domain() -> None:
    assert ISSUE_CHANGE_KINDS == tuple(kind.value for kind in ChangeKind)
    assert check_events(list(reversed(ISSUE_CHANGE_KINDS))) == ISSUE_CHANGE_KINDS
