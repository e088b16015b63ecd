"""Alert rules against a real server, fed by the real sentry-sdk: a real SMTP server (aiosmtpd)
receives the e-mail of a new issue, a local HTTP receiver the Slack JSON and the signed webhook;
a frequency rule fires once for a burst of 500 events; a regression fires after a resolve and a
new event; failures show in GraphQL; a replay sends nothing again; another organization can
neither read nor change a rule; and every outcome is an event in the rule's stream."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sentry_sdk

from tests.e2e.conftest import BACKENDS, backend_settings
from tests.e2e.receivers import Mailbox, Receiver, alert_env
from tests.e2e.server import Server, sentry_client, stackline
from tests.e2e.test_skeleton import capture
from tests.e2e.test_webhooks import (
    checkout,
    create_webhook,
    refund,
    setup_project,
    wait_until,
)

CREATE = """
mutation ($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) {
    alertRule { id name enabled actionIntervalMinutes conditions { kind threshold windowMinutes }
                filters { levels environment release tags query } channels { kind emails url webhookId } }
    userErrors { message field }
  }
}
"""
UPDATE = """
mutation ($input: UpdateAlertRuleInput!) {
  updateAlertRule(input: $input) {
    alertRule { id name enabled actionIntervalMinutes }
    userErrors { message field }
  }
}
"""
DELETE = """
mutation ($input: DeleteAlertRuleInput!) {
  deleteAlertRule(input: $input) { deletedAlertRuleId userErrors { message field } }
}
"""
NOTIFICATIONS = """
query ($id: ID!) {
  node(id: $id) {
    ... on AlertRule {
      name
      notifications(first: 50) {
        totalCount
        edges { node { notificationId trigger channel target issueId status attempts lastError sentAt
                       finishedAt payload } }
      }
    }
  }
}
"""
RESOLVE = (
    "mutation ($id: ID!, $v: Int!) { updateIssue(input: {id: $id, expectedVersion: $v, status: RESOLVED}) "
    "{ issue { status } userErrors { message } } }"
)
RULES = """
query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) { alertRules { id name } } }
"""
ISSUES = """
query ($org: String!, $p: String!) {
  project(organizationSlug: $org, slug: $p) {
    issues(first: 10) { edges { node { id title status version timesSeen } } }
  }
}
"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, mailbox: Mailbox
) -> Iterator[Server]:
    with backend_settings(request.param) as env:
        running = Server(
            tmp_path_factory.mktemp("stackline") / "data", env={**env, **alert_env(mailbox)}
        ).start()
        try:
            yield running
        finally:
            running.stop()


class ReconcileFailed(Exception):
    pass


def reconcile(account: str) -> None:
    raise ReconcileFailed(f"account {account} does not balance")


def create_rule(server: Server, boot: dict, **fields: object) -> dict:
    answer = server.graphql(CREATE, {"input": {"projectId": boot["project_id"], **fields}}, boot["token"])
    payload = answer["data"]["createAlertRule"]
    assert payload["userErrors"] == [], payload
    return payload["alertRule"]


def notifications(server: Server, token: str, rule_id: str) -> list[dict]:
    node = server.graphql(NOTIFICATIONS, {"id": rule_id}, token)["data"]["node"]
    return [edge["node"] for edge in node["notifications"]["edges"]]


def stream_types(server: Server, rule_id: str) -> list[str]:
    """The types of the events in a rule's stream, read from the event store itself."""
    import base64

    raw = base64.urlsafe_b64decode(rule_id + "=" * (-len(rule_id) % 4)).decode().split(":", 1)[1]
    query = "SELECT type FROM events WHERE stream = $1 ORDER BY position"
    return [row[0] for row in server.event_store_rows(query, f"alert-rule-{raw}")]


def issue_of(server: Server, boot: dict, org: str, title: str) -> dict:
    def find() -> dict | None:
        edges = server.graphql(ISSUES, {"org": org, "p": "web"}, boot["token"])["data"]["project"]["issues"][
            "edges"
        ]
        return next((e["node"] for e in edges if e["node"]["title"] == title), None)

    return wait_until(find, what=f"the issue {title!r}")  # type: ignore[return-value]


