"""A token of one organization sees nothing of another; ingest keys only open their project."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
import websockets

from tests.e2e.server import Server, Subscriber, sentry_client
from tests.e2e.test_skeleton import capture, charge, wait_for_issues

PROJECT = "query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) { id dsn } }"


@pytest.fixture(scope="module")
def tenants(server: Server) -> dict:
    acme = server.bootstrap("acme", "web")
    globex = server.bootstrap("globex", "shop")
    with sentry_client(acme["dsn"]):
        capture(charge, 7)
    issue = wait_for_issues(server, acme["token"], count=1, events=1)[0]
    acme["issue_id"] = issue["id"]
    acme["event_id"] = issue["events"]["edges"][0]["node"]["eventId"]
    acme["project_id"] = server.graphql(PROJECT, {"org": "acme", "p": "web"}, acme["token"])["data"][
        "project"
    ]["id"]
    return {"acme": acme, "globex": globex}


def test_other_organizations_token_sees_nothing(server: Server, tenants: dict) -> None:
    acme, globex = tenants["acme"], tenants["globex"]
    foreign = globex["token"]
    assert server.graphql(PROJECT, {"org": "acme", "p": "web"}, foreign)["data"]["project"] is None
    assert (
        server.graphql('{ organization(slug: "acme") { id } }', token=foreign)["data"]["organization"] is None
    )
    for node_id in (acme["issue_id"], acme["project_id"]):
        assert (
            server.graphql("query ($id: ID!) { node(id: $id) { id } }", {"id": node_id}, foreign)["data"][
                "node"
            ]
            is None
        )
    assert (
        server.graphql("query ($id: ID!) { issue(id: $id) { id } }", {"id": acme["issue_id"]}, foreign)[
            "data"
        ]["issue"]
        is None
    )
    # The owner does see them, so the nulls above are about tenancy, not about wrong ids.
    mine = server.graphql(
        "query ($id: ID!) { node(id: $id) { id ... on Issue { title } } }",
        {"id": acme["issue_id"]},
        acme["token"],
    )
    assert mine["data"]["node"]["title"] == "PaymentDeclined: card declined for 7 EUR"


@pytest.mark.parametrize("token", [None, "slt_not-a-real-token"])
def test_without_a_valid_token_nothing_is_answered(server: Server, tenants: dict, token: str | None) -> None:
    result = server.graphql(PROJECT, {"org": "acme", "p": "web"}, token)
    assert (result["data"] or {}).get("project") is None
    assert result["errors"][0]["message"].startswith("authentication required")


async def test_subscription_to_another_organizations_project_is_refused(
    server: Server, tenants: dict
) -> None:
    query = "subscription ($p: ID!) { issueChanges(projectId: $p) { kind } }"
    async with Subscriber(
        server.url, tenants["globex"]["token"], query, {"p": tenants["acme"]["project_id"]}
    ) as live:
        errors = await live.wait_for_error()
    assert errors[0]["message"] == "project not found"


async def test_websocket_without_token_is_rejected(server: Server) -> None:
    async with websockets.connect(
        server.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403


def _envelope(event: dict) -> bytes:
    return b"\n".join(
        [
            json.dumps({"event_id": event["event_id"]}).encode(),
            b'{"type":"event"}',
            json.dumps(event).encode(),
        ]
    )


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no auth", 401),
        ("unknown key", 403),
        ("other project's key", 403),
        ("bad envelope", 400),
        ("length beyond body", 400),
        ("event not json", 400),
        ("bad gzip", 400),
        ("not a project id", 400),
    ],
)
def test_bad_ingest_requests_get_a_4xx_and_store_nothing(
    server: Server, tenants: dict, case: str, status: int
) -> None:
    acme_key, acme_project = (
        tenants["acme"]["dsn"].split("//")[1].split("@")[0],
        tenants["acme"]["dsn"].rsplit("/", 1)[1],
    )
    globex_key = tenants["globex"]["dsn"].split("//")[1].split("@")[0]
    event = {"event_id": "a" * 32, "message": "should never be stored"}
    body, headers, project = (
        _envelope(event),
        {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={acme_key}"},
        acme_project,
    )
    match case:
        case "no auth":
            headers = {}
        case "unknown key":
            headers = {
                "X-Sentry-Auth": "Sentry sentry_version=7, sentry_key=0123456789abcdef0123456789abcdef"
            }
        case "other project's key":
            headers = {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={globex_key}"}
        case "bad envelope":
            body = b"{not json\n{}\n"
        case "length beyond body":
            body = b'{}\n{"type":"event","length":9999}\n{}'
        case "event not json":
            body = b'{}\n{"type":"event"}\nnot json at all'
        case "bad gzip":
            headers["Content-Encoding"] = "gzip"
            body = gzip.compress(body)[:20]
        case "not a project id":
            project = "web"
    stored = server.stored_events()
    response = httpx.post(f"{server.url}/api/{project}/envelope/", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str) and "\n" not in response.json()["detail"]
    assert server.stored_events() == stored
