"""Alert rules on cron monitors against a real server: the real sentry-sdk's `capture_checkin`
with status error reaches a real SMTP server (aiosmtpd) and a Slack-compatible receiver exactly
once, naming the project, the monitor and what happened, with a link to the project's overview;
a rule for another monitor and another organization's rule stay silent; a replay sends nothing
again. (A missed check-in takes minutes of clock: tests/app/test_monitor_alerts.py passes the
clock in.)"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

from sentry_sdk.crons import capture_checkin

from tests.e2e.receivers import Mailbox, Receiver, alert_env
from tests.e2e.server import Server, sentry_client, stackline
from tests.e2e.test_alerts import create_rule, stream_types
from tests.e2e.test_webhooks import create_webhook, setup_project, wait_until

NOTIFICATIONS = """
query ($id: ID!) {
  node(id: $id) {
    ... on AlertRule {
      notifications(first: 50) {
        edges { node { notificationId trigger channel target issueId monitorSlug status attempts payload } }
      }
    }
  }
}
"""
NIGHTLY = {"schedule": {"type": "crontab", "value": "0 3 * * *"}, "checkin_margin": 5, "max_runtime": 30}


def notifications(server: Server, token: str, rule_id: str) -> list[dict]:
    node = server.graphql(NOTIFICATIONS, {"id": rule_id}, token)["data"]["node"]
    return [edge["node"] for edge in node["notifications"]["edges"]]


def parts(message) -> dict[str, str]:  # noqa: ANN001
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_a_failed_cron_run_is_told_once_and_only_to_its_own_rules(
    tmp_path: Path, empty_mailbox: Mailbox, receiver: Receiver
) -> None:
    env = alert_env(empty_mailbox)
    server = Server(tmp_path / "data", env=env).start()
    try:
        boot = setup_project(server, "cronalert")
        other = setup_project(server, "othercron")
        hook = create_webhook(server, boot, f"{receiver.url}/signed", ["RESOLVED"])
        rule = create_rule(
            server,
            boot,
            name="Backups",
            conditions=[{"kind": "MONITOR_FAILED"}, {"kind": "MONITOR_MISSED"}],
            filters={"monitorSlugs": ["nightly-backup", " nightly-backup "]},
            channels=[
                {"kind": "EMAIL", "emails": ["ops@cronalert.test"]},
                {"kind": "SLACK", "url": f"{receiver.url}/slack"},
                {"kind": "WEBHOOK", "webhookId": hook["webhook"]["id"]},
            ],
        )
        assert rule["conditions"] == [
            {"kind": "MONITOR_FAILED", "threshold": None, "windowMinutes": None},
            {"kind": "MONITOR_MISSED", "threshold": None, "windowMinutes": None},
        ]
        elsewhere = create_rule(
            server,
            boot,
            name="Reports only",
            conditions=[{"kind": "MONITOR_FAILED"}],
            filters={"monitorSlugs": ["weekly-report"]},
            channels=[{"kind": "SLACK", "url": f"{receiver.url}/reports"}],
        )
        issues_only = create_rule(
            server,
            boot,
            name="Issues",
            conditions=[{"kind": "NEW_ISSUE"}],
            channels=[{"kind": "SLACK", "url": f"{receiver.url}/issues"}],
        )
        foreign = create_rule(
            server,
            other,
            name="Theirs",
            conditions=[{"kind": "MONITOR_FAILED"}],
            channels=[{"kind": "SLACK", "url": f"{receiver.url}/theirs"}],
        )

        with sentry_client(boot["dsn"]):
            capture_checkin(monitor_slug="nightly-backup", status="ok", monitor_config=NIGHTLY)
            capture_checkin(monitor_slug="nightly-backup", status="error", monitor_config=NIGHTLY)

        wait_until(lambda: len(empty_mailbox.messages) >= 1, what="the e-mail")
        [slack] = wait_until(lambda: receiver.at("/slack"), what="the Slack message")  # type: ignore[misc]
        log = wait_until(
            lambda: (
                (found := notifications(server, boot["token"], rule["id"]))
                and len(found) == 3
                and all(n["status"] == "SUCCEEDED" for n in found)
                and found
            ),
            what="the three notifications to succeed",
        )
        time.sleep(1.5)  # anything sent twice would have come by now

        link = f"{server.url}/orgs/cronalert/projects/web"
        [message] = empty_mailbox.messages
        assert message["Subject"] == "[web] Run failed: monitor nightly-backup"
        assert empty_mailbox.recipients == [["ops@cronalert.test"]]
        text = parts(message)
        assert set(text) == {"text/plain", "text/html"}
        for body in text.values():
            assert "nightly-backup" in body and link in body and "checked in with status error" in body
        assert "Monitor: nightly-backup" in text["text/plain"]
        assert "Schedule: crontab 0 3 * * * (UTC)" in text["text/plain"]
        assert "Project: web" in text["text/plain"] and "Rule: Backups" in text["text/plain"]
        assert "Open the project: " + link in text["text/plain"]

        assert receiver.at("/slack") == [slack]
        body = json.loads(slack.body)
        assert body["text"].startswith("[web] Run failed: monitor nightly-backup\n")
        assert f"<{link}|web>" in body["text"] and body["attachments"][0]["title_link"] == link

        [signed] = receiver.at("/signed")
        expected = "sha256=" + hmac.new(hook["secret"].encode(), signed.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signed.headers["x-stackline-signature"], expected)
        delivered = json.loads(signed.body)
        assert delivered["event"] == "ALERT" and delivered["trigger"] == "MONITOR_FAILED"
        assert delivered["issue"] is None and delivered["link"] == link
        assert delivered["monitor"]["slug"] == "nightly-backup"
        assert delivered["monitor"]["schedule"]["crontab"] == "0 3 * * *"
        assert delivered["project"] == {
            "slug": "web",
            "name": "web",
            "numericId": int(boot["dsn"].rsplit("/", 1)[1]),
        }

        for n in log:  # type: ignore[union-attr]
            assert n["trigger"] == "MONITOR_FAILED" and n["monitorSlug"] == "nightly-backup"
            assert n["issueId"] is None and n["attempts"] == 1
            assert n["payload"]["monitor"]["slug"] == "nightly-backup"
            assert n["payload"]["project"]["slug"] == "web"
        # Another monitor's rule, an issue rule and another organization's rule stay silent.
        assert receiver.at("/reports") == [] and receiver.at("/issues") == [] and receiver.at("/theirs") == []
        assert notifications(server, boot["token"], elsewhere["id"]) == []
        assert notifications(server, boot["token"], issues_only["id"]) == []
        assert notifications(server, other["token"], foreign["id"]) == []
        # The audit names the monitor, in the rule's stream.
        wait_until(
            lambda: stream_types(server, rule["id"]).count("AlertNotificationSent") == 3,
            what="the audit events",
        )
    finally:
        server.stop()

    stackline("replay", "--quiet", "--data-dir", str(tmp_path / "data"), env=env)
    replayed = Server(tmp_path / "data", env=env).start()
    try:
        wait_until(
            lambda: len(notifications(replayed, boot["token"], rule["id"])) == 3, what="the replayed log"
        )
        time.sleep(2.0)
        assert len(empty_mailbox.messages) == 1
        assert len(receiver.at("/slack")) == 1 and len(receiver.at("/signed")) == 1
        assert len(notifications(replayed, boot["token"], rule["id"])) == 3
    finally:
        replayed.stop()