def test_a_new_exception_reaches_a_real_smtp_server_and_a_slack_receiver(
    server: Server, mailbox: Mailbox, receiver: Receiver
) -> None:
    boot = setup_project(server, "mailco")
    rule = create_rule(
        server,
        boot,
        name="New issues to the team",
        conditions=[{"kind": "NEW_ISSUE"}],
        channels=[
            {"kind": "EMAIL", "emails": ["Oncall@mailco.test", "lead@mailco.test"]},
            {"kind": "SLACK", "url": f"{receiver.url}/slack"},
        ],
    )
    assert rule["conditions"] == [{"kind": "NEW_ISSUE", "threshold": None, "windowMinutes": None}]
    assert rule["channels"][0]["emails"] == ["oncall@mailco.test", "lead@mailco.test"]
    assert rule["actionIntervalMinutes"] == 60 and rule["enabled"]
    listed = server.graphql(RULES, {"org": "mailco", "p": "web"}, boot["token"])["data"]["project"][
        "alertRules"
    ]
    assert listed == [{"id": rule["id"], "name": "New issues to the team"}]

    before = len(mailbox.messages)
    with sentry_client(boot["dsn"]):
        capture(checkout, "M-1")
    title = "CheckoutFailed: cart M-1 could not be paid"
    issue = issue_of(server, boot, "mailco", title)
    wait_until(lambda: len(mailbox.messages) > before, what="the e-mail")
    [message] = [m for m in mailbox.messages[before:] if title in m["Subject"]]
    assert message["Subject"] == f"[web] New issue: {title}"
    assert message["From"] == "alerts@stackline.test"
    assert sorted(mailbox.recipients[mailbox.messages.index(message)]) == [
        "lead@mailco.test",
        "oncall@mailco.test",
    ]
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    # The web UI's issue page (web/src/paths.ts). STACKLINE_PUBLIC_URL is unset: the address
    # `serve` records (what DSNs use) is the base.
    link = f"{server.url}/orgs/mailco/projects/web/issues/{issue['id']}"
    assert set(parts) == {"text/plain", "text/html"}
    for body in parts.values():
        assert title in body and link in body
    assert "Culprit:" in parts["text/plain"] and "Events: 1" in parts["text/plain"]
    assert "<a href='" + link in parts["text/html"]

    [slack] = wait_until(lambda: receiver.at("/slack"), what="the Slack message")  # type: ignore[misc]
    body = json.loads(slack.body)
    assert title in body["text"] and link in body["text"]
    assert body["attachments"][0]["title_link"] == link

    log = wait_until(
        lambda: (
            (found := notifications(server, boot["token"], rule["id"]))
            and all(n["status"] == "SUCCEEDED" for n in found)
            and found
        ),
        what="both notifications to succeed",
    )
    assert sorted(n["channel"] for n in log) == ["EMAIL", "SLACK"]  # type: ignore[union-attr]
    for n in log:  # type: ignore[union-attr]
        assert n["trigger"] == "NEW_ISSUE" and n["issueId"] == issue["id"] and n["attempts"] == 1
        assert n["sentAt"] and n["lastError"] is None
        assert n["payload"]["issue"]["title"] == title
    # The audit: who was told what, in the rule's own stream.
    types = wait_until(
        lambda: (t := stream_types(server, rule["id"])).count("AlertNotificationSent") == 2 and t,
        what="the audit events",
    )
    assert types == ["AlertRuleCreated", "AlertNotificationSent", "AlertNotificationSent"]

    # A second event of the same issue is not a new issue.
    with sentry_client(boot["dsn"]):
        capture(checkout, "M-1")
    wait_until(lambda: issue_of(server, boot, "mailco", title)["timesSeen"] == 2, what="the second event")
    time.sleep(1.5)
    assert len(notifications(server, boot["token"], rule["id"])) == 2


