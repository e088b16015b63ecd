"""Retention through real processes: the real SDK posts to `stackline serve`, then
`stackline project run retention` deletes what is older than its max age while the issues keep
their counts, younger events stay, a replay rebuilds the same rows, and a run killed midway is
finished by the next one (docs/retention.md)."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sentry_sdk
from sentry_sdk import logger as sentry_logger
from sentry_sdk.crons import capture_checkin
from sqlalchemy import create_engine, select, text

from stackline.readmodels.db import sync_url
from stackline.readmodels.schema import events
from tests.e2e.conftest import backend_settings
from tests.e2e.server import Server, kill_group, sentry_client, spawn, stackline
from tests.e2e.test_lifecycle import Project, checkout_failure, inventory_failure, send
from tests.e2e.test_replay import dump

ISSUE_FIELDS = """id title status timesSeen userCount firstSeen lastSeen firstRelease lastRelease
  tags { key totalValues topValues { value count } }
  events(first: 20) { totalCount edges { node { eventId } } }"""
ISSUES = f"""query ($org: String!, $p: String!) {{ project(organizationSlug: $org, slug: $p) {{
  issues(first: 10) {{ edges {{ node {{ {ISSUE_FIELDS} }} }} }} }} }}"""
EVENT = """query ($p: String!, $e: String!) { project(organizationSlug: "acme", slug: $p) {
  event(eventId: $e) { eventId payload } } }"""
# Written by the job in another store (analytics), not derived from the log: replay cannot know it.
NOT_FROM_THE_LOG = {"compacted_occurrences": {"analytics_run"}}


def issues(project: Project) -> dict[str, dict]:
    found = project.query(ISSUES, {"org": "acme", "p": project.slug})["project"]["issues"]["edges"]
    return {edge["node"]["title"]: edge["node"] for edge in found}


def event_ids(issue: dict) -> set[str]:
    return {edge["node"]["eventId"] for edge in issue["events"]["edges"]}


def wait_counted(project: Project, seen: int, stored: int | None = None) -> dict[str, dict]:
    """The issues once they count `seen` events in all, `stored` of them still stored."""
    deadline = time.monotonic() + 30
    while True:
        found = issues(project)
        counted = sum(i["timesSeen"] for i in found.values())
        kept = sum(i["events"]["totalCount"] for i in found.values())
        if (counted, kept) == (seen, seen if stored is None else stored):
            return found
        assert time.monotonic() < deadline, (counted, kept, found)
        time.sleep(0.2)


def aggregates(found: dict[str, dict]) -> dict[str, tuple]:
    """What an issue shows that must survive retention."""
    return {
        title: (
            i["status"],
            i["timesSeen"],
            i["userCount"],
            i["firstSeen"],
            i["lastSeen"],
            i["firstRelease"],
            i["lastRelease"],
            sorted(
                (t["key"], t["totalValues"], sorted((v["value"], v["count"]) for v in t["topValues"]))
                for t in i["tags"]
            ),
        )
        for title, i in found.items()
    }


def in_event_store(server: Server, sqlite_sql: str, postgres_sql: str) -> list[tuple]:
    """Rows read from the event store's engine itself."""
    url = server.env.get("STACKLINE_EVENTSTORE_URL")
    if url is None:
        with sqlite3.connect(server.data_dir / "events.sqlite3") as conn:
            return conn.execute(sqlite_sql).fetchall()
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(postgres_sql))]
    finally:
        engine.dispose()


def log_types(server: Server) -> list[str]:
    sql = "SELECT type FROM events ORDER BY position"
    return [row[0] for row in in_event_store(server, sql, sql)]


def bodies(server: Server) -> int:
    return in_event_store(
        server, "SELECT count(*) FROM event_bodies", "SELECT count(*) FROM events WHERE body IS NOT NULL"
    )[0][0]


def retention(server: Server, max_age: str, *extra: str, now: float | None = None, **env: str) -> str:
    """One run of the job; `now` (unix seconds) is the instant its max age counts back from."""
    as_of = () if now is None else ("--now", datetime.fromtimestamp(now, UTC).isoformat())
    done = stackline(
        "project",
        "run",
        "retention",
        "--once",
        "--data-dir",
        str(server.data_dir),
        *as_of,
        *extra,
        env={**server.env, "STACKLINE_RETENTION_MAX_AGE": max_age, **env},
    )
    return done.stdout


