"""Signed webhooks from a real server to a real HTTP receiver, fed by a real sentry-sdk: the
signature verifies with the secret shown once, failed deliveries are retried under the same
delivery id, final answers end them, and the delivery log tells what happened."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import BACKENDS, backend_settings
from tests.e2e.receivers import WEBHOOK_ENV, Receiver
from tests.e2e.server import Server, kill_group, sentry_client, spawn, stackline
from tests.e2e.test_skeleton import capture

PROJECT = "query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) { id } }"
CREATE = """
mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events isActive } userErrors { message field } }
}
"""
UPDATE = """
mutation ($input: UpdateWebhookInput!) {
  updateWebhook(input: $input) { secret webhook { id url events isActive } userErrors { message field } }
}
"""
DELETE = """
mutation ($input: DeleteWebhookInput!) {
  deleteWebhook(input: $input) { deletedWebhookId userErrors { message field } }
}
"""
DELIVERIES = """
query ($id: ID!) {
  node(id: $id) {
    ... on Webhook {
      url
      deliveries(first: 10) {
        totalCount
        edges { node { deliveryId event issueId status attempts responseStatusCode lastError lastAttemptAt
                       finishedAt payload } }
      }
    }
  }
}
"""
PAGE = """
query ($id: ID!, $after: String) {
  node(id: $id) {
    ... on Webhook {
      deliveries(first: 1, after: $after) { edges { node { event } } pageInfo { hasNextPage endCursor } }
    }
  }
}
"""
WEBHOOKS = """
query ($org: String!, $p: String!) {
  project(organizationSlug: $org, slug: $p) { webhooks { id url events } }
}
"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    with backend_settings(request.param) as env:
        running = Server(tmp_path_factory.mktemp("stackline") / "data", env={**env, **WEBHOOK_ENV}).start()
        try:
            yield running
        finally:
            running.stop()