def test_a_frequency_rule_fires_exactly_once_for_a_burst_of_500_events(
    server: Server, receiver: Receiver
) -> None:
    boot = setup_project(server, "burstco")
    frequent = create_rule(
        server,
        boot,
        name="Storms",
        conditions=[{"kind": "EVENT_FREQUENCY", "threshold": 100, "windowMinutes": 60}],
        channels=[{"kind": "SLACK", "url": f"{receiver.url}/storm"}],
        actionIntervalMinutes=60,
    )
    users = create_rule(
        server,
        boot,
        name="Many users",
        conditions=[{"kind": "USER_FREQUENCY", "threshold": 1000, "windowMinutes": 60}],
        channels=[{"kind": "SLACK", "url": f"{receiver.url}/users"}],
    )
    sentinel = create_rule(
        server,
        boot,
        name="Sentinel",
        conditions=[{"kind": "NEW_ISSUE"}],
        filters={"query": "RefundFailed"},
        channels=[{"kind": "SLACK", "url": f"{receiver.url}/sentinel"}],
    )
    with sentry_client(boot["dsn"], transport_queue_size=1000):
        for number in range(500):
            with sentry_sdk.new_scope() as scope:
                scope.set_user({"id": f"user-{number % 50}"})
                capture(checkout, "B-1")
    title = "CheckoutFailed: cart B-1 could not be paid"
    wait_until(
        lambda: issue_of(server, boot, "burstco", title)["timesSeen"] == 500, timeout=180, what="500 events"
    )
    # Log order: the sentinel's new issue comes after every event of the burst, so once it is
    # told, the alerts projector has judged the whole burst.
    with sentry_client(boot["dsn"]):
        capture(refund, "R-1")
    wait_until(lambda: receiver.at("/sentinel"), timeout=120, what="the sentinel")
    time.sleep(1.0)
    assert len(receiver.at("/storm")) == 1
    [told] = notifications(server, boot["token"], frequent["id"])
    assert told["trigger"] == "EVENT_FREQUENCY"
    assert 100 < told["payload"]["count"] <= 500 and told["payload"]["window_minutes"] == 60
    assert "seen" in json.loads(receiver.at("/storm")[0].body)["text"]
    # 50 distinct users, under the user rule's 1000: nothing.
    assert notifications(server, boot["token"], users["id"]) == [] and receiver.at("/users") == []
    # The sentinel's query filter kept the burst's issue out of its NEW_ISSUE notifications.
    [only] = notifications(server, boot["token"], sentinel["id"])
    assert only["payload"]["issue"]["title"].startswith("RefundFailed")


def test_a_regression_fires_after_a_resolve_and_a_new_event(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "regressco")
    rule = create_rule(
        server,
        boot,
        name="Regressions",
        conditions=[{"kind": "REGRESSION"}, {"kind": "ESCALATION"}],
        filters={"levels": ["error", "fatal"], "environment": "prod*", "tags": ["team:payments"]},
        channels=[{"kind": "SLACK", "url": f"{receiver.url}/regress"}],
    )
    with sentry_client(boot["dsn"], environment="production"):
        sentry_sdk.set_tag("team", "payments")
        capture(checkout, "G-1")
    title = "CheckoutFailed: cart G-1 could not be paid"
    issue = issue_of(server, boot, "regressco", title)
    resolved = server.graphql(
        RESOLVE,
        {"id": issue["id"], "v": issue["version"]},
        boot["token"],
    )["data"]["updateIssue"]
    assert resolved["userErrors"] == [] and resolved["issue"]["status"] == "RESOLVED"
    time.sleep(1.0)
    assert receiver.at("/regress") == []  # neither the new issue nor the resolve is a regression
    with sentry_client(boot["dsn"], environment="production"):
        sentry_sdk.set_tag("team", "payments")
        capture(checkout, "G-1")
    [message] = wait_until(lambda: receiver.at("/regress"), what="the regression")  # type: ignore[misc]
    assert "Regression" in json.loads(message.body)["text"]
    [told] = notifications(server, boot["token"], rule["id"])
    assert told["trigger"] == "REGRESSION" and told["issueId"] == issue["id"]

    # An event outside the filters (another team) regresses its issue without notifying.
    with sentry_client(boot["dsn"], environment="production"):
        sentry_sdk.set_tag("team", "search")
        capture(refund, "G-2")
    other = issue_of(server, boot, "regressco", "RefundFailed: order G-2 could not be refunded")
    server.graphql(
        RESOLVE,
        {"id": other["id"], "v": other["version"]},
        boot["token"],
    )
    with sentry_client(boot["dsn"], environment="production"):
        sentry_sdk.set_tag("team", "search")
        capture(refund, "G-2")
    wait_until(
        lambda: (
            issue_of(server, boot, "regressco", "RefundFailed: order G-2 could not be refunded")["status"]
            == "UNRESOLVED"
        ),
        what="the other regression",
    )
    time.sleep(1.5)
    assert len(receiver.at("/regress")) == 1