def a_cutoff() -> float:
    """An instant after everything acked so far and before anything sent next (the server
    stamps events with this machine's clock; the margins cover float rounding)."""
    time.sleep(0.05)
    cutoff = time.time()
    time.sleep(0.05)
    return cutoff


def three_old_events_and_one_young(*projects: Project) -> float:
    """Into each project the same issue three times, then (after the returned cutoff) once more
    by another user; each project's issue then counts four events."""
    for project in projects:
        send(project.dsn, checkout_failure, 1, user={"id": "a"}, times=3)
    for project in projects:
        wait_counted(project, 3)
    cutoff = a_cutoff()
    for project in projects:
        send(project.dsn, checkout_failure, 1, user={"id": "b"})
        wait_counted(project, 4)
    return cutoff


def positions_by_issue(server: Server) -> dict[str, list[int]]:
    """The log positions of each issue's stored events, from the read models' `events` table."""
    engine = create_engine(sync_url(database_url(server)))
    try:
        with engine.connect() as conn:
            found: dict[str, list[int]] = {}
            for issue_id, position in conn.execute(
                select(events.c.issue_id, events.c.position).order_by(events.c.position)
            ):
                found.setdefault(issue_id, []).append(position)
            return found
    finally:
        engine.dispose()


def database_url(server: Server) -> str:
    return server.env.get("STACKLINE_DATABASE_URL") or f"sqlite:///{server.data_dir / 'readmodels.sqlite3'}"


def replay_equals_live(server: Server) -> None:
    """Stops `server`, replays its read models from the log and requires every table the log
    makes to equal, row for row, what the live server had built."""
    server.stop()
    live = dump(database_url(server))
    stackline("replay", "--quiet", "--data-dir", str(server.data_dir), env=server.env)
    rebuilt = dump(database_url(server))
    for table in live:
        if table not in NOT_FROM_THE_LOG:
            assert rebuilt[table] == live[table], f"table {table} differs after replay"


@pytest.fixture(params=["embedded", "postgres"])
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    with backend_settings(request.param) as env:
        server = Server(tmp_path / "data", env=env).start()
        try:
            yield server
        finally:
            server.stop()


def test_retention_deletes_old_events_and_the_issues_keep_their_counts(running: Server) -> None:
    server = running
    project = Project(server, "kept")
    send(project.dsn, checkout_failure, 1, release="r@1", user={"id": "a"}, tags={"region": "eu"}, times=3)
    send(project.dsn, inventory_failure, "sku", release="r@1", user={"email": "b@example.com"}, times=2)
    old = wait_counted(project, 5)
    old_ids = set().union(*(event_ids(i) for i in old.values()))
    cutoff = a_cutoff()  # the old events were acked before it, the young ones after
    send(project.dsn, checkout_failure, 2, release="r@2", user={"id": "c"}, tags={"region": "us"}, times=2)
    before = wait_counted(project, 7)
    young_ids = set().union(*(event_ids(i) for i in before.values())) - old_ids
    assert len(young_ids) == 2

    # As of 15 s after the cutoff, a max age of 15 s expires what was recorded before the cutoff.
    out = retention(server, "15s", now=cutoff + 15)
    assert "deleted 5 events" in out, out

    after = issues(project)
    assert aggregates(after) == aggregates(before)
    # The old events are gone everywhere the API looks; the young ones, acked within the max age, stay.
    assert set().union(*(event_ids(i) for i in after.values())) == young_ids
    for event_id in old_ids:
        assert project.query(EVENT, {"p": project.slug, "e": event_id})["project"]["event"] is None
    for event_id in young_ids:
        assert project.query(EVENT, {"p": project.slug, "e": event_id})["project"]["event"]["payload"]
    types = log_types(server)
    assert types.count("ErrorEventReceived") == 2 and types.count("OccurrencesCompacted") == 2
    assert bodies(server) == 2
    # New events still land on the issues, counted on top of what retention kept.
    send(project.dsn, inventory_failure, "sku", release="r@1", user={"email": "d@example.com"})
    wait_counted(project, 8, stored=3)
    # A run with nothing old enough deletes nothing: as of the clock, and as of a moment before
    # the young events' window ends.
    assert "deleted 0 events" in retention(server, "1h")
    assert "deleted 0 events" in retention(server, "15s", now=cutoff + 14.9)
    # One that finds everything old folds it into the snapshots already there.
    counted = wait_counted(project, 8, stored=3)
    # (All but the log's last event, which stays until a newer one comes: docs/retention.md.)
    assert "deleted 2 events into 1 snapshots" in retention(server, "1s", now=time.time() + 3600)
    assert aggregates(wait_counted(project, 8, stored=1)) == aggregates(counted)
    assert log_types(server).count("OccurrencesCompacted") == 2 and bodies(server) == 1

    replay_equals_live(server)