def wait_until(check: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def setup_project(server: Server, org: str) -> dict:
    boot = server.bootstrap(org, "web")
    boot["project_id"] = wait_until(
        lambda: (
            server.graphql(PROJECT, {"org": org, "p": "web"}, boot["token"])["data"]["project"] or {}
        ).get("id"),
        what="the project",
    )
    return boot


def create_webhook(server: Server, boot: dict, url: str, events: list[str]) -> dict:
    answer = server.graphql(
        CREATE,
        {
            "input": {
                "projectId": boot["project_id"],
                "url": url,
                "events": events,
                "description": "test receiver",
            }
        },
        boot["token"],
    )
    payload = answer["data"]["createWebhook"]
    assert payload["userErrors"] == [], payload
    return payload


def deliveries(server: Server, token: str, webhook_id: str) -> list[dict]:
    node = server.graphql(DELIVERIES, {"id": webhook_id}, token)["data"]["node"]
    return [edge["node"] for edge in node["deliveries"]["edges"]]


class CheckoutFailed(Exception):
    pass


def checkout(cart: str) -> None:
    raise CheckoutFailed(f"cart {cart} could not be paid")


class RefundFailed(Exception):
    pass


def refund(order: str) -> None:
    raise RefundFailed(f"order {order} could not be refunded")


def test_a_new_issue_reaches_the_receiver_signed_with_the_secret(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "hookco")
    created = create_webhook(server, boot, f"{receiver.url}/hooks", ["CREATED", "REGRESSED"])
    secret, webhook = created["secret"], created["webhook"]
    assert secret and webhook["isActive"] and webhook["events"] == ["CREATED", "REGRESSED"]
    everything = create_webhook(server, boot, f"{receiver.url}/all", ["CREATED", "UPDATED"])["webhook"]
    listed = server.graphql(WEBHOOKS, {"org": "hookco", "p": "web"}, boot["token"])["data"]["project"][
        "webhooks"
    ]
    assert [w["id"] for w in listed] == [webhook["id"], everything["id"]]

    with sentry_client(boot["dsn"]):
        event_id = capture(checkout, "A-17")
    request = wait_until(lambda: receiver.at("/hooks"), what="the webhook POST")[0]

    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-stackline-signature"], expected)
    assert request.headers["x-stackline-event"] == "CREATED"
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["x-stackline-timestamp"]) - time.time()) < 60
    body = json.loads(request.body)
    assert body["id"] == request.headers["x-stackline-delivery"]
    assert body["event"] == "CREATED"
    assert body["issue"]["title"] == "CheckoutFailed: cart A-17 could not be paid"
    assert body["issue"]["status"] == "UNRESOLVED"
    assert body["project"] == {
        "id": boot["project_id"],
        "numericId": body["project"]["numericId"],
        "slug": "web",
    }
    assert body["organization"]["slug"] == "hookco"
    # The issue id in the body is the API's: a receiver can ask for more.
    issue = server.graphql(
        "query ($id: ID!) { issue(id: $id) { events(first: 1) { edges { node { eventId } } } } }",
        {"id": body["issue"]["id"]},
        boot["token"],
    )["data"]["issue"]
    assert issue["events"]["edges"][0]["node"]["eventId"] == event_id.replace("-", "")

    log = wait_until(
        lambda: [d for d in deliveries(server, boot["token"], webhook["id"]) if d["status"] == "SUCCEEDED"],
        what="the delivery log to show success",
    )
    assert len(log) == 1
    assert (
        log[0]["deliveryId"] == body["id"] and log[0]["attempts"] == 1 and log[0]["responseStatusCode"] == 200
    )
    assert (
        log[0]["event"] == "CREATED"
        and log[0]["issueId"] == body["issue"]["id"]
        and log[0]["lastError"] is None
    )
    assert json.loads(request.body) == log[0]["payload"]
    # A second event on the same issue is an UPDATED, which this webhook did not ask for.
    with sentry_client(boot["dsn"]):
        capture(checkout, "A-17")
    both = wait_until(
        lambda: len(receiver.at("/all")) >= 2 and receiver.at("/all"), what="CREATED, then UPDATED"
    )
    assert [json.loads(r.body)["event"] for r in both] == ["CREATED", "UPDATED"]
    assert json.loads(both[1].body)["issue"]["timesSeen"] == 2
    assert json.loads(both[0].body)["position"] < json.loads(both[1].body)["position"]
    time.sleep(1.0)
    assert len(receiver.at("/hooks")) == 1
    assert len(receiver.at("/all")) == 2

    # The delivery log pages, newest change first.
    first = server.graphql(PAGE, {"id": everything["id"], "after": None}, boot["token"])["data"]["node"][
        "deliveries"
    ]
    assert [e["node"]["event"] for e in first["edges"]] == ["UPDATED"] and first["pageInfo"]["hasNextPage"]
    second = server.graphql(
        PAGE, {"id": everything["id"], "after": first["pageInfo"]["endCursor"]}, boot["token"]
    )["data"]["node"]["deliveries"]
    assert [e["node"]["event"] for e in second["edges"]] == ["CREATED"] and not second["pageInfo"][
        "hasNextPage"
    ]


RESOLVE = (
    "mutation ($id: ID!, $v: Int!) { updateIssue(input: {id: $id, expectedVersion: $v, status: RESOLVED}) "
    "{ issue { status version } userErrors { message code } } }"
)


def test_the_version_in_a_payload_is_what_expected_version_needs(server: Server, receiver: Receiver) -> None:
    """A receiver resolves the issue a CREATED delivery announced, with the body's version: no
    CONFLICT (it said -1, the version before the issue's stream existed)."""
    boot = setup_project(server, "versionco")
    create_webhook(server, boot, f"{receiver.url}/versions", ["CREATED", "RESOLVED"])
    with sentry_client(boot["dsn"]):
        capture(checkout, "V-1")
    created = json.loads(wait_until(lambda: receiver.at("/versions"), what="the CREATED POST")[0].body)
    assert created["event"] == "CREATED" and created["issue"]["version"] == 0

    def resolve() -> dict | None:
        answer = server.graphql(
            RESOLVE, {"id": created["issue"]["id"], "v": created["issue"]["version"]}, boot["token"]
        )
        payload = answer["data"]["updateIssue"]
        if any("still being created" in e["message"] for e in payload["userErrors"]):
            return None  # the issue's stream is appended a moment after the issue appears
        return payload

    resolved = wait_until(resolve, what="the issue's stream")
    assert resolved["userErrors"] == [] and resolved["issue"]["status"] == "RESOLVED"
    announced = wait_until(lambda: receiver.at("/versions")[1:], what="the RESOLVED POST")[0]
    body = json.loads(announced.body)
    assert body["event"] == "RESOLVED" and body["issue"]["version"] == resolved["issue"]["version"] == 1