def test_an_ignored_issue_that_escalates_notifies(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "escalco")
    rule = create_rule(
        server,
        boot,
        name="Escalations",
        conditions=[{"kind": "ESCALATION"}],
        channels=[{"kind": "SLACK", "url": f"{receiver.url}/escalate"}],
    )
    with sentry_client(boot["dsn"]):
        capture(checkout, "E-1")
    issue = issue_of(server, boot, "escalco", "CheckoutFailed: cart E-1 could not be paid")
    ignored = server.graphql(
        "mutation ($id: ID!, $v: Int!) { updateIssue(input: {id: $id, expectedVersion: $v, status: IGNORED, "
        "ignoreUntilEventCount: 2}) { userErrors { message } } }",
        {"id": issue["id"], "v": issue["version"]},
        boot["token"],
    )["data"]["updateIssue"]
    assert ignored["userErrors"] == []
    wait_until(
        lambda: issue_of(server, boot, "escalco", issue["title"])["status"] == "IGNORED", what="ignored"
    )
    with sentry_client(boot["dsn"]):
        capture(checkout, "E-1")
        capture(checkout, "E-1")
    wait_until(lambda: receiver.at("/escalate"), what="the escalation")
    [told] = notifications(server, boot["token"], rule["id"])
    assert (
        told["trigger"] == "ESCALATION"
        and "escalating" in json.loads(receiver.at("/escalate")[0].body)["text"]
    )


def test_signed_webhook_channel_and_failures_are_visible(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "failco")
    hook = create_webhook(server, boot, f"{receiver.url}/signed", ["RESOLVED"])
    receiver.scripts["/flaky"] = [503, 200]
    receiver.scripts["/gone"] = [410]
    rule = create_rule(
        server,
        boot,
        name="Everywhere",
        conditions=[{"kind": "NEW_ISSUE"}],
        channels=[
            {"kind": "WEBHOOK", "webhookId": hook["webhook"]["id"]},
            {"kind": "SLACK", "url": f"{receiver.url}/flaky"},
            {"kind": "SLACK", "url": f"{receiver.url}/gone"},
        ],
    )
    assert rule["channels"][0]["webhookId"] == hook["webhook"]["id"]
    with sentry_client(boot["dsn"]):
        capture(checkout, "W-1")
    final = wait_until(
        lambda: (
            (found := notifications(server, boot["token"], rule["id"]))
            and len(found) == 3
            and all(n["status"] != "PENDING" for n in found)
            and {n["target"]: n for n in found}
        ),
        what="every notification to finish",
    )
    assert final[f"{receiver.url}/flaky"]["status"] == "SUCCEEDED"  # type: ignore[index]
    assert final[f"{receiver.url}/flaky"]["attempts"] == 2  # type: ignore[index]
    gone = final[f"{receiver.url}/gone"]  # type: ignore[index]
    assert gone["status"] == "FAILED" and gone["attempts"] == 1 and gone["lastError"].startswith("HTTP 410")
    signed = final[next(t for t in final if t.startswith("webhook "))]  # type: ignore[union-attr]
    assert signed["status"] == "SUCCEEDED" and signed["channel"] == "WEBHOOK"

    [request] = receiver.at("/signed")
    expected = "sha256=" + hmac.new(hook["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-stackline-signature"], expected)
    assert request.headers["x-stackline-event"] == "ALERT"
    body = json.loads(request.body)
    assert (
        body["event"] == "ALERT" and body["trigger"] == "NEW_ISSUE" and body["rule"]["name"] == "Everywhere"
    )
    assert body["id"] == request.headers["x-stackline-delivery"] == signed["notificationId"]
    assert body["link"].startswith(f"{server.url}/orgs/failco/projects/web/issues/")

    types = wait_until(
        lambda: (t := stream_types(server, rule["id"])) and len(t) == 4 and t, what="the audit events"
    )
    assert sorted(types) == sorted(
        ["AlertRuleCreated", "AlertNotificationSent", "AlertNotificationSent", "AlertNotificationFailed"]
    )


