"""A real sentry-sdk's crashes become live GraphQL issues, from one `stackline serve`."""

from __future__ import annotations

from datetime import UTC, datetime

import sentry_sdk

from tests.e2e.server import Server, Subscriber, sentry_client

ISSUES_QUERY = """
query ($org: String!, $project: String!) {
  project(organizationSlug: $org, slug: $project) {
    id dsn
    issues(first: 25) {
      totalCount
      edges { node { id shortId title culprit level status timesSeen firstSeen lastSeen
                     events(first: 10) { totalCount edges { node { eventId payload } } } } }
    }
  }
}
"""

SUBSCRIPTION = """
subscription ($projectId: ID!) {
  issueChanges(projectId: $projectId) { kind committedAt issue { id shortId title timesSeen version } }
}
"""


class PaymentDeclined(Exception):
    pass


def parse_order(raw: str) -> int:
    return int(raw)  # ValueError for anything that is not a number


def load_user(users: dict[str, str], name: str) -> str:
    return users[name]  # KeyError


def charge(amount: int) -> None:
    raise PaymentDeclined(f"card declined for {amount} EUR")


def capture(function, *args) -> str:  # noqa: ANN001
    try:
        function(*args)
    except Exception:  # noqa: BLE001 - the point is to report it
        event_id = sentry_sdk.capture_exception()
        assert event_id
        return event_id
    raise AssertionError("expected an exception")


def send_crashes(dsn: str) -> dict[str, list[str]]:
    """Three different exceptions (ValueError twice) and one message, through the real SDK."""
    sent: dict[str, list[str]] = {}
    with sentry_client(dsn, release="web@1.0.0", environment="test"):
        sent["parse_order"] = [capture(parse_order, "abc"), capture(parse_order, "xyz")]
        sent["load_user"] = [capture(load_user, {}, "alice")]
        sent["charge"] = [capture(charge, 42)]
        sent["message"] = [
            sentry_sdk.capture_message("nightly import finished with warnings", level="warning")
        ]
    return sent


def wait_for_issues(server: Server, token: str, count: int, events: int) -> list[dict]:
    import time

    deadline = time.monotonic() + 15
    while True:
        result = server.graphql(ISSUES_QUERY, {"org": "acme", "project": "web"}, token)
        assert "errors" not in result, result
        nodes = [edge["node"] for edge in result["data"]["project"]["issues"]["edges"]]
        if len(nodes) >= count and sum(n["timesSeen"] for n in nodes) >= events:
            return nodes
        if time.monotonic() > deadline:
            raise AssertionError(f"issues did not appear: {nodes}\n{server.log()}")
        time.sleep(0.1)


def by_culprit(nodes: list[dict], function: str) -> dict:
    matches = [n for n in nodes if (n["culprit"] or "").endswith(f" in {function}")]
    assert len(matches) == 1, (function, nodes)
    return matches[0]


async def test_sdk_crashes_become_live_graphql_issues(tmp_path, backend_env) -> None:  # noqa: ANN001
    server = Server(tmp_path / "data", env=backend_env).start()
    try:
        boot = server.bootstrap("acme", "web")
        assert boot["dsn"].startswith("http://") and boot["dsn"].endswith(f"@127.0.0.1:{server.port}/1")
        project = server.graphql(ISSUES_QUERY, {"org": "acme", "project": "web"}, boot["token"])["data"][
            "project"
        ]
        assert project["dsn"] == boot["dsn"]
        assert project["issues"]["totalCount"] == 0

        async with Subscriber(server.url, boot["token"], SUBSCRIPTION, {"projectId": project["id"]}) as live:
            before_sending = datetime.now(UTC)
            sent = send_crashes(boot["dsn"])
            nodes = wait_for_issues(server, boot["token"], count=4, events=5)
            await live.wait_for(
                lambda got: sum(m["data"]["issueChanges"]["kind"] == "CREATED" for m in got) >= 4
            )
            all_received = datetime.now(UTC)

        assert len(nodes) == 4
        parse = by_culprit(nodes, "parse_order")
        assert parse["title"] == "ValueError: invalid literal for int() with base 10: 'xyz'"
        assert "test_skeleton" in parse["culprit"]
        assert parse["timesSeen"] == 2
        assert parse["level"] == "error" and parse["status"] == "UNRESOLVED"
        assert {e["node"]["eventId"] for e in parse["events"]["edges"]} == set(sent["parse_order"])
        user = by_culprit(nodes, "load_user")
        assert user["title"] == "KeyError: 'alice'" and user["timesSeen"] == 1
        declined = by_culprit(nodes, "charge")
        assert declined["title"] == "PaymentDeclined: card declined for 42 EUR" and declined["timesSeen"] == 1
        message = next(n for n in nodes if n["title"] == "nightly import finished with warnings")
        assert message["level"] == "warning" and message["timesSeen"] == 1
        assert len({n["shortId"] for n in nodes}) == 4 and all(n["shortId"].startswith("WEB-") for n in nodes)

        payload = user["events"]["edges"][0]["node"]["payload"]
        assert payload["event_id"] == sent["load_user"][0]
        assert payload["release"] == "web@1.0.0" and payload["exception"]["values"][-1]["type"] == "KeyError"

        created = {
            m["data"]["issueChanges"]["issue"]["id"]
            for m in live.received
            if m["data"]["issueChanges"]["kind"] == "CREATED"
        }
        assert created == {n["id"] for n in nodes}
        # What `expectedVersion` needs for a new issue (it said -1, before the stream existed).
        assert {
            m["data"]["issueChanges"]["issue"]["version"]
            for m in live.received
            if m["data"]["issueChanges"]["kind"] == "CREATED"
        } == {0}
        assert not live.errors
        # Every change says when the projector committed it: after we sent, before it arrived.
        committed = [datetime.fromisoformat(m["data"]["issueChanges"]["committedAt"]) for m in live.received]
        assert all(before_sending <= at <= all_received for at in committed), (
            before_sending,
            committed,
            all_received,
        )

        looked_up = server.graphql(
            'query ($org: String!, $e: String!) { project(organizationSlug: $org, slug: "web") '
            "{ event(eventId: $e) { eventId level message } } }",
            {"org": "acme", "e": sent["message"][0]},
            boot["token"],
        )["data"]["project"]["event"]
        assert looked_up["eventId"] == sent["message"][0] and looked_up["level"] == "warning"
    finally:
        server.stop()


def test_restart_keeps_everything_and_projects_nothing_twice(tmp_path, backend_env) -> None:  # noqa: ANN001
    server = Server(tmp_path / "data", env=backend_env).start()
    try:
        boot = server.bootstrap("acme", "web")
        send_crashes(boot["dsn"])
        before = wait_for_issues(server, boot["token"], count=4, events=5)
    finally:
        server.stop()

    server.start()
    try:
        again = server.bootstrap("acme", "web")  # idempotent: same project and DSN, a new token
        assert again["dsn"] == boot["dsn"]
        after = wait_for_issues(server, boot["token"], count=4, events=5)

        def strip(nodes: list[dict]) -> list[tuple]:
            return sorted((n["id"], n["shortId"], n["timesSeen"], n["events"]["totalCount"]) for n in nodes)

        assert strip(after) == strip(before)

        with sentry_client(boot["dsn"]):
            capture(parse_order, "again")
        final = wait_for_issues(server, again["token"], count=4, events=6)
        assert by_culprit(final, "parse_order")["timesSeen"] == 3
        assert sum(n["timesSeen"] for n in final) == 6
    finally:
        server.stop()
