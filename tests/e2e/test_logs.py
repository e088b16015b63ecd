"""SDK logs (`enable_logs`) as a user of the real sentry-sdk sees them: stored, scrubbed, listed
newest first through `Project.logs` with level, body, attributes, trace id and time, searchable
and paged, counted as accepted `log_item`s; `otel_log` items too; another tenant sees nothing."""

from __future__ import annotations

import json
import time

import sentry_sdk
from sentry_sdk import logger as sentry_logger

from tests.e2e.server import Server, sentry_client
from tests.e2e.test_ingest_protocol import Target, usage

LOGS = """query ($org: String!, $p: String!, $q: String, $first: Int, $after: String) {
  project(organizationSlug: $org, slug: $p) {
    logs(query: $q, first: $first, after: $after) {
      edges { cursor node { logId timestamp level severityNumber body attributes traceId spanId } }
      pageInfo { hasNextPage endCursor } } } }"""


def logs(
    target: Target, query: str | None = None, first: int | None = None, after: str | None = None
) -> dict:
    variables = {"org": target.org, "p": target.slug, "q": query, "first": first, "after": after}
    return target.server.graphql(LOGS, variables, target.token)


def bodies(result: dict) -> list[str]:
    assert "errors" not in result, result
    return [e["node"]["body"] for e in result["data"]["project"]["logs"]["edges"]]


def wait_for_logs(target: Target, count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while len(edges := logs(target, first=100)["data"]["project"]["logs"]["edges"]) < count:
        assert time.monotonic() < deadline, f"{len(edges)} logs of {count}:\n{target.server.log()[-3000:]}"
        time.sleep(0.1)
    return [e["node"] for e in edges]


def test_sdk_logs_are_stored_scrubbed_listed_and_counted_accepted(server: Server) -> None:
    target = Target(server, "logco", "web")
    with sentry_client(target.dsn, enable_logs=True, release="web@2.1", traces_sample_rate=1.0):
        sentry_logger.info("checkout {cart} started", cart="c-17")
        time.sleep(0.01)
        with sentry_sdk.start_transaction(name="pay") as transaction:
            sentry_logger.warning("stock low for {sku}", sku="A-1", attributes={"warehouse": "east"})
            time.sleep(0.01)
            sentry_logger.error("login failed password=hunter2 for {user}", user="ann", password="hunter2")
        trace_id = transaction.trace_id
    nodes = wait_for_logs(target, 3)
    assert [n["body"] for n in nodes] == [
        "login failed password=[Filtered] for ann",
        "stock low for A-1",
        "checkout c-17 started",
    ]
    error, warning, info = nodes
    assert [n["level"] for n in nodes] == ["error", "warn", "info"]
    assert (error["severityNumber"], info["severityNumber"]) == (17, 9)
    assert info["attributes"]["sentry.message.template"] == {
        "value": "checkout {cart} started",
        "type": "string",
    }
    assert info["attributes"]["sentry.message.parameter.cart"] == {"value": "c-17", "type": "string"}
    assert info["attributes"]["sentry.release"]["value"] == "web@2.1"
    assert warning["attributes"]["warehouse"] == {"value": "east", "type": "string"}
    assert error["attributes"]["sentry.message.parameter.password"]["value"] == "[Filtered]"
    assert "hunter2" not in json.dumps(nodes)
    assert warning["traceId"] == error["traceId"] == trace_id
    assert info["timestamp"] < warning["timestamp"] < error["timestamp"]

    project = target.wait(lambda p: usage(p, "log_item", "accepted") == 3, timeout=30)
    assert [u for u in project["usage"] if u["category"] == "log_item"] == [
        {"category": "log_item", "outcome": "accepted", "reason": "", "quantity": 3}
    ]

    # Search and pages.
    assert bodies(logs(target, "level:warning")) == ["stock low for A-1"]
    assert bodies(logs(target, "!level:error CHECKOUT")) == ["checkout c-17 started"]
    assert bodies(logs(target, f"trace:{trace_id}")) == [error["body"], warning["body"]]
    assert bodies(logs(target, "warehouse:east")) == ["stock low for A-1"]
    assert bodies(logs(target, "100%")) == []
    first = logs(target, first=2)["data"]["project"]["logs"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = logs(target, first=2, after=first["pageInfo"]["endCursor"])
    assert bodies(rest) == ["checkout c-17 started"]
    assert rest["data"]["project"]["logs"]["pageInfo"]["hasNextPage"] is False
    bad = logs(target, "level:loud")
    assert bad["errors"][0]["message"].startswith("invalid search term 'level:loud': unknown level")
    assert logs(target, after="bm90IGEgY3Vyc29y")["errors"][0]["message"] == "invalid cursor"

    # Another organization's token sees no such project.
    other = Target(server, "otherlogco", "web")
    result = server.graphql(LOGS, {"org": "logco", "p": "web"}, other.token)
    assert result["data"]["project"] is None


def test_otel_log_items_and_raw_log_items(server: Server) -> None:
    target = Target(server, "otelco", "web")
    otel = {
        "timeUnixNano": "1767225600000000000",
        "severityText": "WARN",
        "severityNumber": 13,
        "body": {"stringValue": "disk 91% full on 10.0.0.7"},
        "attributes": [
            {"key": "host.name", "value": {"stringValue": "db-1"}},
            {"key": "disk.used", "value": {"intValue": "91"}},
        ],
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
    }
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{"message":"with logs"}\n'
        + b'{"type":"otel_log"}\n'
        + json.dumps(otel).encode()
        + b'\n{"type":"log","item_count":2,"content_type":"application/vnd.sentry.items.log+json"}\n'
        + b'{"items":[{"timestamp":1767225601.5,"level":"debug","body":"b"},'
        + b'{"body":"no level","severity_number":21}]}\n'
    )
    response = target.post(body)
    assert response.status_code == 200 and response.json() == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    assert target.post(body).status_code == 200  # a retry stores nothing twice
    nodes = wait_for_logs(target, 3)
    by_body = {n["body"]: n for n in nodes}
    assert set(by_body) == {"disk 91% full on 10.0.0.7", "b", "no level"}
    disk = by_body["disk 91% full on 10.0.0.7"]
    assert disk["level"] == "warn" and disk["timestamp"].startswith("2026-01-01T00:00:00")
    assert disk["attributes"] == {
        "host.name": {"value": "db-1", "type": "string"},
        "disk.used": {"value": 91, "type": "integer"},
    }
    assert (disk["traceId"], disk["spanId"]) == ("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174")
    assert by_body["no level"]["level"] == "fatal"
    assert by_body["b"]["level"] == "debug"
    target.wait(lambda p: usage(p, "log_item", "accepted") == 3 and usage(p, "error", "accepted") == 1)
    time.sleep(0.5)
    assert len(wait_for_logs(target, 3)) == 3