def test_a_run_killed_midway_leaves_a_store_the_next_run_finishes(running: Server, tmp_path: Path) -> None:
    server = running
    project = Project(server, "killed")
    send(project.dsn, checkout_failure, 1, user={"id": "a"}, tags={"region": "eu"}, times=20)
    send(project.dsn, inventory_failure, "sku", user={"id": "b"}, times=20)
    before = wait_counted(project, 40)
    later = datetime.fromtimestamp(time.time() + 3600, UTC).isoformat()  # as of then, all 40 are old
    # One event a batch, two batches folded per transaction of the log (the snapshot rewritten
    # from its fold across batches), so that the kill lands in the middle of the work.
    job = spawn(
        ["project", "run", "retention", "--once", "--now", later, "--data-dir", str(server.data_dir)],
        tmp_path / "retention.log",
        env={
            **server.env,
            "STACKLINE_RETENTION_MAX_AGE": "1s",
            "STACKLINE_RETENTION_BATCH": "1",
            "STACKLINE_RETENTION_TRANSACTION": "2",
        },
    )
    deadline = time.monotonic() + 60
    while (tmp_path / "retention.log").read_text().count("deleted so far") < 5:
        assert job.poll() is None, (tmp_path / "retention.log").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    kill_group(job, signal.SIGKILL, timeout=0)
    assert "into" not in (tmp_path / "retention.log").read_text()  # it did not finish

    # Whatever instant it died at, the issues count what they counted.
    assert aggregates(issues(project)) == aggregates(before)
    out = retention(server, "1s", now=time.time() + 3600)
    assert "deleted" in out and " 0 events" not in out, out
    # Left: the log's last event, and what a projector had not applied yet when the run began.
    left = log_types(server).count("ErrorEventReceived")
    assert left <= 2
    after = wait_counted(project, 40, stored=left)
    assert aggregates(after) == aggregates(before)

    replay_equals_live(server)


STATS = """query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) {
  tagFacets(keys: ["region"]) { count topValues { value count } }
  issues(first: 10) { edges { node { timesSeen events(first: 1) { totalCount }
  day: stats(period: HOUR_24) { count } tagFacets(keys: ["region"]) { count topValues { value count } }
  } } } } }"""


def test_serve_runs_the_job_and_it_deletes_the_analytics_rows_too(tmp_path: Path) -> None:
    env = {"STACKLINE_RETENTION_MAX_AGE": "3s", "STACKLINE_RETENTION_INTERVAL": "1s"}
    server = Server(tmp_path / "data", env=env).start()
    try:
        project = Project(server, "served")
        send(project.dsn, checkout_failure, 1, user={"id": "a"}, tags={"region": "eu"}, times=3)
        send(project.dsn, checkout_failure, 1, user={"id": "a"}, tags={"region": "us"}, times=2)
        deadline = time.monotonic() + 60
        while True:
            found = project.query(STATS, {"org": "acme", "p": "served"})["project"]
            (issue,) = [e["node"] for e in found["issues"]["edges"]]
            stored, charted = issue["events"]["totalCount"], sum(b["count"] for b in issue["day"])
            # The tag counts of the analytics store count what it still stores, project and issue.
            faceted = [sum(f["count"] for f in facets) for facets in (found["tagFacets"], issue["tagFacets"])]
            if issue["timesSeen"] == 5 and stored <= 1 and charted == stored and faceted == [stored, stored]:
                break
            assert time.monotonic() < deadline, (found, faceted)
            time.sleep(0.3)
        assert "retention deleted" in server.log()
        live = found
    finally:
        server.stop()
    # A replay rebuilds the analytics store (embedded chDB) with the same counts.
    stackline("replay", "--quiet", "--data-dir", str(server.data_dir), env=server.env)
    with server.start():
        assert project.query(STATS, {"org": "acme", "p": "served"})["project"] == live


def payment_failure(amount: int) -> None:
    raise ArithmeticError(f"rounding error at {amount}")


