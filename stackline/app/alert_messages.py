"""What an alert notification says, per channel: an e-mail (plain text and HTML), a
Slack-compatible JSON message, a signed-webhook JSON body.

Built from a notification row's `subject` (what the alerts projector saw when it queued it) and
the server's public URL, which links to the issue's page in the web UI
(`/orgs/<org>/projects/<project>/issues/<issue's GraphQL id>`). Pure rendering: never sends,
never reads a database.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

TRIGGER_WORDS = {
    "NEW_ISSUE": "New issue",
    "REGRESSION": "Regression",
    "ESCALATION": "Escalating",
    "EVENT_FREQUENCY": "Frequent",
    "USER_FREQUENCY": "Affecting many users",
}
LEVEL_COLOURS = {"fatal": "#7a0000", "error": "#e03e2f", "warning": "#f5a623", "info": "#2f80ed"}


def issue_link(public_url: str, subject: dict[str, Any]) -> str:
    """The issue's page in the web UI (`paths.issue` in web/src/paths.ts), which names the issue
    by its GraphQL id."""
    org, project = quote(subject["organization"]["slug"], safe=""), quote(subject["project"]["slug"], safe="")
    issue = quote(subject["issue"]["globalId"], safe="")
    return f"{public_url.rstrip('/')}/orgs/{org}/projects/{project}/issues/{issue}"


def headline(subject: dict[str, Any]) -> str:
    words = TRIGGER_WORDS.get(subject["trigger"], subject["trigger"])
    return f"[{subject['project']['slug']}] {words}: {subject['issue']['title']}"


def why(subject: dict[str, Any]) -> str:
    """The sentence saying which condition fired."""
    count, window = subject.get("count"), subject.get("window_minutes")
    match subject["trigger"]:
        case "NEW_ISSUE":
            return "A new issue was created."
        case "REGRESSION":
            return "A resolved issue has new events: it regressed."
        case "ESCALATION":
            return "An ignored issue's ignore condition ended: it is escalating."
        case "EVENT_FREQUENCY":
            return f"The issue was seen {count} times in the last {window} minutes."
        case "USER_FREQUENCY":
            return f"The issue affected {count} users in the last {window} minutes."
    return str(subject["trigger"])


def facts(subject: dict[str, Any]) -> list[tuple[str, str]]:
    issue = subject["issue"]
    return [
        ("Issue", issue["shortId"]),
        ("Culprit", issue.get("culprit") or "-"),
        ("Level", issue["level"]),
        ("Events", str(issue["timesSeen"])),
        ("Users", str(issue["userCount"])),
        ("Project", subject["project"]["name"]),
        ("Rule", subject["rule"]["name"]),
    ]


def email_message(
    subject: dict[str, Any], public_url: str, sender: str, recipients: list[str]
) -> EmailMessage:
    link = issue_link(public_url, subject)
    message = EmailMessage()
    message["Subject"] = headline(subject)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    lines = [subject["issue"]["title"], "", why(subject), ""]
    lines += [f"{name}: {value}" for name, value in facts(subject)]
    lines += ["", f"Open the issue: {link}"]
    message.set_content("\n".join(lines) + "\n")
    rows = "".join(
        f"<tr><th align='left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in facts(subject)
    )
    message.add_alternative(
        "<html><body>"
        f"<h2>{html.escape(subject['issue']['title'])}</h2>"
        f"<p>{html.escape(why(subject))}</p>"
        f"<table>{rows}</table>"
        f"<p><a href='{html.escape(link, quote=True)}'>Open the issue</a></p>"
        "</body></html>",
        subtype="html",
    )
    return message


def slack_body(subject: dict[str, Any], public_url: str) -> dict[str, Any]:
    """Slack's incoming-webhook JSON; Mattermost reads the same, and Discord at its `/slack`
    endpoint. `text` alone carries the whole message for receivers that ignore attachments."""
    link = issue_link(public_url, subject)
    issue = subject["issue"]
    return {
        "text": f"{headline(subject)}\n{why(subject)}\n<{link}|{issue['shortId']}>",
        "username": "stackline",
        "attachments": [
            {
                "fallback": headline(subject),
                "color": LEVEL_COLOURS.get(issue["level"], "#888888"),
                "title": issue["title"],
                "title_link": link,
                "text": why(subject),
                "fields": [{"title": name, "value": value, "short": True} for name, value in facts(subject)],
            }
        ],
    }


def webhook_body(notification_id: str, subject: dict[str, Any], public_url: str) -> dict[str, Any]:
    """The signed-webhook body: `event` ALERT, the notification's id (the same on every attempt,
    also in X-Stackline-Delivery) and what the projector saw."""
    issue = dict(subject["issue"])
    issue["id"] = issue.pop("globalId")
    return {
        "id": notification_id,
        "event": "ALERT",
        "trigger": subject["trigger"],
        "rule": subject["rule"],
        "count": subject.get("count"),
        "windowMinutes": subject.get("window_minutes"),
        "triggeredAt": subject["triggered_at"],
        "organization": subject["organization"],
        "project": subject["project"],
        "issue": issue,
        "link": issue_link(public_url, subject),
    }