def test_rule_input_is_validated_and_changes_apply(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "checkco")
    other = setup_project(server, "checkco-other")
    foreign_hook = create_webhook(server, other, f"{receiver.url}/x", ["CREATED"])["webhook"]["id"]
    slack = [{"kind": "SLACK", "url": f"{receiver.url}/ok"}]
    cases = [
        ({"conditions": [], "channels": slack}, "conditions"),
        ({"conditions": [{"kind": "EVENT_FREQUENCY"}], "channels": slack}, "conditions"),
        ({"conditions": [{"kind": "NEW_ISSUE", "threshold": 3}], "channels": slack}, "conditions"),
        ({"conditions": [{"kind": "NEW_ISSUE"}], "channels": []}, "channels"),
        (
            {"conditions": [{"kind": "NEW_ISSUE"}], "channels": [{"kind": "EMAIL", "emails": ["nope"]}]},
            "channels",
        ),
        (
            {"conditions": [{"kind": "NEW_ISSUE"}], "channels": [{"kind": "SLACK", "url": "ftp://x"}]},
            "channels",
        ),
        (
            {
                "conditions": [{"kind": "NEW_ISSUE"}],
                "channels": [{"kind": "WEBHOOK", "webhookId": foreign_hook}],
            },
            "channels",
        ),
        (
            {"conditions": [{"kind": "NEW_ISSUE"}], "channels": slack, "filters": {"levels": ["loud"]}},
            "filters",
        ),
        (
            {"conditions": [{"kind": "NEW_ISSUE"}], "channels": slack, "filters": {"query": "is:nonsense"}},
            "filters",
        ),
        (
            {"conditions": [{"kind": "NEW_ISSUE"}], "channels": slack, "filters": {"tags": ["nocolon"]}},
            "filters",
        ),
        (
            {"conditions": [{"kind": "NEW_ISSUE"}], "channels": slack, "actionIntervalMinutes": 0},
            "actionIntervalMinutes",
        ),
        ({"conditions": [{"kind": "NEW_ISSUE"}], "channels": slack, "name": " "}, "name"),
    ]
    for fields, wrong in cases:
        answer = server.graphql(
            CREATE, {"input": {"projectId": boot["project_id"], "name": "r", **fields}}, boot["token"]
        )
        assert "errors" not in answer, answer
        payload = answer["data"]["createAlertRule"]
        assert payload["alertRule"] is None and payload["userErrors"][0]["field"] == [wrong], (
            fields,
            payload,
        )
    rule = create_rule(
        server,
        boot,
        name="Tuned",
        conditions=[{"kind": "NEW_ISSUE"}],
        channels=slack,
        filters={
            "levels": ["Error"],
            "release": "web@*",
            "tags": ["browser:Firefox"],
            "query": "is:unresolved",
        },
    )
    assert rule["filters"] == {
        "levels": ["error"],
        "environment": None,
        "release": "web@*",
        "tags": ["browser:Firefox"],
        "query": "is:unresolved",
    }
    changed = server.graphql(
        UPDATE,
        {"input": {"id": rule["id"], "name": "Tuned again", "enabled": False, "actionIntervalMinutes": 5}},
        boot["token"],
    )["data"]["updateAlertRule"]
    assert changed["userErrors"] == []
    assert changed["alertRule"] == {
        "id": rule["id"],
        "name": "Tuned again",
        "enabled": False,
        "actionIntervalMinutes": 5,
    }
    refused = server.graphql(UPDATE, {"input": {"id": rule["id"], "conditions": []}}, boot["token"])
    assert refused["data"]["updateAlertRule"]["userErrors"][0]["field"] == ["conditions"]
    deleted = server.graphql(DELETE, {"input": {"id": rule["id"]}}, boot["token"])["data"]["deleteAlertRule"]
    assert deleted == {"deletedAlertRuleId": rule["id"], "userErrors": []}
    assert server.graphql(NOTIFICATIONS, {"id": rule["id"]}, boot["token"])["data"]["node"] is None
    again = server.graphql(DELETE, {"input": {"id": rule["id"]}}, boot["token"])["data"]["deleteAlertRule"]
    assert again["userErrors"][0]["message"] == "alert rule not found"


