"""The search's SQL against a plain-Python reading of the same terms, on SQLite and PostgreSQL.

The read model is built by the real projectors from domain events (errors with levels, tags,
releases, environments, culprits; resolutions, ignores, assignments), in two organizations.
Hypothesis then writes random searches; `issues_page` and `issue_count` must return exactly
the issues of the searched project that the Python reading selects, in the sort's order.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.domain.error_event import ErrorEventReceived, error_event_received
from stackline.domain.events import OrganizationCreated, ProjectCreated
from stackline.domain.issue import IssueAssigned, IssueIgnored, IssueResolved, stream_name
from stackline.domain.search import (
    Assigned,
    HasTag,
    Level,
    Status,
    Substatus,
    TagValue,
    Term,
    Text,
    parse_query,
)
from stackline.eventstore import RecordedEvent
from stackline.projections.issues import IssuesProjection
from stackline.projections.projects import ProjectsProjection
from stackline.projections.runner import Effects
from stackline.readmodels import queries
from stackline.readmodels.db import create_engine, migrate
from stackline.readmodels.schema import issue_tags, issues
from tests import postgres

ORG, OTHER_ORG = "org-search", "org-other"
PROJECT, OTHER_PROJECT = 11, 12
# (message, culprit, level, tags, release, environment) per event; issues group by message.
EVENTS = [
    (
        "Disk almost full",
        "app.disk in check",
        "warning",
        {"browser": "Firefox", "region": "eu"},
        "1.0",
        "production",
    ),
    ("Disk almost full", "app.disk in check", "error", {"browser": "Chrome"}, "1.1", "staging"),
    ("Payment gateway timeout", None, "error", {"browser": "Mobile Safari"}, "1.1", "production"),
    ("Card declined 100%", "app.pay in charge_card", "fatal", {"region": "us"}, "2.0", "prod-eu"),
    ("Cache warmed", None, "info", {}, "1.0", "production"),
    ("Cache warmed", None, "info", {"browser": "firefox"}, "2.0", "staging"),
    ("Handler crashed", "app.web in handler", "error", {"flow": "checkout with coupon"}, "1.0", "production"),
    (
        "Queue backlog",
        "app.jobs in drain",
        "warning",
        {"region": "eu", "browser": "Firefox"},
        "1.1",
        "staging",
    ),
    ("Login failed_twice", "app.auth in login", "error", {}, None, None),
]
# What happens to issues afterwards, by message.
RESOLVED, IGNORED = {"Payment gateway timeout", "Queue backlog"}, {"Cache warmed"}
ASSIGNED = {"Disk almost full": "dana@example.com", "Queue backlog": "lee@example.com"}


class Log:
    """Domain events as the store would hand them to projectors."""

    def __init__(self) -> None:
        self.position = 0
        self.versions: dict[str, int] = {}

    def record(self, stream: str, event: Any) -> RecordedEvent:  # noqa: ANN401 - any domain event
        self.position += 1
        self.versions[stream] = version = self.versions.get(stream, -1) + 1
        return RecordedEvent(
            id=uuid.uuid4(),
            stream=stream,
            version=version,
            position=self.position,
            type=type(event).__name__,
            schema_version=event.schema_version,
            data=event.to_data(),
            metadata={},
            recorded_at=datetime.now(UTC),
        )


def error_event(org: str, project: int, n: int, spec: tuple) -> ErrorEventReceived:
    message, culprit, level, tags, release, environment = spec
    payload: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "message": message,
        "level": level,
        "tags": tags,
        "timestamp": 1_700_000_000 + n * 60,
        "fingerprint": [message],
        "platform": "python",
    }
    if culprit:
        payload["culprit"] = culprit
    if release:
        payload["release"] = release
    if environment:
        payload["environment"] = environment
    return error_event_received(org, project, payload["event_id"], 1_700_000_000.0 + n * 60, payload)


async def build(engine: AsyncEngine) -> None:
    log = Log()
    setup = [
        log.record(f"organization-{org}", e)
        for org, e in (
            (ORG, OrganizationCreated(ORG, "search", "Search")),
            (OTHER_ORG, OrganizationCreated(OTHER_ORG, "other", "Other")),
            (ORG, ProjectCreated(ORG, PROJECT, "web", "Web")),
            (OTHER_ORG, ProjectCreated(OTHER_ORG, OTHER_PROJECT, "web", "Web")),
        )
    ]
    errors = [
        log.record(f"ingest-{project}", error_event(org, project, n, spec))
        for org, project in ((ORG, PROJECT), (OTHER_ORG, OTHER_PROJECT))
        for n, spec in enumerate(EVENTS)
    ]
    async with engine.begin() as conn:
        await ProjectsProjection().apply_batch(conn, setup, Effects())
        projection = IssuesProjection()
        await projection.apply_batch(conn, errors, Effects())
        await projection.flush(conn)
        changes = []
        for issue_id, title in await conn.execute(select(issues.c.id, issues.c.title)):
            if title in RESOLVED:
                changes.append(log.record(stream_name(issue_id), IssueResolved(issue_id, "ops@example.com")))
            if title in IGNORED:
                changes.append(log.record(stream_name(issue_id), IssueIgnored(issue_id, "ops@example.com")))
            if title in ASSIGNED:
                changes.append(
                    log.record(stream_name(issue_id), IssueAssigned(issue_id, None, ASSIGNED[title]))
                )
        await projection.apply_batch(conn, changes, Effects())
        await projection.flush(conn)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A loop, an engine on the built read model, and the searched project's issues with tags."""
    if request.param == "sqlite":
        url, database = f"sqlite:///{tmp_path_factory.mktemp('search') / 'readmodels.sqlite3'}", None
    else:
        database = postgres.run_sync(postgres.create_database())
        url = postgres.url_for(database)
    migrate(url)
    loop = asyncio.new_event_loop()
    engine = create_engine(url)
    try:
        loop.run_until_complete(build(engine))

        async def rows() -> list[dict]:
            async with engine.connect() as conn:
                found = [
                    dict(r._mapping)
                    for r in await conn.execute(select(issues).where(issues.c.project_id == PROJECT))
                ]
                tags = list(
                    await conn.execute(select(issue_tags.c.issue_id, issue_tags.c.key, issue_tags.c.value))
                )
            for row in found:
                row["tags"] = {(k, v) for i, k, v in tags if i == row["id"]}
            return found

        project_issues = loop.run_until_complete(rows())
        assert len(project_issues) == 7 and {r["status"] for r in project_issues} == {
            "unresolved",
            "resolved",
            "ignored",
        }
        yield loop, engine, project_issues
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
        if database:
            postgres.run_sync(postgres.drop_database(database))


