"""Malicious or careless queries get one clear GraphQL error before any work is done: never a
500, never a stack trace, never a masked "Unexpected error"."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.server import Server

ISSUE_FIELDS = (
    "edges { node { id title events(first: 100) { edges { node { id message tags { key value } } } } } }"
)


def deep(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"issues(first: 1) {{ edges {{ node {{ project {{ {inner} }} }} }} }}"
    return f'{{ project(organizationSlug: "acme", slug: "web") {{ {inner} }} }}'


CASES = {
    "deep": (deep(8), {}, "exceeds maximum operation depth"),
    "huge first": (
        'query ($n: Int) { project(organizationSlug: "acme", slug: "web") { issues(first: $n) '
        "{ edges { node { id } } } } }",
        {"n": 10_000_000},
        "query cost",
    ),
    "nested connections": (
        f'{{ project(organizationSlug: "acme", slug: "web") {{ issues(first: 100) {{ {ISSUE_FIELDS} }} }} }}',
        {},
        "query cost",
    ),
    "aliased many times": (
        "{ "
        + " ".join(
            f'a{i}: project(organizationSlug: "acme", slug: "web") '
            f"{{ issues(first: 100) {{ edges {{ node {{ id title }} }} }} }}"
            for i in range(40)
        )
        + " }",
        {},
        "query cost",
    ),
    "wide": (
        "{ " + " ".join(f'f{i}: organization(slug: "acme") {{ id slug name }}' for i in range(2000)) + " }",
        {},
        "more than 5000 tokens",
    ),
    "fragment cycle": (
        'query { organization(slug: "acme") { ...A } } fragment A on Organization { projects { organization '
        "{ ...A } } }",
        {},
        "Cannot spread fragment 'A' within itself",
    ),
    "negative first": (
        '{ project(organizationSlug: "acme", slug: "web") { issues(first: -5) { totalCount } } }',
        {},
        "first must be between 0 and 100",
    ),
}


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return server.bootstrap("acme", "web")["token"]


@pytest.mark.parametrize("case", list(CASES))
def test_a_malicious_query_gets_a_clear_error(server: Server, token: str, case: str) -> None:
    query, variables, expected = CASES[case]
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    messages = [error["message"] for error in body["errors"]]
    assert any(expected.lower() in message.lower() for message in messages), messages
    assert "Traceback" not in response.text and "Unexpected error" not in response.text
    assert (body.get("data") or {}).get("project") is None


def test_a_reasonable_issue_list_is_within_the_limits(server: Server, token: str) -> None:
    query = (
        '{ project(organizationSlug: "acme", slug: "web") { issues(first: 25) { edges { node { id title '
        "project { slug } tags { key topValues { value count } } events(first: 5) { edges { node { id } } } "
        "} } } } }"
    )
    assert "errors" not in server.graphql(query, token=token)