def test_a_project_over_its_cap_loses_its_oldest_events_but_no_issue_its_first_or_latest(
    running: Server,
) -> None:
    server = running
    project = Project(server, "capped")
    send(project.dsn, checkout_failure, 1, user={"id": "a"}, tags={"region": "eu"}, times=6)
    send(project.dsn, inventory_failure, "sku", user={"id": "b"}, times=3)
    send(project.dsn, payment_failure, 7, user={"id": "c"})
    before = wait_counted(project, 10)
    stored = positions_by_issue(server)

    # Two events a batch: each batch reads on from where the last stopped, past the issues'
    # first and latest events it keeps.
    out = retention(server, "90d", STACKLINE_RETENTION_MAX_EVENTS="5", STACKLINE_RETENTION_BATCH="2")
    assert "deleted 5 events" in out, out
    after = wait_counted(project, 10, stored=5)
    assert aggregates(after) == aggregates(before)
    kept = {title: event_ids(i) for title, i in after.items()}
    # Each issue keeps its first and latest: ArithmeticError has one event, the others two.
    assert [len(kept[t]) for t in sorted(kept)] == [1, 2, 2]
    assert positions_by_issue(server) == {i: sorted({p[0], p[-1]}) for i, p in stored.items()}
    assert "deleted 0 events" in retention(server, "90d", STACKLINE_RETENTION_MAX_EVENTS="5")

    replay_equals_live(server)


SETTINGS = """mutation ($input: UpdateProjectSettingsInput!) { updateProjectSettings(input: $input) {
  project { settings { retentionDays retentionMaxEvents } } userErrors { message field code } } }"""


def test_a_project_of_its_own_max_age_loses_its_old_events_and_no_other_project_does(
    running: Server,
) -> None:
    server = running
    short, default = Project(server, "short"), Project(server, "default")
    refused = short.query(
        SETTINGS, {"input": {"organizationSlug": "acme", "projectSlug": "short", "retentionMaxEvents": 0}}
    )["updateProjectSettings"]
    assert refused["userErrors"] and refused["project"] is None
    cutoff = three_old_events_and_one_young(short, default)
    days = 15 / 86400  # as of 15 s after the cutoff, the first three are older than that, the fourth not
    changed = short.query(
        SETTINGS, {"input": {"organizationSlug": "acme", "projectSlug": "short", "retentionDays": days}}
    )["updateProjectSettings"]
    assert changed["userErrors"] == [] and changed["project"]["settings"]["retentionDays"] == days

    assert "deleted 3 events" in retention(server, "90d", now=cutoff + 15)
    assert [i["userCount"] for i in wait_counted(short, 4, stored=1).values()] == [2]
    wait_counted(default, 4, stored=4)


ORG_SETTINGS = """mutation ($input: UpdateOrganizationSettingsInput!) {
  updateOrganizationSettings(input: $input) {
    organization { settings { retentionDays retentionMaxEvents } } userErrors { message } } }"""
HELD = """query ($p: String!) { organization(slug: "acme") { settings { retentionDays retentionMaxEvents } }
  project(organizationSlug: "acme", slug: $p) { settings { retentionDays retentionMaxEvents } } }"""


