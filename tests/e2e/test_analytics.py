"""The analytics read model end to end: real SDK events -> event store -> analytics projector
-> ClickHouse SQL (embedded chDB) -> GraphQL stats, tag facets and filtered events."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sentry_sdk
from sqlalchemy import create_engine, delete

from stackline.readmodels.db import sync_url
from stackline.readmodels.schema import projector_checkpoints
from tests.e2e.conftest import backend_settings
from tests.e2e.server import Server, kill_group, sentry_client, spawn, stackline
from tests.e2e.test_skeleton import charge, parse_order

PROJECT = """
query ($org: String!, $p: String!, $q: String) {
  project(organizationSlug: $org, slug: $p) {
    id userCount
    issues(first: 10) { edges { node { id title timesSeen
      day: stats(period: HOUR_24) { start count users }
      fortnight: stats(period: DAY_14) { start count }
      tagFacets(keys: ["browser"]) { key count distinctValues topValues { value count } } } } }
    tagFacets(keys: ["browser", "region"], top: 1) { key count distinctValues topValues { value count } }
    events(first: 10, query: $q) { totalCount edges { node { eventId tags { key value } } } }
    outcomes(days: 2) { category outcome quantity }
  }
}
"""


def send(
    dsn: str,
    failure,
    arg,
    *,
    release: str,
    environment: str,
    tags: dict,
    user: str,  # noqa: ANN001
    times: int = 1,
) -> list[str]:
    ids = []
    with sentry_client(dsn, release=release, environment=environment):
        for _ in range(times):
            with sentry_sdk.new_scope() as scope:
                scope.set_user({"id": user})
                for key, value in tags.items():
                    scope.set_tag(key, value)
                try:
                    failure(arg)
                except Exception:  # noqa: BLE001
                    ids.append(sentry_sdk.capture_exception())
    return ids


def send_mix(dsn: str) -> dict[str, list[str]]:
    """Charge failures: 2 on Firefox (release 1, prod, users a and b), 1 on Chrome (release 2,
    staging); parse_order failures: 2 on Firefox (release 1, prod, user a)."""
    return {
        "charge-firefox-a": send(
            dsn, charge, 10, release="web@1", environment="prod", tags={"browser": "Firefox"}, user="a"
        ),
        "charge-firefox-b": send(
            dsn, charge, 11, release="web@1", environment="prod", tags={"browser": "Firefox"}, user="b"
        ),
        "charge-chrome": send(
            dsn, charge, 12, release="web@2", environment="staging", tags={"browser": "Chrome"}, user="c"
        ),
        "parse": send(
            dsn,
            parse_order,
            "x",
            release="web@1",
            environment="prod",
            tags={"browser": "Firefox", "region": "eu"},
            user="a",
            times=2,
        ),
    }


def read(server: Server, token: str, org: str, query: str | None = None, expect_events: int = 5) -> dict:
    """The project as GraphQL shows it, once the analytics projector has seen `expect_events`."""
    deadline = time.monotonic() + 20
    while True:
        result = server.graphql(PROJECT, {"org": org, "p": "web", "q": query}, token)
        assert "errors" not in result, result
        project = result["data"]["project"]
        issues = [e["node"] for e in project["issues"]["edges"]]
        stats_total = sum(b["count"] for i in issues for b in i["day"])
        if stats_total >= expect_events and sum(i["timesSeen"] for i in issues) >= expect_events:
            return project
        if time.monotonic() > deadline:
            raise AssertionError(f"analytics did not catch up: {project}\n{server.log()}")
        time.sleep(0.2)


def by_title(project: dict, prefix: str) -> dict:
    return next(e["node"] for e in project["issues"]["edges"] if e["node"]["title"].startswith(prefix))


def test_stats_facets_and_filtered_events(server: Server) -> None:
    boot = server.bootstrap("statsco", "web")
    sent = send_mix(boot["dsn"])
    project = read(server, boot["token"], "statsco")

    charge_issue, parse_issue = by_title(project, "PaymentDeclined"), by_title(project, "ValueError")
    assert len(charge_issue["day"]) == 24 and len(charge_issue["fortnight"]) == 14
    assert sum(b["count"] for b in charge_issue["day"]) == 3
    assert sum(b["count"] for b in parse_issue["fortnight"]) == 2
    assert sum(1 for b in charge_issue["day"] if b["count"]) <= 2  # the other buckets are there, with zero
    assert max(b["users"] for b in charge_issue["day"]) >= 2
    hours = [b["start"] for b in charge_issue["day"]]
    assert hours == sorted(hours) and all(h.endswith(":00:00+00:00") for h in hours)

    assert charge_issue["tagFacets"] == [
        {
            "key": "browser",
            "count": 3,
            "distinctValues": 2,
            "topValues": [{"value": "Firefox", "count": 2}, {"value": "Chrome", "count": 1}],
        }
    ]
    assert project["tagFacets"] == [
        {"key": "browser", "count": 5, "distinctValues": 2, "topValues": [{"value": "Firefox", "count": 4}]},
        {"key": "region", "count": 2, "distinctValues": 1, "topValues": [{"value": "eu", "count": 2}]},
    ]
    assert project["userCount"] == 3
    assert project["events"]["totalCount"] == 5
    accepted = {(o["category"], o["outcome"]): o["quantity"] for o in project["outcomes"]}
    assert accepted[("error", "accepted")] == 5

    def event_ids(query: str) -> set[str]:
        found = read(server, boot["token"], "statsco", query)["events"]
        assert found["totalCount"] == len(found["edges"])
        return {e["node"]["eventId"] for e in found["edges"]}

    assert event_ids("browser:Firefox release:web@1") == {
        *sent["charge-firefox-a"],
        *sent["charge-firefox-b"],
        *sent["parse"],
    }
    assert event_ids("environment:staging") == set(sent["charge-chrome"])
    assert event_ids("browser:Firefox region:eu") == set(sent["parse"])
    assert event_ids("browser:Safari") == set()
    # The issue search's syntax (it read `!browser:Firefox` as a tag named `!browser`).
    assert event_ids("!browser:Firefox") == set(sent["charge-chrome"])
    assert event_ids("browser:Fire* !region:eu") == {*sent["charge-firefox-a"], *sent["charge-firefox-b"]}
    bad = server.graphql(
        PROJECT, {"org": "statsco", "p": "web", "q": "level:error is:unresolved"}, boot["token"]
    )
    assert "'is:unresolved' filters issues, not events" in bad["errors"][0]["message"]
    bad = server.graphql(PROJECT, {"org": "statsco", "p": "web", "q": 'release:"web'}, boot["token"])
    assert "unterminated quote" in bad["errors"][0]["message"]


def test_another_organization_sees_nothing(server: Server) -> None:
    owner = server.bootstrap("ownerco", "web")
    rival = server.bootstrap("rivalco", "web")
    send(owner["dsn"], charge, 1, release="web@1", environment="prod", tags={"browser": "Firefox"}, user="a")
    issue_id = by_title(read(server, owner["token"], "ownerco", expect_events=1), "PaymentDeclined")["id"]

    assert server.graphql(PROJECT, {"org": "ownerco", "p": "web"}, rival["token"])["data"]["project"] is None
    leaked = server.graphql(
        "query ($id: ID!) { issue(id: $id) { stats(period: DAY_30) { count } } }",
        {"id": issue_id},
        rival["token"],
    )
    assert leaked["data"]["issue"] is None
    own = server.graphql(PROJECT, {"org": "rivalco", "p": "web"}, rival["token"])["data"]["project"]
    assert own["tagFacets"] == [] and own["events"]["totalCount"] == 0 and own["userCount"] == 0


@pytest.fixture(params=["embedded", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    with backend_settings(request.param) as env:
        yield env


def test_replays_and_reapplied_batches_do_not_double_counts(backend: dict[str, str], tmp_path) -> None:  # noqa: ANN001
    server = Server(tmp_path / "data", env=backend).start()
    try:
        boot = server.bootstrap("replayco", "web")
        send_mix(boot["dsn"])
        before = read(server, boot["token"], "replayco")
    finally:
        server.stop()
    database_url = (
        backend.get("STACKLINE_DATABASE_URL") or f"sqlite:///{tmp_path / 'data' / 'readmodels.sqlite3'}"
    )

    # As after a crash between the analytics insert and its checkpoint: the log is applied again
    # onto rows that are already there.
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        assert (
            conn.execute(
                delete(projector_checkpoints).where(projector_checkpoints.c.name == "analytics")
            ).rowcount
            == 1
        )
    engine.dispose()
    stackline(
        "replay", "--projection", "readmodels", "--quiet", "--data-dir", str(server.data_dir), env=backend
    )
    server.start()
    try:
        again = read(server, boot["token"], "replayco")
        time.sleep(1)  # any doubled rows would have landed by now
        assert read(server, boot["token"], "replayco") == before == again
    finally:
        server.stop()

    done = stackline(
        "replay", "--projection", "analytics", "--quiet", "--data-dir", str(server.data_dir), env=backend
    )
    assert "replayed" in done.stdout
    server.start()
    try:
        assert read(server, boot["token"], "replayco") == before
    finally:
        server.stop()


SCALED = """
query ($org: String!) {
  project(organizationSlug: $org, slug: "web") {
    id
    issues(first: 10) { edges { node { title timesSeen day: stats(period: HOUR_24) { count } } } }
    stats(period: DAY_14) { count }
    userCount
  }
}
"""


def test_an_api_process_apart_from_its_projectors_degrades_field_by_field(tmp_path) -> None:  # noqa: ANN001
    """The README's scale-out recipe without a ClickHouse server: `serve --no-projectors` beside
    `project run readmodels` on the embedded stores. Issues are served; each analytics field is
    null with an error saying what analytics needs (it nulled the whole project on one process
    and read zeros without a word on the other)."""
    data = tmp_path / "data"
    stackline("migrate", "--data-dir", str(data))
    projector = spawn(["project", "run", "readmodels", "--data-dir", str(data)], tmp_path / "projector.log")
    try:
        with Server(data, serve_args=("--no-projectors",)).start() as api:
            boot = api.bootstrap("scaleco", "web")
            with sentry_client(boot["dsn"]):
                try:
                    charge(7)
                except Exception:  # noqa: BLE001
                    sentry_sdk.capture_exception()
            deadline = time.monotonic() + 30
            while True:
                answer = api.graphql(SCALED, {"org": "scaleco"}, boot["token"])
                project = (answer.get("data") or {}).get("project")
                if project and project["issues"]["edges"]:
                    break
                assert time.monotonic() < deadline, (answer, api.log())
                time.sleep(0.2)
    finally:
        kill_group(projector)
    assert project["issues"]["edges"][0]["node"]["timesSeen"] == 1
    assert project["issues"]["edges"][0]["node"]["day"] is None
    assert project["stats"] is None and project["userCount"] is None
    paths = sorted(tuple(map(str, e["path"])) for e in answer["errors"])
    assert paths == [
        ("project", "issues", "edges", "0", "node", "day"),
        ("project", "stats"),
        ("project", "userCount"),
    ]
    for error in answer["errors"]:
        assert error["message"].startswith("analytics unavailable: an API process without projectors")
        assert "STACKLINE_CLICKHOUSE_URL" in error["message"]
