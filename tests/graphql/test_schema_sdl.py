"""The committed SDL is the API's contract: a change to the schema must show up in review."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackline.domain.issue import ISSUE_CHANGE_KINDS, ChangeKind
from stackline.graphql.issues import IssueChangeKind
from stackline.graphql.schema import schema

pytestmark = pytest.mark.unit  # reads files and the code, runs nothing
SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    current = str(schema).rstrip() + "\n"
    assert SDL.read_text() == current, (
        "schema.graphql differs from the code's schema; if the change is intended, run "
        "`uv run stackline schema > schema.graphql` and commit it"
    )


def test_the_operations_the_spec_names_exist() -> None:
    sdl = SDL.read_text()
    for needle in (
        "node(id: ID!): Node",
        "organization(slug: String!): Organization",
        "project(organizationSlug: String!, slug: String!): Project",
        "issue(id: ID!): Issue",
        "updateIssue(input: UpdateIssueInput!): UpdateIssuePayload!",
        "mergeIssues(input: MergeIssuesInput!): MergeIssuesPayload!",
        "issueChanges(projectId: ID!): IssueChange!",
    ):
        assert needle in sdl, needle


def test_issue_change_kinds_are_the_domains() -> None:
    """`IssueChangeKind` is the domain's `ChangeKind`, so a kind added there shows up here."""
    assert IssueChangeKind is ChangeKind
    enum_values = schema.get_type_by_name("IssueChangeKind")
    assert enum_values is not None
    assert [value.name for value in enum_values.values] == list(ISSUE_CHANGE_KINDS)