def test_another_organization_can_neither_read_nor_change_a_rule(server: Server, receiver: Receiver) -> None:
    boot = setup_project(server, "ownerco")
    intruder = setup_project(server, "intruderco")
    rule = create_rule(
        server,
        boot,
        name="Private",
        conditions=[{"kind": "NEW_ISSUE"}],
        channels=[{"kind": "SLACK", "url": f"{receiver.url}/private"}],
    )
    token = intruder["token"]
    assert server.graphql(NOTIFICATIONS, {"id": rule["id"]}, token)["data"]["node"] is None
    assert server.graphql(RULES, {"org": "ownerco", "p": "web"}, token)["data"]["project"] is None
    updated = server.graphql(UPDATE, {"input": {"id": rule["id"], "name": "mine now"}}, token)["data"]
    assert updated["updateAlertRule"] == {
        "alertRule": None,
        "userErrors": [{"message": "alert rule not found", "field": ["id"]}],
    }
    deleted = server.graphql(DELETE, {"input": {"id": rule["id"]}}, token)["data"]["deleteAlertRule"]
    assert (
        deleted["deletedAlertRuleId"] is None
        and deleted["userErrors"][0]["message"] == "alert rule not found"
    )
    # Nor can it create a rule on the other organization's project.
    created = server.graphql(
        CREATE,
        {
            "input": {
                "projectId": boot["project_id"],
                "name": "x",
                "conditions": [{"kind": "NEW_ISSUE"}],
                "channels": [{"kind": "SLACK", "url": f"{receiver.url}/x"}],
            }
        },
        token,
    )["data"]["createAlertRule"]
    assert created == {
        "alertRule": None,
        "userErrors": [{"message": "project not found", "field": ["projectId"]}],
    }
    listed = server.graphql(RULES, {"org": "ownerco", "p": "web"}, boot["token"])["data"]["project"][
        "alertRules"
    ]
    assert listed == [{"id": rule["id"], "name": "Private"}]


def test_a_replay_sends_nothing_again(tmp_path: Path, receiver: Receiver, mailbox: Mailbox) -> None:
    """Notifications already sent stay sent: `stackline replay` rebuilds the read models, keeps the
    alerts worker's checkpoint and notification log, and nothing is queued or sent twice."""
    env = alert_env(mailbox)
    server = Server(tmp_path / "data", env=env).start()
    try:
        boot = setup_project(server, "replayco")
        rule = create_rule(
            server,
            boot,
            name="New",
            conditions=[{"kind": "NEW_ISSUE"}, {"kind": "REGRESSION"}],
            channels=[{"kind": "SLACK", "url": f"{receiver.url}/replay"}],
        )
        with sentry_client(boot["dsn"]):
            capture(checkout, "P-1")
            capture(refund, "P-2")
        wait_until(lambda: len(receiver.at("/replay")) == 2, what="two notifications")
        wait_until(
            lambda: all(n["status"] == "SUCCEEDED" for n in notifications(server, boot["token"], rule["id"])),
            what="both recorded",
        )
        sent = notifications(server, boot["token"], rule["id"])
    finally:
        server.stop()

    stackline("replay", "--quiet", "--data-dir", str(tmp_path / "data"), env=env)
    replayed = Server(tmp_path / "data", env=env).start()
    try:
        wait_until(
            lambda: replayed.graphql(RULES, {"org": "replayco", "p": "web"}, boot["token"])["data"][
                "project"
            ],
            what="the replayed project",
        )
        assert notifications(replayed, boot["token"], rule["id"]) == sent  # kept as they were
        with sentry_client(boot["dsn"].replace(f":{server.port}/", f":{replayed.port}/")):
            capture(reconcile, "P-3")  # a new issue after the replay is still told
        wait_until(lambda: len(receiver.at("/replay")) == 3, what="a notification after the replay")
        time.sleep(1.0)
        bodies = [json.loads(r.body)["text"] for r in receiver.at("/replay")]
        assert (
            len(bodies) == 3 and sum("P-1" in b for b in bodies) == 1 and sum("P-2" in b for b in bodies) == 1
        )
        assert len(notifications(replayed, boot["token"], rule["id"])) == 3
    finally:
        replayed.stop()