def retention_cli(server: Server, *flags: str) -> dict:
    done = stackline(
        "retention", "--org", "acme", *flags, "--json", "--data-dir", str(server.data_dir), env=server.env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_held(project: Project, organization: dict, own: dict) -> None:
    """Until the read models (what the job reads) show these settings."""
    deadline = time.monotonic() + 15
    while True:
        held = project.query(HELD, {"p": project.slug})
        if (held["organization"]["settings"], held["project"]["settings"]) == (organization, own):
            return
        assert time.monotonic() < deadline, held
        time.sleep(0.1)


def test_an_organizations_retention_applies_to_its_projects_without_their_own(running: Server) -> None:
    server = running
    inherits, own = Project(server, "inherits"), Project(server, "own")
    cutoff = three_old_events_and_one_young(inherits, own)
    days = 15 / 86400  # as of 15 s after the cutoff, each project's first three are older than that
    refused = inherits.query(ORG_SETTINGS, {"input": {"organizationSlug": "acme", "retentionDays": 0}})
    assert refused["updateOrganizationSettings"] == {
        "organization": None,
        "userErrors": [{"message": "retentionDays must be positive"}],
    }
    changed = inherits.query(ORG_SETTINGS, {"input": {"organizationSlug": "acme", "retentionDays": days}})
    assert changed["updateOrganizationSettings"] == {
        "organization": {"settings": {"retentionDays": days, "retentionMaxEvents": None}},
        "userErrors": [],
    }
    # A project's own setting (here through the CLI) comes before its organization's.
    assert retention_cli(server, "--project", "own", "--days", "1")["retention_days"] == 1
    wait_held(
        own,
        {"retentionDays": days, "retentionMaxEvents": None},
        {"retentionDays": 1, "retentionMaxEvents": None},
    )

    assert "deleted 3 events" in retention(server, "90d", now=cutoff + 15)
    assert [i["userCount"] for i in wait_counted(inherits, 4, stored=1).values()] == [2]
    wait_counted(own, 4, stored=4)

    # The organization's cap, set through the CLI: `own` keeps its issue's first and latest.
    held = retention_cli(server, "--clear-days", "--max-events", "2")
    assert (held["retention_days"], held["retention_max_events"]) == (None, 2)
    wait_held(
        own,
        {"retentionDays": None, "retentionMaxEvents": 2},
        {"retentionDays": 1, "retentionMaxEvents": None},
    )
    assert "deleted 2 events" in retention(server, "90d")
    wait_counted(own, 4, stored=2)
    wait_counted(inherits, 4, stored=1)


ITEMS = """query ($p: String!) { project(organizationSlug: "acme", slug: $p) {
  transactions(first: 10) { totalCount edges { node { name } } } attachmentCount
  usage(days: 2) { day category outcome quantity } } }"""


def items(project: Project, transactions: int, attachments: int) -> dict:
    deadline = time.monotonic() + 30
    while True:
        found = project.query(ITEMS, {"p": project.slug})["project"]
        if (found["transactions"]["totalCount"], found["attachmentCount"]) == (transactions, attachments):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.2)


def accepted(found: dict) -> dict[str, int]:
    """Accepted items by data category, from `items`' usage."""
    totals: dict[str, int] = {}
    for bucket in found["usage"]:
        if bucket["outcome"] == "accepted":
            totals[bucket["category"]] = totals.get(bucket["category"], 0) + bucket["quantity"]
    return totals


SESSIONS = """query ($p: String!) { project(organizationSlug: "acme", slug: $p) {
  sessions { release status quantity } } }"""


def sessions_of(project: Project) -> list[dict]:
    return sorted(project.query(SESSIONS, {"p": project.slug})["project"]["sessions"], key=str)


def send_items(dsn: str, name: str, log: bytes) -> None:
    """A transaction, a session, and an error event with a log file attached, by the real SDK."""
    with sentry_client(dsn, traces_sample_rate=1.0, release="items@1"):
        with sentry_sdk.start_transaction(name=name, op="http.server"):
            pass
        scope = sentry_sdk.get_isolation_scope()
        scope.start_session()
        scope.end_session()
        with sentry_sdk.new_scope() as scoped:
            scoped.add_attachment(bytes=log, filename="app.log", content_type="text/plain")
            sentry_sdk.capture_message(f"with the log of {name}")


def test_old_transactions_and_attachments_go_with_their_blobs_and_usage_still_counts_them(
    running: Server,
) -> None:
    server = running
    project = Project(server, "items")
    old_log, young_log = b"old log line\n", b"young log line\n"
    send_items(project.dsn, "GET /old", old_log)
    items(project, 1, 1)
    cutoff = a_cutoff()
    send_items(project.dsn, "GET /young", young_log)
    before = items(project, 2, 2)
    # The young session's envelope may still be on its way when its transaction is listed.
    deadline = time.monotonic() + 15
    while accepted(before) != {"attachment": 2, "error": 2, "session": 2, "transaction": 2}:
        assert time.monotonic() < deadline, before["usage"]
        time.sleep(0.2)
        before = items(project, 2, 2)
    sessions_before = sessions_of(project)
    assert sum(s["quantity"] for s in sessions_before) == 2
    blob = {
        log: server.data_dir / "blobs" / (d := hashlib.sha256(log).hexdigest())[:2] / d
        for log in (old_log, young_log)
    }
    assert blob[old_log].read_bytes() == old_log

    out = retention(server, "15s", now=cutoff + 15)
    assert "deleted 1 events" in out and "expired 3 other items" in out, out
    after = items(project, 1, 1)
    assert [e["node"]["name"] for e in after["transactions"]["edges"]] == ["GET /young"]
    assert not blob[old_log].exists() and blob[young_log].read_bytes() == young_log
    # Usage counts what was accepted, deleted or not.
    assert sorted(map(str, after["usage"])) == sorted(map(str, before["usage"]))
    assert "expired 0 other items" in retention(server, "15s", now=cutoff + 15)
    # Release health still counts the old session, from the snapshot.
    assert sessions_of(project) == sessions_before

    replay_equals_live(server)


