"""The whole life of an issue through real HTTP: real SDK events, GraphQL mutations, and the
lifecycle events the server decides by itself (regressions, ignores that run out)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sentry_sdk

from tests.e2e.server import Server, Subscriber, sentry_client

ISSUE_FIELDS = """id shortId title status substatus version timesSeen userCount assignee
  firstRelease lastRelease
  activity { kind actor at data }
  tags { key totalValues topValues { value count } }
  grouping { config variant components hashes }
  events(first: 3) { edges { node { grouping } } }"""
ISSUES = f"""query ($org: String!, $p: String!) {{ project(organizationSlug: $org, slug: $p) {{
  id issues(first: 50) {{ totalCount edges {{ node {{ {ISSUE_FIELDS} }} }} }} }} }}"""
ISSUE = f"query ($id: ID!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}"
UPDATE = f"""mutation ($input: UpdateIssueInput!) {{ updateIssue(input: $input) {{
  issue {{ {ISSUE_FIELDS} }} userErrors {{ message field code }} }} }}"""
MERGE = f"""mutation ($input: MergeIssuesInput!) {{ mergeIssues(input: $input) {{
  issue {{ {ISSUE_FIELDS} }} userErrors {{ message code }} }} }}"""
UNMERGE = f"""mutation ($input: UnmergeIssueInput!) {{ unmergeIssue(input: $input) {{
  issue {{ {ISSUE_FIELDS} }} source {{ {ISSUE_FIELDS} }} userErrors {{ message code }} }} }}"""
CHANGES = "subscription ($p: ID!) { issueChanges(projectId: $p) { kind issue { id status substatus } } }"


def checkout_failure(order: int) -> None:
    raise RuntimeError(f"checkout failed for order {order}")


def inventory_failure(sku: str) -> None:
    raise LookupError(f"no stock for {sku}")


def payment_failure(amount: int) -> None:
    raise ArithmeticError(f"rounding error at {amount}")


def send(
    dsn: str,
    failure,
    *args,
    release: str = "shop@1.0.0",
    user: dict | None = None,  # noqa: ANN001
    tags: dict | None = None,
    times: int = 1,
) -> None:
    with sentry_client(dsn, release=release, environment="production"):
        for _ in range(times):
            with sentry_sdk.new_scope() as scope:
                if user:
                    scope.set_user(user)
                for key, value in (tags or {}).items():
                    scope.set_tag(key, value)
                try:
                    failure(*args)
                except Exception:  # noqa: BLE001
                    sentry_sdk.capture_exception()


class Project:
    """One bootstrapped project with its own issues, talked to over GraphQL."""

    def __init__(self, server: Server, slug: str) -> None:
        self.server, self.slug = server, slug
        boot = server.bootstrap("acme", slug)
        self.dsn, self.token = boot["dsn"], boot["token"]
        self.id = self.query(ISSUES, {"org": "acme", "p": slug})["project"]["id"]

    def query(self, query: str, variables: dict) -> dict:
        result = self.server.graphql(query, variables, self.token)
        assert "errors" not in result, result
        return result["data"]

    def issues(self) -> list[dict]:
        return [
            e["node"]
            for e in self.query(ISSUES, {"org": "acme", "p": self.slug})["project"]["issues"]["edges"]
        ]

    def issue(self, issue_id: str) -> dict:
        return self.query(ISSUE, {"id": issue_id})["issue"]

    def wait_issue(self, predicate, timeout: float = 15.0, issue_id: str | None = None) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while True:
            found = [self.issue(issue_id)] if issue_id else self.issues()
            for issue in found:
                if issue and predicate(issue):
                    return issue
            if time.monotonic() > deadline:
                raise AssertionError(f"no issue matched in time: {found}")
            time.sleep(0.1)

    def update(self, **input_: object) -> dict:
        return self.query(UPDATE, {"input": input_})["updateIssue"]


@pytest.fixture(scope="module")
def member(server: Server) -> str:
    boot = server.bootstrap("acme", "lifecycle-admin")
    result = server.graphql(
        'mutation { addMember(input: {organizationSlug: "acme", email: "Dana@Example.com", role: "admin"}) '
        "{ email userErrors { message } } }",
        token=boot["token"],
    )
    assert result["data"]["addMember"] == {"email": "dana@example.com", "userErrors": []}
    return "dana@example.com"


async def test_every_kind_of_change_reaches_a_live_subscriber(server: Server, member: str) -> None:
    project = Project(server, "live-kinds")
    send(project.dsn, checkout_failure, 1)
    send(project.dsn, inventory_failure, "a")
    deadline = time.monotonic() + 15
    while len(issues := [i for i in project.issues() if i["version"] == 0]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    first, second = issues
    async with Subscriber(server.url, project.token, CHANGES, {"p": project.id}) as live:
        assigned = project.update(id=first["id"], expectedVersion=0, assignee=member)["issue"]
        ignored = project.update(id=first["id"], expectedVersion=assigned["version"], status="IGNORED")[
            "issue"
        ]
        project.update(id=first["id"], expectedVersion=ignored["version"], status="UNRESOLVED")
        merged = project.query(MERGE, {"input": {"issueIds": [first["id"], second["id"]]}})["mergeIssues"]
        assert merged["userErrors"] == []
        send(project.dsn, checkout_failure, 2)

        def kinds(got: list[dict]) -> set[tuple[str, str]]:
            return {
                (m["data"]["issueChanges"]["kind"], m["data"]["issueChanges"]["issue"]["id"]) for m in got
            }

        wanted = {
            ("ASSIGNED", first["id"]),
            ("IGNORED", first["id"]),
            ("UPDATED", first["id"]),
            ("MERGED", second["id"]),
        }
        await live.wait_for(lambda got: wanted <= kinds(got))
    assert not live.errors


async def test_resolve_then_a_new_event_regresses(server: Server) -> None:
    project = Project(server, "regress")
    send(project.dsn, checkout_failure, 1)
    issue = project.wait_issue(lambda i: i["timesSeen"] == 1 and i["version"] == 0)
    assert issue["activity"][0]["kind"] == "IssueCreated"

    async with Subscriber(server.url, project.token, CHANGES, {"p": project.id}) as live:
        resolved = project.update(id=issue["id"], expectedVersion=issue["version"], status="RESOLVED")
        assert resolved["userErrors"] == []
        assert resolved["issue"]["status"] == "RESOLVED" and resolved["issue"]["version"] == 1
        send(project.dsn, checkout_failure, 2)
        regressed = project.wait_issue(lambda i: i["substatus"] == "regressed", issue_id=issue["id"])
        await live.wait_for(
            lambda got: {"RESOLVED", "REGRESSED"} <= {m["data"]["issueChanges"]["kind"] for m in got}
        )

    assert regressed["status"] == "UNRESOLVED" and regressed["timesSeen"] == 2
    kinds = [a["kind"] for a in regressed["activity"]]
    assert kinds == ["IssueCreated", "IssueResolved", "IssueRegressed"]
    resolved_activity = regressed["activity"][1]
    assert resolved_activity["actor"] and datetime.fromisoformat(resolved_activity["at"]) <= datetime.now(UTC)
    assert regressed["activity"][2]["actor"] is None  # the server decided it, not a person


def test_resolved_in_next_release_regresses_only_for_a_newer_release(server: Server) -> None:
    project = Project(server, "next-release")
    send(project.dsn, checkout_failure, 1, release="shop@1.0.0")
    issue = project.wait_issue(lambda i: i["version"] == 0)
    resolved = project.update(id=issue["id"], expectedVersion=0, status="RESOLVED", inNextRelease=True)
    assert resolved["issue"]["status"] == "RESOLVED"

    send(project.dsn, checkout_failure, 2, release="shop@1.0.0")
    old = project.wait_issue(lambda i: i["timesSeen"] == 2, issue_id=issue["id"])
    assert old["status"] == "RESOLVED"

    send(project.dsn, checkout_failure, 3, release="shop@1.1.0")
    newer = project.wait_issue(lambda i: i["status"] == "UNRESOLVED", issue_id=issue["id"])
    assert (
        newer["substatus"] == "regressed" and newer["timesSeen"] == 3 and newer["lastRelease"] == "shop@1.1.0"
    )


def test_ignore_until_five_more_events(server: Server) -> None:
    project = Project(server, "ignore-count")
    send(project.dsn, inventory_failure, "sku-1")
    issue = project.wait_issue(lambda i: i["version"] == 0)
    ignored = project.update(id=issue["id"], expectedVersion=0, status="IGNORED", ignoreUntilEventCount=5)
    assert ignored["issue"]["status"] == "IGNORED"

    send(project.dsn, inventory_failure, "sku-2", times=4)
    after_four = project.wait_issue(lambda i: i["timesSeen"] == 5, issue_id=issue["id"])
    time.sleep(0.5)  # give a wrong early wake-up the chance to show
    assert project.issue(issue["id"])["status"] == "IGNORED" == after_four["status"]

    send(project.dsn, inventory_failure, "sku-3")
    woke = project.wait_issue(lambda i: i["status"] == "UNRESOLVED", issue_id=issue["id"])
    assert woke["timesSeen"] == 6 and woke["substatus"] == "escalating"
    assert (
        woke["activity"][-1]["kind"] == "IssueUnignored"
        and woke["activity"][-1]["data"]["reason"] == "event_count"
    )


def test_ignore_until_users_and_until_a_time(server: Server) -> None:
    project = Project(server, "ignore-users")
    send(project.dsn, payment_failure, 1, user={"id": "u1"})
    issue = project.wait_issue(lambda i: i["version"] == 0)
    project.update(id=issue["id"], expectedVersion=0, status="IGNORED", ignoreUntilUserCount=2)
    send(project.dsn, payment_failure, 2, user={"id": "u1"}, times=3)
    same_user = project.wait_issue(lambda i: i["timesSeen"] == 4, issue_id=issue["id"])
    assert same_user["status"] == "IGNORED"
    send(project.dsn, payment_failure, 3, user={"id": "u2"})
    send(project.dsn, payment_failure, 4, user={"email": "u3@example.com"})
    # u1 and u2 since the ignore wake it; wait for u3's event too, which may be projected later.
    woke = project.wait_issue(
        lambda i: i["status"] == "UNRESOLVED" and i["timesSeen"] == 6, issue_id=issue["id"]
    )
    assert woke["activity"][-1]["data"]["reason"] == "user_count" and woke["userCount"] == 3

    until = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    timed = project.update(
        id=issue["id"], expectedVersion=woke["version"], status="IGNORED", ignoreUntil=until
    )
    assert timed["issue"]["status"] == "IGNORED"
    later = project.wait_issue(lambda i: i["status"] == "UNRESOLVED", issue_id=issue["id"], timeout=10)
    assert later["activity"][-1]["data"]["reason"] == "time"


def test_assign_to_a_member_and_concurrent_updates_conflict(server: Server, member: str) -> None:
    project = Project(server, "assign")
    send(project.dsn, checkout_failure, 1, tags={"region": "eu"}, user={"id": "a"})
    send(project.dsn, checkout_failure, 2, tags={"region": "eu"}, user={"id": "b"})
    send(project.dsn, checkout_failure, 3, tags={"region": "us"}, user={"id": "a"})
    issue = project.wait_issue(lambda i: i["timesSeen"] == 3 and i["version"] == 0)
    assert issue["userCount"] == 2
    region = next(t for t in issue["tags"] if t["key"] == "region")
    assert region["totalValues"] == 3 and region["topValues"][0] == {"value": "eu", "count": 2}
    assert issue["grouping"]["variant"] == "in-app-stacktrace" and issue["grouping"]["config"]
    assert any("checkout_failure" in c for c in issue["grouping"]["components"])
    # Each event says why it was grouped so: the same rule, components and hash as its issue.
    assert [e["node"]["grouping"] for e in issue["events"]["edges"]] == 3 * [
        {
            "config": issue["grouping"]["config"],
            "variant": "in-app-stacktrace",
            "hash": issue["grouping"]["hashes"][0],
            "components": issue["grouping"]["components"],
        }
    ]

    stranger = project.update(id=issue["id"], expectedVersion=0, assignee="nobody@example.com")
    assert stranger["userErrors"][0]["field"] == ["assignee"]

    assigned = project.update(id=issue["id"], expectedVersion=0, assignee=member)
    assert assigned["issue"]["assignee"] == member and assigned["issue"]["version"] == 1
    stale = project.update(id=issue["id"], expectedVersion=0, status="RESOLVED")
    assert stale["issue"] is None and stale["userErrors"][0]["code"] == "CONFLICT"

    # Two clients that both read version 1 act at the same time: exactly one wins.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(
            pool.map(
                lambda status: project.update(id=issue["id"], expectedVersion=1, status=status),
                ["RESOLVED", "IGNORED"],
            )
        )
    assert sorted(bool(o["userErrors"]) for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o["userErrors"])
    assert loser["userErrors"][0]["code"] == "CONFLICT"
    final = project.issue(issue["id"])
    assert final["version"] == 2 and [a["kind"] for a in final["activity"]][-1] in (
        "IssueResolved",
        "IssueIgnored",
    )


def test_merge_then_new_events_land_on_the_target_and_unmerge_splits_back(server: Server) -> None:
    project = Project(server, "merge")
    send(project.dsn, checkout_failure, 1)
    send(project.dsn, inventory_failure, "x")
    send(project.dsn, payment_failure, 1)
    issues = project.wait_issue(lambda i: True) and None
    deadline = time.monotonic() + 15
    while len(issues := [i for i in project.issues() if i["version"] == 0]) < 3:
        assert time.monotonic() < deadline, issues
        time.sleep(0.1)
    by_title = {i["title"].split(":")[0]: i for i in issues}
    target, source = by_title["RuntimeError"], by_title["LookupError"]

    merged = project.query(
        MERGE,
        {
            "input": {
                "issueIds": [target["id"], source["id"]],
                "expectedVersions": [{"id": source["id"], "version": 0}],
            }
        },
    )["mergeIssues"]
    assert merged["userErrors"] == []
    assert merged["issue"]["id"] == target["id"] and merged["issue"]["timesSeen"] == 2
    assert len(merged["issue"]["grouping"]["hashes"]) == 2
    assert {i["id"] for i in project.issues()} == {target["id"], by_title["ArithmeticError"]["id"]}
    assert project.issue(source["id"])["status"] == "MERGED"

    send(project.dsn, inventory_failure, "y")
    landed = project.wait_issue(lambda i: i["timesSeen"] == 3, issue_id=target["id"])
    assert project.issue(source["id"])["timesSeen"] == 0
    assert [a["kind"] for a in landed["activity"]] == ["IssueCreated", "IssueAbsorbed"]

    source_hash = next(h for h in landed["grouping"]["hashes"] if h != target["grouping"]["hashes"][0])
    split = project.query(
        UNMERGE,
        {"input": {"issueId": target["id"], "hash": source_hash, "expectedVersion": landed["version"]}},
    )["unmergeIssue"]
    assert split["userErrors"] == []
    assert split["issue"]["id"] == source["id"] and split["issue"]["status"] == "UNRESOLVED"
    assert split["issue"]["timesSeen"] == 2 and split["source"]["timesSeen"] == 1
    send(project.dsn, inventory_failure, "z")
    project.wait_issue(lambda i: i["timesSeen"] == 3, issue_id=source["id"])
    assert project.issue(target["id"])["timesSeen"] == 1