def matches(term: Term, row: dict) -> bool:
    """What each term means, read plainly (docs/search.md)."""
    match term:
        case Status(status=status):
            hit = row["status"] == status
        case Substatus(substatus=substatus):
            hit = row["status"] == "unresolved" and row["substatus"] == substatus
        case Assigned(email=None):
            hit = row["assignee"] is not None
        case Assigned(email=email):
            hit = row["assignee"] is not None and row["assignee"].lower() == email.lower()
        case Level(level=level):
            hit = row["level"] == level
        case HasTag(key=key):
            hit = any(k == key for k, _ in row["tags"])
        case TagValue(key=key, value=value) if "*" in value:
            pattern = re.compile(".*".join(map(re.escape, value.split("*"))), re.IGNORECASE | re.DOTALL)
            hit = any(k == key and pattern.fullmatch(v) for k, v in row["tags"])
        case TagValue(key=key, value=value):
            hit = (key, value) in row["tags"]
        case Text(text=text):
            hit = text.lower() in row["title"].lower() or text.lower() in (row["culprit"] or "").lower()
    return hit != term.negated


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


FILTERS = st.one_of(
    st.sampled_from(
        [
            "is:unresolved",
            "is:resolved",
            "is:ignored",
            "is:archived",
            "is:new",
            "is:assigned",
            "is:unassigned",
            "level:error",
            "level:warning",
            "level:info",
            "level:fatal",
            "release:1.0",
            "release:1.1",
            "release:2.0",
            "release:1.*",
            "environment:production",
            "environment:staging",
            "environment:prod*",
            "browser:Firefox",
            "browser:firefox",
            "browser:*safari",
            "browser:*",
            "region:eu",
            "region:us",
            "has:browser",
            "has:region",
            "has:flow",
            "has:nothing",
            "assigned:dana@example.com",
            "assigned:DANA@example.com",
            "assigned:nobody@example.com",
            'browser:"Mobile Safari"',
            'flow:"checkout with coupon"',
            'message:"almost full"',
            "message:timeout",
        ]
    ),
    st.tuples(
        st.sampled_from(
            [
                "disk",
                "DISK",
                "full",
                "timeout",
                "100%",
                "%",
                "_",
                "failed_twice",
                "card_declined",
                "handler",
                "app.",
                "charge",
                "coupon",
                "gateway timeout",
                "almost disk",
            ]
        ),
        st.booleans(),
    ).map(lambda pair: quoted(pair[0]) if pair[1] or " " in pair[0] else pair[0]),
)
QUERIES = st.lists(st.tuples(FILTERS, st.booleans()), max_size=4).map(
    lambda terms: " ".join(
        "!" + t if negate and ":" in t and not t.startswith('"') else t for t, negate in terms
    )
)
SORT_KEYS = {
    "LAST_SEEN": "last_seen",
    "FIRST_SEEN": "first_seen",
    "FREQ": "times_seen",
    "USERS": "user_count",
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, sort=st.sampled_from(sorted(SORT_KEYS)))
def test_search_selects_what_the_terms_say(store: tuple, query: str, sort: str) -> None:
    loop, engine, project_issues = store
    terms = parse_query(query)

    async def run() -> tuple[list, int, list]:
        async with engine.connect() as conn:
            page = await queries.issues_page(
                conn, ORG, PROJECT, sort=sort, first=100, after=None, search=terms
            )
            count = await queries.issue_count(conn, ORG, PROJECT, terms)
            other = await queries.issues_page(
                conn, OTHER_ORG, PROJECT, sort=sort, first=100, after=None, search=terms
            )
        return page, count, other

    page, count, other = loop.run_until_complete(run())
    expected = [r for r in project_issues if all(matches(t, r) for t in terms)]
    expected.sort(key=lambda r: (r[SORT_KEYS[sort]], r["id"]), reverse=True)
    assert [r.id for r in page] == [r["id"] for r in expected], query
    assert count == len(expected)
    assert other == []  # the searched project, asked for by another organization


def test_keyset_pages_of_one_issue_walk_everything(store: tuple) -> None:
    loop, engine, project_issues = store

    async def walk(sort: str) -> list[str]:
        seen: list[str] = []
        after = None
        async with engine.connect() as conn:
            while rows := await queries.issues_page(conn, ORG, PROJECT, sort=sort, first=1, after=after):
                seen.append(rows[0].id)
                after = (getattr(rows[0], SORT_KEYS[sort]), rows[0].id)
        return seen

    for sort, key in SORT_KEYS.items():
        expected = sorted(project_issues, key=lambda r: (r[key], r["id"]), reverse=True)
        assert loop.run_until_complete(walk(sort)) == [r["id"] for r in expected], sort
