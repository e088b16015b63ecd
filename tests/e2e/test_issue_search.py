"""Issue search and sorting through real HTTP: events from the real sentry-sdk with different
levels, releases, environments, tags and users; `Project.issues(query:, sort:)` must return
exactly the issues each search names, page through every sort without gaps or repeats, and
refuse bad syntax with an error that names the token."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sentry_sdk

from tests.e2e.server import Server, sentry_client

ISSUES = """query ($org: String!, $p: String!, $q: String, $sort: IssueSort, $first: Int, $after: String) {
  project(organizationSlug: $org, slug: $p) {
    id issues(query: $q, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id title culprit level status timesSeen userCount firstSeen lastSeen } } } } }"""
UPDATE = """mutation ($input: UpdateIssueInput!) { updateIssue(input: $input) { userErrors { message } } }"""
ISSUE_VERSION = "query ($id: ID!) { issue(id: $id) { version } }"


def charge_card() -> None:
    raise ValueError("card declined")


def reserve_stock() -> None:
    raise KeyError("sku")


@dataclass(frozen=True)
class Occurrence:
    release: str
    environment: str
    send: Callable[[], None]
    tags: dict[str, str]
    user: str | None = None
    level: str | None = None


def exception_of(failure: Callable[[], None]) -> Callable[[], None]:
    def send() -> None:
        try:
            failure()
        except Exception:  # noqa: BLE001
            sentry_sdk.capture_exception()

    return send


def message(text: str, level: str) -> Callable[[], None]:
    return lambda: sentry_sdk.capture_message(text, level=level)


# Five issues, each key of the search on some of them only:
#   A "ValueError: card declined" (culprit ... in charge_card): error, 3 events, 3 users
#   B "Disk almost full": warning, 1 event, 1 user; resolved later
#   C "Cache warmed": info, 5 events, no user; ignored later
#   D "KeyError: 'sku'" (culprit ... in reserve_stock): fatal, 2 events (shop@1.0 production,
#     shop@2.0 staging), 2 users
#   E "Payment gateway timeout": error, 3 events, 2 users
A, B, C, D, E = "A", "B", "C", "D", "E"
OCCURRENCES: list[tuple[str, Occurrence]] = [
    *[
        (
            A,
            Occurrence(
                "shop@1.0",
                "production",
                exception_of(charge_card),
                {"browser": "Firefox", "region": "eu"},
                user=f"u{i}",
            ),
        )
        for i in (1, 2, 3)
    ],
    (
        B,
        Occurrence(
            "shop@1.1",
            "staging",
            message("Disk almost full", "warning"),
            {"browser": "Mobile Safari", "region": "us"},
            user="u1",
        ),
    ),
    *[(C, Occurrence("shop@1.1", "production", message("Cache warmed", "info"), {"region": "eu"}))] * 5,
    (
        D,
        Occurrence(
            "shop@1.0",
            "production",
            exception_of(reserve_stock),
            {"browser": "Firefox"},
            user="u1",
            level="fatal",
        ),
    ),
    (
        D,
        Occurrence(
            "shop@2.0",
            "staging",
            exception_of(reserve_stock),
            {"browser": "Firefox"},
            user="u2",
            level="fatal",
        ),
    ),
    *[
        (
            E,
            Occurrence(
                "shop@1.0",
                "production",
                message("Payment gateway timeout", "error"),
                {"flow": "checkout with coupon"},
                user=user,
            ),
        )
        for user in ("u1", "u2", "u2")
    ],
]
TITLES = {
    A: "ValueError: card declined",
    B: "Disk almost full",
    C: "Cache warmed",
    D: "KeyError: 'sku'",
    E: "Payment gateway timeout",
}


def send_all(dsn: str) -> None:
    for _, occurrence in OCCURRENCES:
        with sentry_client(dsn, release=occurrence.release, environment=occurrence.environment):
            with sentry_sdk.new_scope() as scope:
                for key, value in occurrence.tags.items():
                    scope.set_tag(key, value)
                if occurrence.user:
                    scope.set_user({"id": occurrence.user})
                if occurrence.level:
                    scope.set_level(occurrence.level)
                occurrence.send()


def raw_id(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().partition(":")[2]


class Shop:
    """The searched project, its issues keyed A..E, and GraphQL as its token sees it."""

    def __init__(self, server: Server) -> None:
        self.server = server
        boot = server.bootstrap("acme", "shop")
        self.dsn, self.token = boot["dsn"], boot["token"]
        self.names: dict[str, str] = {}

    def search(
        self,
        query: str | None = None,
        sort: str | None = None,
        first: int = 50,
        after: str | None = None,
        token: str | None = None,
    ) -> dict:
        result = self.server.graphql(
            ISSUES,
            {"org": "acme", "p": "shop", "q": query, "sort": sort, "first": first, "after": after},
            token or self.token,
        )
        assert "errors" not in result, result
        return result["data"]["project"]["issues"]

    def names_of(self, query: str | None = None, sort: str | None = None) -> list[str]:
        return [self.names[edge["node"]["id"]] for edge in self.search(query, sort)["edges"]]

    def wait(self, query: str, count: int) -> None:
        deadline = time.monotonic() + 20
        while (found := self.search(query))["totalCount"] != count:
            assert time.monotonic() < deadline, f"{query!r} never reached {count} issues: {found}"
            time.sleep(0.1)

    def update(self, name: str, **input_: object) -> None:
        issue_id = next(i for i, n in self.names.items() if n == name)
        version = self.server.graphql(ISSUE_VERSION, {"id": issue_id}, self.token)["data"]["issue"]["version"]
        result = self.server.graphql(
            UPDATE, {"input": {"id": issue_id, "expectedVersion": version, **input_}}, self.token
        )
        assert result["data"]["updateIssue"]["userErrors"] == [], result


@pytest.fixture(scope="module")
def shop(server: Server) -> Shop:
    shop = Shop(server)
    send_all(shop.dsn)
    deadline = time.monotonic() + 30
    while True:
        edges = shop.search()["edges"]
        if sum(e["node"]["timesSeen"] for e in edges) == len(OCCURRENCES):
            break
        assert time.monotonic() < deadline, edges
        time.sleep(0.1)
    by_title = {title: name for name, title in TITLES.items()}
    shop.names = {e["node"]["id"]: by_title[e["node"]["title"]] for e in edges}
    assert sorted(shop.names.values()) == [A, B, C, D, E]
    # No wait for the issues' streams: a change waits for its issue's IssueCreated itself.
    member = server.graphql(
        'mutation { addMember(input: {organizationSlug: "acme", email: "dana@example.com", role: "admin"}) '
        "{ userErrors { message } } }",
        token=shop.token,
    )
    assert member["data"]["addMember"]["userErrors"] == [], member
    shop.update(B, status="RESOLVED")
    shop.update(C, status="IGNORED")
    shop.update(A, assignee="dana@example.com")
    shop.wait("is:resolved", 1)
    shop.wait("is:ignored", 1)
    shop.wait("is:assigned", 1)
    return shop


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, {A, B, C, D, E}),
        ("", {A, B, C, D, E}),
        ("is:unresolved", {A, D, E}),
        ("is:resolved", {B}),
        ("is:ignored", {C}),
        ("is:archived", {C}),
        ("!is:unresolved", {B, C}),
        ("is:assigned", {A}),
        ("is:unassigned", {B, C, D, E}),
        ("assigned:dana@example.com", {A}),
        ("assigned:DANA@example.com", {A}),
        ("!assigned:dana@example.com", {B, C, D, E}),
        ("assigned:nobody@example.com", set()),
        ("level:error", {A, E}),
        ("level:fatal", {D}),
        ("!level:error", {B, C, D}),
        ("release:shop@1.1", {B, C}),
        ("release:shop@1.0", {A, D, E}),
        ("release:shop@2.0", {D}),  # any event of the issue counts, not only its latest
        ("!release:shop@1.0", {B, C}),
        ("environment:staging", {B, D}),
        ("!environment:production", {B}),
        ("browser:Firefox", {A, D}),
        ("browser:firefox", set()),  # tag values match exactly
        ('browser:"Mobile Safari"', {B}),
        ("browser:*safari", {B}),  # wildcards ignore case
        ("release:shop@1.*", {A, B, C, D, E}),
        ('flow:"checkout with coupon"', {E}),
        ("has:browser", {A, B, D}),
        ("!has:browser", {C, E}),
        ("!region:eu", {B, D, E}),
        ("declined", {A}),
        ("CARD", {A}),
        ("charge_card", {A}),  # in the culprit only
        ("reserve_stock", {D}),
        ("timeout gateway", {E}),  # each word on its own
        ('"timeout gateway"', set()),  # a phrase as written
        ('"gateway timeout"', {E}),
        ('message:"disk almost"', {B}),
        ("!message:disk", {A, C, D, E}),  # C and E have no culprit
        ("%", set()),  # LIKE's wildcards are literal text
        ("card_declined", set()),
        ("is:unresolved level:error release:shop@1.0", {A, E}),
        ("is:unresolved environment:production !browser:Firefox", {E}),
        ("is:unresolved !is:assigned level:fatal reserve", {D}),
    ],
)
def test_each_search_returns_exactly_its_issues(shop: Shop, query: str | None, expected: set[str]) -> None:
    found = shop.search(query)
    names = [shop.names[e["node"]["id"]] for e in found["edges"]]
    assert sorted(names) == sorted(expected), query
    assert found["totalCount"] == len(expected)


def test_a_short_id_finds_its_issue(shop: Shop) -> None:
    """`WEB-2` in the search bar, and `Project.issueByShortId` (any case)."""
    short_ids = {
        shop.names[e["node"]["id"]]: e["node"]["shortId"]
        for e in shop.server.graphql(
            '{ project(organizationSlug: "acme", slug: "shop") '
            "{ issues(first: 10) { edges { node { id shortId } } } } }",
            token=shop.token,
        )["data"]["project"]["issues"]["edges"]
    }
    assert shop.names_of(short_ids[D]) == [D]
    assert shop.names_of(short_ids[D].lower()) == [D]
    assert shop.names_of(f"is:resolved {short_ids[B]}") == [B]
    assert shop.names_of(f"is:unresolved {short_ids[B]}") == []
    lookup = (
        'query ($s: String!) { project(organizationSlug: "acme", slug: "shop") '
        "{ issueByShortId(shortId: $s) { id shortId } } }"
    )
    found = shop.server.graphql(lookup, {"s": short_ids[C].lower()}, shop.token)["data"]["project"][
        "issueByShortId"
    ]
    assert found["shortId"] == short_ids[C] and shop.names[found["id"]] == C
    missing = shop.server.graphql(lookup, {"s": "SHOP-ZZZZ"}, shop.token)["data"]["project"]["issueByShortId"]
    assert missing is None


def sort_value(node: dict, sort: str) -> object:
    return {
        "LAST_SEEN": node["lastSeen"],
        "FIRST_SEEN": node["firstSeen"],
        "FREQ": node["timesSeen"],
        "USERS": node["userCount"],
    }[sort]


@pytest.mark.parametrize("sort", ["LAST_SEEN", "FIRST_SEEN", "FREQ", "USERS"])
@pytest.mark.parametrize("query", [None, "is:unresolved", "release:shop@1.0 !level:warning"])
def test_paging_walks_every_sort_in_order_without_gaps_or_repeats(
    shop: Shop, sort: str, query: str | None
) -> None:
    everything = shop.search(query, sort)
    nodes = [e["node"] for e in everything["edges"]]
    # Highest first, ties broken by id (the stored id, inside the global one), highest first.
    assert nodes == sorted(nodes, key=lambda n: (sort_value(n, sort), raw_id(n["id"])), reverse=True)

    walked, after = [], None
    while True:
        page = shop.search(query, sort, first=2, after=after)
        assert page["totalCount"] == len(nodes)
        walked += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == [n["id"] for n in nodes]


def test_sorts_order_by_what_they_name(shop: Shop) -> None:
    assert shop.names_of(sort="FREQ")[0] == C  # 5 events
    assert shop.names_of(sort="FREQ")[-1] == B  # 1 event
    assert shop.names_of(sort="USERS")[0] == A  # 3 users
    assert shop.names_of(sort="USERS")[-1] == C  # none
    assert shop.names_of(sort="FIRST_SEEN")[-1] == A  # sent first
    assert shop.names_of(sort="LAST_SEEN")[0] == E  # sent last
    assert shop.names_of() == shop.names_of(sort="LAST_SEEN")
    ties = [n for n in shop.names_of(sort="USERS") if n in (D, E)]  # 2 users each
    ids = {name: raw_id(i) for i, name in shop.names.items()}
    assert ties == sorted((D, E), key=ids.get, reverse=True)


def test_a_cursor_only_serves_its_own_sort(shop: Shop) -> None:
    cursor = shop.search(sort="FREQ", first=1)["pageInfo"]["endCursor"]
    result = shop.server.graphql(
        ISSUES, {"org": "acme", "p": "shop", "sort": "LAST_SEEN", "after": cursor}, shop.token
    )
    assert "invalid cursor" in result["errors"][0]["message"]
    result = shop.server.graphql(
        ISSUES, {"org": "acme", "p": "shop", "after": "bm90IGEgY3Vyc29y"}, shop.token
    )
    assert "invalid cursor" in result["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ("is:unresolved is:sleeping", "is:sleeping"),
        ("level:loud", "level:loud"),
        ("!level:loud", "!level:loud"),
        (":Firefox", ":Firefox"),
        ('message:"foo bar', 'message:"foo bar'),
        ("assigned:me", "assigned:me"),
    ],
)
def test_bad_syntax_is_an_error_naming_the_token(shop: Shop, query: str, token: str) -> None:
    result = shop.server.graphql(ISSUES, {"org": "acme", "p": "shop", "q": query}, shop.token)
    assert result["data"] is None or result["data"]["project"] is None
    (error,) = result["errors"]
    assert repr(token) in error["message"], error
    assert error["path"] == ["project", "issues"]


def test_another_organization_sees_nothing(shop: Shop) -> None:
    other = shop.server.bootstrap("globex", "shop")
    project_id = shop.server.graphql(ISSUES, {"org": "acme", "p": "shop"}, shop.token)["data"]["project"][
        "id"
    ]
    for query in (None, "is:unresolved", "release:shop@1.0", "declined", "has:browser"):
        result = shop.server.graphql(ISSUES, {"org": "acme", "p": "shop", "q": query}, other["token"])
        assert result["data"]["project"] is None or result["data"]["project"]["issues"]["totalCount"] == 0, (
            result
        )
        # Its own project of the same slug exists and is empty: no event went there.
        own = shop.server.graphql(ISSUES, {"org": "globex", "p": "shop", "q": query}, other["token"])
        assert own["data"]["project"]["issues"] == {
            "totalCount": 0,
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "edges": [],
        }
    node = shop.server.graphql(
        'query ($id: ID!) { node(id: $id) { ... on Project { issues(query: "is:unresolved") { totalCount } } '
        "} }",
        {"id": project_id},
        other["token"],
    )
    assert node["data"]["node"] is None, node


def test_tags_derived_from_the_event_are_searchable(server: Server) -> None:
    """browser, os, url, server_name and user.* as Sentry derives them from contexts, request and
    user: `browser:Firefox`, `user.email:` and `url:` find the issue (they found nothing)."""
    boot = server.bootstrap("tagco", "web")
    with sentry_client(boot["dsn"], server_name="web-7"):
        with sentry_sdk.new_scope() as scope:
            scope.set_user({"id": "u-9", "email": "ana@tagco.test"})
            scope.set_context("browser", {"name": "Firefox", "version": "120.0"})
            scope.set_context("os", {"name": "Ubuntu", "version": "22.04"})
            scope.add_event_processor(
                lambda e, hint: {**e, "request": {"url": "https://shop.tagco.test/pay?x=1", "method": "POST"}}
            )
            exception_of(charge_card)()
    query = (
        'query ($q: String) { project(organizationSlug: "tagco", slug: "web") '
        "{ issues(query: $q) { totalCount } events(query: $q) { totalCount } } }"
    )

    def counts(q: str) -> tuple[int, int]:
        project = server.graphql(query, {"q": q}, boot["token"])["data"]["project"]
        return project["issues"]["totalCount"], project["events"]["totalCount"]

    deadline = time.monotonic() + 30
    while counts("") != (1, 1):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    for q in (
        "browser:Firefox*",
        "browser.name:Firefox",
        "os.name:Ubuntu",
        "server_name:web-7",
        "user.email:ana@tagco.test",
        "user.id:u-9",
        "url:https://shop.tagco.test/pay",
        "url:*tagco.test*",
    ):
        assert counts(q) == (1, 1), q
    assert counts("user.email:bob@tagco.test") == (0, 0)