def test_a_failing_receiver_gets_the_same_delivery_again_until_it_succeeds(
    server: Server, receiver: Receiver
) -> None:
    boot = setup_project(server, "flakyco")
    receiver.scripts["/flaky"] = [500, 500, 200]
    webhook = create_webhook(server, boot, f"{receiver.url}/flaky", ["CREATED"])["webhook"]
    with sentry_client(boot["dsn"]):
        capture(checkout, "B-2")

    wait_until(lambda: len(receiver.at("/flaky")) >= 3, what="three attempts")
    attempts = receiver.at("/flaky")
    assert len({a.headers["x-stackline-delivery"] for a in attempts}) == 1  # receivers can dedupe
    assert len({a.body for a in attempts}) == 1
    log = wait_until(
        lambda: [d for d in deliveries(server, boot["token"], webhook["id"]) if d["status"] == "SUCCEEDED"],
        what="success after retries",
    )
    assert log[0]["attempts"] == 3 and log[0]["responseStatusCode"] == 200
    assert log[0]["deliveryId"] == attempts[0].headers["x-stackline-delivery"]
    time.sleep(1.0)
    assert len(receiver.at("/flaky")) == 3  # nothing more once it succeeded


def test_a_gone_receiver_fails_the_delivery_without_retries(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "goneco")
    receiver.scripts["/gone"] = [410]
    webhook = create_webhook(server, boot, f"{receiver.url}/gone", ["CREATED"])["webhook"]
    with sentry_client(boot["dsn"]):
        capture(checkout, "C-3")
    log = wait_until(
        lambda: [d for d in deliveries(server, boot["token"], webhook["id"]) if d["status"] == "FAILED"],
        what="the delivery to fail",
    )
    assert (
        log[0]["attempts"] == 1
        and log[0]["responseStatusCode"] == 410
        and log[0]["lastError"].startswith("HTTP 410")
    )
    assert log[0]["finishedAt"] is not None
    time.sleep(1.5)  # longer than the longest backoff in this module
    assert len(receiver.at("/gone")) == 1


def test_an_unreachable_receiver_does_not_hold_up_another_webhook(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "pairco")
    dead = create_webhook(server, boot, "http://127.0.0.1:9/unreachable", ["CREATED"])["webhook"]
    alive = create_webhook(server, boot, f"{receiver.url}/alive", ["CREATED"])["webhook"]
    with sentry_client(boot["dsn"]):
        capture(checkout, "D-4")
    wait_until(lambda: receiver.at("/alive"), what="the healthy webhook's delivery")
    failing = wait_until(
        lambda: [d for d in deliveries(server, boot["token"], dead["id"]) if d["attempts"] >= 2],
        what="retries to the unreachable receiver",
    )
    assert failing[0]["status"] in ("PENDING", "FAILED") and failing[0]["responseStatusCode"] is None
    assert failing[0]["lastError"]
    assert deliveries(server, boot["token"], alive["id"])[0]["status"] == "SUCCEEDED"


