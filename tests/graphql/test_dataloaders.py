"""Listing issues with their relations costs a constant number of SQL statements: each relation
is loaded once per request by a DataLoader, whatever the number of issues (no N+1)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event

from stackline.app.lookups import Viewer
from stackline.app.settings import Settings
from stackline.app.wiring import Services, open_services
from stackline.domain.error_event import error_event_received
from stackline.graphql.context import Context
from stackline.graphql.schema import schema

LIST = """query ($first: Int!) { project(organizationSlug: "acme", slug: "web") {
  issues(first: $first) { totalCount edges { node {
    id title project { slug name dsn settings { scrubData } organization { slug } }
    assignee assignedTo { email role }
    tags { key totalValues topValues { value count } }
    activity { kind actor }
  } } } } }"""


@pytest.fixture
async def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Services]:
    for name in ("STACKLINE_EVENTSTORE_URL", "STACKLINE_DATABASE_URL", "STACKLINE_NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    opened = await open_services(Settings.load(tmp_path / "data", "http://localhost:9000"))
    opened.start_projectors()
    try:
        yield opened
    finally:
        await opened.close()


async def run(
    services: Services, query: str, variables: dict, token: str, viewer: Viewer | None = None
) -> dict:
    """`viewer`, when given, is the token's lookup made beforehand: a count of the query's own
    statements must not depend on whether the token cache (2 s) ran out in between."""
    context = Context(
        services=services,
        request=None,
        response=None,  # type: ignore[arg-type]
        viewer=viewer or await services.lookups.viewer(token),
        token=token,
    )
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert not result.errors, result.errors
    return result.data  # type: ignore[return-value]


async def test_issue_list_with_relations_costs_the_same_statements_for_5_and_25_issues(
    services: Services,
) -> None:
    commands = services.commands
    await commands.ensure_organization("acme")
    project = await commands.ensure_project("acme", "web")
    token = (await commands.issue_token("acme", "test")).token
    await commands.add_member("acme", "dana@example.com", "member")
    org_id = (await commands.load_organization("acme"))[0].id
    now = time.time()
    for n in range(25):
        payload = {
            "event_id": uuid.uuid4().hex,
            "message": f"distinct failure number {n} in module m{n}",
            "level": "error",
            "platform": "python",
            "timestamp": now - n,
            "tags": [["browser", f"b{n % 3}"], ["os", "linux"]],
        }
        await commands.receive_intake(
            project.project_id,
            [
                (
                    uuid.uuid4(),
                    error_event_received(org_id, project.project_id, payload["event_id"], now - n, payload),
                )
            ],
        )  # type: ignore[arg-type]
    await services.projector.wait_for(await services.store.head_position(), 10.0)
    listed = await run(services, LIST, {"first": 25}, token)
    issues = [edge["node"] for edge in listed["project"]["issues"]["edges"]]
    assert len(issues) == 25
    assign = (
        "mutation ($id: ID!, $v: Int!) { updateIssue(input: {id: $id, expectedVersion: $v, "
        'assignee: "dana@example.com"}) { userErrors { message } } }'
    )
    for issue in issues[:3]:
        version = await run(
            services, "query ($id: ID!) { issue(id: $id) { version } }", {"id": issue["id"]}, token
        )
        done = await run(services, assign, {"id": issue["id"], "v": version["issue"]["version"]}, token)
        assert done["updateIssue"]["userErrors"] == []

    statements: list[str] = []

    # The services' own loops poll on their own; every one of them, whatever the wiring starts.
    background = {task.get_name() for task in services._tasks + services._serving_tasks}  # noqa: SLF001
    assert "projector" in background

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        task = asyncio.current_task()
        if task is None or task.get_name() not in background:  # the services' own loops poll on their own
            statements.append(statement)

    viewer = await services.lookups.viewer(token)
    event.listen(services.engine.sync_engine, "before_cursor_execute", count)
    try:
        per_size = {}
        for size in (5, 25):
            statements.clear()
            data = await run(services, LIST, {"first": size}, token, viewer)
            per_size[size] = len(statements)
            nodes = [edge["node"] for edge in data["project"]["issues"]["edges"]]
            assert len(nodes) == size
            assert all(node["project"]["slug"] == "web" and node["tags"] for node in nodes)
            assert all(node["project"]["organization"]["slug"] == "acme" for node in nodes)
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", count)
    assigned = [n for n in nodes if n["assignedTo"]]
    assert {n["assignedTo"]["email"] for n in assigned} == {"dana@example.com"} and len(assigned) == 3
    # project + the page + its count + project keys + organization + tags + members + activity
    assert per_size[5] == per_size[25], per_size
    assert per_size[25] <= 10, statements
    print(f"statements for 5 and 25 issues: {per_size}")


SPARKLINES = """query ($first: Int!) { project(organizationSlug: "acme", slug: "web") {
  issues(first: $first) { edges { node { id timesSeen stats(period: HOUR_24) { count } } } } } }"""


async def test_an_issue_lists_sparklines_cost_one_analytics_query_for_5_and_25_issues(
    services: Services,
) -> None:
    commands = services.commands
    await commands.ensure_organization("acme")
    project = await commands.ensure_project("acme", "web")
    token = (await commands.issue_token("acme", "test")).token
    org_id = (await commands.load_organization("acme"))[0].id
    now = time.time()
    for n in range(25):
        for repeat in range(1 + n % 3):  # 1 to 3 events per issue
            payload = {
                "event_id": uuid.uuid4().hex,
                "message": f"distinct failure number {n} in module m{n}",
                "level": "error",
                "platform": "python",
                "timestamp": now - n - repeat,
            }
            await commands.receive_intake(
                project.project_id,
                [
                    (
                        uuid.uuid4(),
                        error_event_received(
                            org_id, project.project_id, payload["event_id"], now - n - repeat, payload
                        ),
                    )
                ],
            )  # type: ignore[arg-type]
    head = await services.store.head_position()
    assert services.analytics_projector is not None
    await services.projector.wait_for(head, 10.0)
    await services.analytics_projector.wait_for(head, 10.0)

    executor = services.require_analytics()
    queries: list[str] = []
    original = executor.query

    async def counting(sql: str, parameters: dict | None = None) -> list:
        queries.append(sql)
        return await original(sql, parameters)

    executor.query = counting  # type: ignore[method-assign]
    try:
        per_size = {}
        for size in (5, 25):
            queries.clear()
            data = await run(services, SPARKLINES, {"first": size}, token)
            per_size[size] = len(queries)
            nodes = [edge["node"] for edge in data["project"]["issues"]["edges"]]
            assert len(nodes) == size
            assert all(
                sum(bucket["count"] for bucket in node["stats"]) == node["timesSeen"] for node in nodes
            )
    finally:
        executor.query = original  # type: ignore[method-assign]
    assert per_size == {5: 1, 25: 1}, per_size