EVERYTHING_ELSE = """query ($p: String!) { project(organizationSlug: "acme", slug: $p) {
  checkIns { checkInId status } monitors { slug status lastCheckIn lastCheckInStatus nextExpected }
  logs(first: 10) { edges { node { body } } } feedback { comments }
  usage(days: 2) { day category outcome reason quantity } } }"""


def everything_else(project: Project, predicate) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + 30
    while True:
        found = project.query(EVERYTHING_ELSE, {"p": project.slug})["project"]
        if predicate(found):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.2)


def user_report(dsn: str, comments: str) -> None:
    """A user report envelope item, as a browser SDK's feedback widget posts it."""
    key, rest = dsn.removeprefix("http://").split("@", 1)
    host, project_id = rest.rsplit("/", 1)
    report = {"event_id": uuid.uuid4().hex, "name": "Ada", "email": "ada@example.com", "comments": comments}
    response = httpx.post(
        f"http://{host}/api/{project_id}/envelope/",
        content=b'{}\n{"type":"user_report"}\n' + json.dumps(report).encode(),
        headers={"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}"},
    )
    assert response.status_code == 200, response.text


def send_everything_else(dsn: str, when: str, status: str) -> None:
    """By the real SDK: a cron check-in of `status` (started, then finished), an SDK log line,
    and an event its `before_send` drops (the SDK's client report counts it); then a user report."""
    with sentry_client(
        dsn,
        enable_logs=True,
        send_client_reports=True,
        before_send=lambda event, hint: None if event.get("message") == "drop me" else event,
    ):
        config = {"schedule": {"type": "crontab", "value": "0 * * * *"}, "checkin_margin": 5}
        started = capture_checkin(monitor_slug="nightly", status="in_progress", monitor_config=config)
        capture_checkin(monitor_slug="nightly", check_in_id=started, status=status, duration=1.5)
        sentry_logger.info(f"{when} log line")
        sentry_sdk.capture_message("drop me")
    user_report(dsn, f"{when} feedback")


def test_old_check_ins_logs_feedback_and_outcomes_go_and_monitors_and_usage_still_show_them(
    running: Server,
) -> None:
    server = running
    project = Project(server, "everything")
    send_everything_else(project.dsn, "old", "ok")
    everything_else(
        project,
        lambda p: (
            len(p["checkIns"]) == 1
            and p["checkIns"][0]["status"] == "ok"
            and len(p["logs"]["edges"]) == 1
            and len(p["feedback"]) == 1
            and any(u["outcome"] == "client_discard" for u in p["usage"])
        ),
    )
    cutoff = a_cutoff()
    send_everything_else(project.dsn, "young", "error")
    before = everything_else(
        project,
        lambda p: (
            len(p["checkIns"]) == 2
            and p["monitors"][0]["lastCheckInStatus"] == "error"
            and len(p["logs"]["edges"]) == 2
            and len(p["feedback"]) == 2
            and sum(u["quantity"] for u in p["usage"] if u["outcome"] == "client_discard") == 2
        ),
    )
    old_types = (
        "CheckInReceived",
        "MonitorConfigured",
        "LogsReceived",
        "FeedbackReceived",
        "ClientReportReceived",
    )
    stored = log_types(server)
    assert all(stored.count(t) >= 1 for t in old_types), stored

    out = retention(server, "15s", now=cutoff + 15)
    assert "expired 0 other items" not in out, out
    after = project.query(EVERYTHING_ELSE, {"p": project.slug})["project"]
    # The old items are gone from the read models ...
    assert [c["status"] for c in after["checkIns"]] == ["error"]
    assert [e["node"]["body"] for e in after["logs"]["edges"]] == ["young log line"]
    assert [f["comments"] for f in after["feedback"]] == ["young feedback"]
    # ... and from the log, payloads and all; what is left is the young half.
    stored = log_types(server)
    assert stored.count("CheckInReceived") == 2 and stored.count("LogsReceived") == 1, stored
    assert stored.count("FeedbackReceived") == 1 and stored.count("ClientReportReceived") <= 1, stored
    assert "ItemsExpired" in stored
    # The monitor still shows its last check-in and status, usage still counts everything.
    assert after["monitors"] == before["monitors"]
    assert sorted(map(str, after["usage"])) == sorted(map(str, before["usage"]))

    replay_equals_live(server)