def test_the_alerts_worker_runs_as_a_process_of_its_own(
    tmp_path: Path, receiver: Receiver, mailbox: Mailbox
) -> None:
    """`serve --no-projectors` + `project run readmodels` + `project run alerts`: the alerts worker
    in its own process queues and sends."""
    import subprocess
    import sys

    env = alert_env(mailbox)
    data = tmp_path / "data"
    stackline("migrate", "--data-dir", str(data), env=env)
    api = Server(data, env=env, serve_args=("--no-projectors",)).start()
    workers = []
    try:
        for name in ("readmodels", "alerts"):
            log = (tmp_path / f"{name}.log").open("w")
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "stackline.entrypoints.cli",
                        "project",
                        "run",
                        name,
                        "--data-dir",
                        str(data),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**__import__("os").environ, **env},
                )
            )
        boot = setup_project(api, "workerco")
        create_rule(
            api,
            boot,
            name="New",
            conditions=[{"kind": "NEW_ISSUE"}],
            channels=[{"kind": "SLACK", "url": f"{receiver.url}/worker"}],
        )
        with sentry_client(boot["dsn"]):
            capture(checkout, "K-1")
        [message] = wait_until(lambda: receiver.at("/worker"), timeout=30, what="the notification")  # type: ignore[misc]
        assert "K-1" in json.loads(message.body)["text"]
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=15)
        api.stop()


def test_a_killed_worker_neither_loses_nor_queues_a_notification_twice(
    tmp_path: Path, receiver: Receiver, mailbox: Mailbox
) -> None:
    """SIGKILL while notifications are being queued and sent: after a restart every new issue has
    exactly one notification row and was told; only a send cut off before its outcome was
    written may be repeated (at most the sender's in-flight attempts)."""
    import signal

    from stackline.app.alert_sender import MAX_IN_FLIGHT

    env = alert_env(mailbox)
    server = Server(tmp_path / "data", env=env).start()
    issues = 40
    try:
        boot = setup_project(server, "crashco")
        rule = create_rule(
            server,
            boot,
            name="Everything new",
            conditions=[{"kind": "NEW_ISSUE"}],
            channels=[{"kind": "SLACK", "url": f"{receiver.url}/crash"}],
        )
        with sentry_client(boot["dsn"]):
            for number in range(issues):
                with sentry_sdk.new_scope() as scope:
                    scope.fingerprint = [f"crash-{number}"]
                    sentry_sdk.capture_message(f"crash number {number:02d}", level="error")
        wait_until(lambda: receiver.at("/crash"), what="the first notification")
    finally:
        server.stop(signal.SIGKILL)

    restarted = Server(tmp_path / "data", env=env).start()
    try:

        def told() -> list[dict]:
            return [
                n for n in notifications(restarted, boot["token"], rule["id"]) if n["status"] == "SUCCEEDED"
            ]

        wait_until(lambda: len(told()) == issues, timeout=60, what="every issue to be told")
        rows = notifications(restarted, boot["token"], rule["id"])
        assert len(rows) == issues and len({n["issueId"] for n in rows}) == issues  # queued once each
        texts = [json.loads(r.body)["text"] for r in receiver.at("/crash")]
        for number in range(issues):
            assert any(f"crash number {number:02d}" in text for text in texts), number
        assert issues <= len(texts) <= issues + MAX_IN_FLIGHT
    finally:
        restarted.stop()


def test_replay_refuses_to_rebuild_the_alerts_outbox(tmp_path: Path) -> None:
    """`--projection alerts` (or webhooks) would mean sending everything again: a clear refusal."""
    import subprocess
    import sys

    for name in ("alerts", "webhooks"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "stackline.entrypoints.cli",
                "replay",
                "--quiet",
                "--projection",
                name,
                "--data-dir",
                str(tmp_path / "data"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert f"stackline replay: {name!r} is not rebuilt" in done.stderr