def test_webhook_input_is_validated_and_changes_apply(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "editco")
    for url in ("ftp://example.com/hook", "not a url", "https://"):
        answer = server.graphql(
            CREATE,
            {"input": {"projectId": boot["project_id"], "url": url, "events": ["CREATED"]}},
            boot["token"],
        )["data"]["createWebhook"]
        assert answer["webhook"] is None and answer["userErrors"][0]["field"] == ["url"], answer
    empty = server.graphql(
        CREATE, {"input": {"projectId": boot["project_id"], "url": receiver.url, "events": []}}, boot["token"]
    )["data"]["createWebhook"]
    assert empty["userErrors"][0]["field"] == ["events"]

    created = create_webhook(server, boot, f"{receiver.url}/old", ["CREATED"])
    changed = server.graphql(
        UPDATE,
        {
            "input": {
                "id": created["webhook"]["id"],
                "url": f"{receiver.url}/new",
                "events": ["CREATED", "RESOLVED"],
                "rotateSecret": True,
            }
        },
        boot["token"],
    )["data"]["updateWebhook"]
    assert changed["userErrors"] == []
    assert changed["webhook"]["url"] == f"{receiver.url}/new" and changed["webhook"]["events"] == [
        "CREATED",
        "RESOLVED",
    ]
    assert changed["secret"] and changed["secret"] != created["secret"]
    with sentry_client(boot["dsn"]):
        capture(checkout, "E-5")
    request = wait_until(lambda: receiver.at("/new"), what="a delivery to the new URL")[0]
    expected = "sha256=" + hmac.new(changed["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-stackline-signature"] == expected  # signed with the rotated secret
    assert receiver.at("/old") == []

    deleted = server.graphql(DELETE, {"input": {"id": created["webhook"]["id"]}}, boot["token"])["data"][
        "deleteWebhook"
    ]
    assert deleted == {"deletedWebhookId": created["webhook"]["id"], "userErrors": []}
    assert (
        server.graphql(WEBHOOKS, {"org": "editco", "p": "web"}, boot["token"])["data"]["project"]["webhooks"]
        == []
    )
    with sentry_client(boot["dsn"]):
        capture(checkout, "E-6")
    time.sleep(1.0)
    assert len(receiver.at("/new")) == 1  # nothing more after the deletion


def test_another_organization_cannot_list_or_change_webhooks(server: Server, receiver: Receiver) -> None:
    owner = setup_project(server, "ownerco")
    other = setup_project(server, "otherco")
    webhook = create_webhook(server, owner, f"{receiver.url}/mine", ["CREATED"])["webhook"]
    foreign = other["token"]

    assert server.graphql(WEBHOOKS, {"org": "ownerco", "p": "web"}, foreign)["data"]["project"] is None
    assert server.graphql(DELIVERIES, {"id": webhook["id"]}, foreign)["data"]["node"] is None
    changed = server.graphql(
        UPDATE,
        {"input": {"id": webhook["id"], "url": f"{receiver.url}/stolen", "rotateSecret": True}},
        foreign,
    )["data"]["updateWebhook"]
    assert changed["webhook"] is None and changed["secret"] is None
    assert changed["userErrors"] == [{"message": "webhook not found", "field": ["id"]}]
    deleted = server.graphql(DELETE, {"input": {"id": webhook["id"]}}, foreign)["data"]["deleteWebhook"]
    assert deleted["deletedWebhookId"] is None and deleted["userErrors"][0]["message"] == "webhook not found"
    planted = server.graphql(
        CREATE,
        {"input": {"projectId": owner["project_id"], "url": f"{receiver.url}/spy", "events": ["CREATED"]}},
        foreign,
    )["data"]["createWebhook"]
    assert planted["webhook"] is None and planted["userErrors"][0]["field"] == ["projectId"]

    # The owner's webhook is untouched and still the only one.
    listed = server.graphql(WEBHOOKS, {"org": "ownerco", "p": "web"}, owner["token"])["data"]["project"][
        "webhooks"
    ]
    assert listed == [{"id": webhook["id"], "url": f"{receiver.url}/mine", "events": ["CREATED"]}]


def test_pending_deliveries_survive_a_restart_and_a_replay(tmp_path: Path, receiver: Receiver) -> None:
    """A delivery queued while the receiver is down is sent once it is back, by the next server
    process, with the same delivery id; a replay of the read models neither loses the delivery
    log nor sends past changes again."""
    receiver.scripts["/later"] = [503]
    server = Server(
        tmp_path / "data",
        env={**WEBHOOK_ENV, "STACKLINE_WEBHOOK_BASE_DELAY": "1", "STACKLINE_WEBHOOK_MAX_DELAY": "2"},
    ).start()
    try:
        boot = setup_project(server, "restartco")
        webhook = create_webhook(server, boot, f"{receiver.url}/later", ["CREATED"])["webhook"]
        with sentry_client(boot["dsn"]):
            capture(checkout, "F-6")
        wait_until(lambda: receiver.at("/later"), what="a first attempt")
    finally:
        server.stop()
    first = receiver.at("/later")[0].headers["x-stackline-delivery"]
    receiver.scripts["/later"] = [200]

    restarted = Server(tmp_path / "data", env=WEBHOOK_ENV).start()
    try:
        log = wait_until(
            lambda: [
                d for d in deliveries(restarted, boot["token"], webhook["id"]) if d["status"] == "SUCCEEDED"
            ],
            what="the delivery after the restart",
        )
        assert log[0]["deliveryId"] == first and log[0]["attempts"] >= 2
        assert {r.headers["x-stackline-delivery"] for r in receiver.at("/later")} == {first}
        assert len(deliveries(restarted, boot["token"], webhook["id"])) == 1  # queued once, not again
    finally:
        restarted.stop()

    stackline("replay", "--quiet", "--data-dir", str(tmp_path / "data"))
    replayed = Server(tmp_path / "data", env=WEBHOOK_ENV).start()
    try:
        wait_until(
            lambda: replayed.graphql(WEBHOOKS, {"org": "restartco", "p": "web"}, boot["token"])["data"][
                "project"
            ],
            what="the replayed project",
        )
        time.sleep(1.5)
        assert {r.headers["x-stackline-delivery"] for r in receiver.at("/later")} == {first}
        [kept] = deliveries(replayed, boot["token"], webhook["id"])
        assert kept["deliveryId"] == first and kept["status"] == "SUCCEEDED"
        with sentry_client(boot["dsn"].replace(f":{server.port}/", f":{replayed.port}/")):
            capture(refund, "F-7")  # a new issue: still delivered after the replay
        wait_until(
            lambda: len({r.headers["x-stackline-delivery"] for r in receiver.at("/later")}) == 2,
            what="a delivery after the replay",
        )
    finally:
        replayed.stop()


def test_the_webhook_worker_runs_as_a_process_of_its_own(tmp_path: Path, receiver: Receiver) -> None:
    """`serve --no-projectors` with `project run readmodels` and `project run webhooks` beside it."""
    data = tmp_path / "data"
    workers = []
    api = Server(data, env=WEBHOOK_ENV, serve_args=("--no-projectors",))
    stackline("migrate", "--data-dir", str(data))  # once, before three processes start on the same files
    try:
        for name in ("readmodels", "webhooks"):
            workers.append(
                spawn(
                    ["project", "run", name, "--data-dir", str(data)], tmp_path / f"{name}.log", WEBHOOK_ENV
                )
            )
        api.start()
        boot = setup_project(api, "workerco")
        webhook = create_webhook(api, boot, f"{receiver.url}/worker", ["CREATED"])["webhook"]
        with sentry_client(boot["dsn"]):
            capture(checkout, "G-8")
        request = wait_until(lambda: receiver.at("/worker"), what="a delivery from the worker process")[0]
        assert json.loads(request.body)["issue"]["title"] == "CheckoutFailed: cart G-8 could not be paid"
        assert wait_until(
            lambda: [d for d in deliveries(api, boot["token"], webhook["id"]) if d["status"] == "SUCCEEDED"],
            what="the log, read by the API process",
        )
        assert "projector webhooks starting" in (tmp_path / "webhooks.log").read_text()
    finally:
        api.stop()
        for worker in workers:
            kill_group(worker)
