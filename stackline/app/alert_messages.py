"""What an alert notification says, per channel: an e-mail (plain text and HTML), a
Slack-compatible JSON message, a signed-webhook JSON body.

Built from a notification row's `subject` (what the alerts projector saw when it queued it) and
the server's public URL, which links to the issue's page in the web UI
(`/orgs/<org>/projects/<project>/issues/<issue's GraphQL id>`), or for a monitor's trigger (a
subject with `monitor` and no `issue`) to the project's overview (`/orgs/<org>/projects/<project>`),
which lists its monitors. Pure rendering: never sends, never reads a database.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

TRIGGER_WORDS = {
    "NEW_ISSUE": "New issue",
    "REGRESSION": "Regression",
    "ESCALATION": "Escalating",
    "EVENT_FREQUENCY": "Frequent",
    "USER_FREQUENCY": "Affecting many users",
    "MONITOR_MISSED": "Missed check-in",
    "MONITOR_TIMED_OUT": "Run timed out",
    "MONITOR_FAILED": "Run failed",
}
LEVEL_COLOURS = {"fatal": "#7a0000", "error": "#e03e2f", "warning": "#f5a623", "info": "#2f80ed"}


def project_link(public_url: str, subject: dict[str, Any]) -> str:
    """The project's overview in the web UI (`paths.project` in web/src/paths.ts)."""
    org, project = quote(subject["organization"]["slug"], safe=""), quote(subject["project"]["slug"], safe="")
    return f"{public_url.rstrip('/')}/orgs/{org}/projects/{project}"


def issue_link(public_url: str, subject: dict[str, Any]) -> str:
    """The issue's page in the web UI (`paths.issue` in web/src/paths.ts), which names the issue
    by its GraphQL id; a monitor's trigger links to the project's overview."""
    if "issue" not in subject:
        return project_link(public_url, subject)
    issue = quote(subject["issue"]["globalId"], safe="")
    return f"{project_link(public_url, subject)}/issues/{issue}"


def title(subject: dict[str, Any]) -> str:
    """The issue's title, or the monitor's slug."""
    if "issue" in subject:
        return str(subject["issue"]["title"])
    return f"monitor {subject['monitor']['slug']}"


def headline(subject: dict[str, Any]) -> str:
    words = TRIGGER_WORDS.get(subject["trigger"], subject["trigger"])
    return f"[{subject['project']['slug']}] {words}: {title(subject)}"


def _when(iso: str | None) -> str:
    """An instant as the notification names it: `2026-12-02 18:00:00 UTC`."""
    if not iso:
        return "an unknown time"
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def why(subject: dict[str, Any]) -> str:
    """The sentence saying which condition fired."""
    count, window = subject.get("count"), subject.get("window_minutes")
    monitor = subject.get("monitor") or {}
    slug = monitor.get("slug")
    match subject["trigger"]:
        case "MONITOR_MISSED":
            return (
                f"The monitor {slug} missed a check-in: one was expected at"
                f" {_when(monitor.get('expectedAt'))} and none came by {_when(monitor.get('at'))}."
            )
        case "MONITOR_TIMED_OUT":
            return (
                f"The monitor {slug}'s run that started at {_when(monitor.get('startedAt'))} was still"
                f" in progress at {_when(monitor.get('at'))}, past its maximum runtime: it timed out."
            )
        case "MONITOR_FAILED":
            return (
                f"The monitor {slug}'s run failed: it checked in with status error"
                f" at {_when(monitor.get('at'))}."
            )
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


def schedule_words(schedule: dict[str, Any] | None) -> str:
    if not schedule:
        return "-"
    if schedule.get("type") == "crontab":
        every = f"crontab {schedule.get('crontab')}"
    else:
        every = f"every {schedule.get('interval')} {schedule.get('unit')}(s)"
    return f"{every} ({schedule.get('timezone') or 'UTC'})"


def facts(subject: dict[str, Any]) -> list[tuple[str, str]]:
    if "issue" not in subject:
        monitor = subject["monitor"]
        rows = [("Monitor", monitor["slug"]), ("Schedule", schedule_words(monitor.get("schedule")))]
        if monitor.get("expectedAt"):
            rows.append(("Expected at", _when(monitor["expectedAt"])))
        if monitor.get("startedAt"):
            rows.append(("Started at", _when(monitor["startedAt"])))
        if monitor.get("environment"):
            rows.append(("Environment", monitor["environment"]))
        return [*rows, ("Project", subject["project"]["name"]), ("Rule", subject["rule"]["name"])]
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
    opens = "Open the issue" if "issue" in subject else "Open the project"
    lines = [title(subject), "", why(subject), ""]
    lines += [f"{name}: {value}" for name, value in facts(subject)]
    lines += ["", f"{opens}: {link}"]
    message.set_content("\n".join(lines) + "\n")
    rows = "".join(
        f"<tr><th align='left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in facts(subject)
    )
    message.add_alternative(
        "<html><body>"
        f"<h2>{html.escape(title(subject))}</h2>"
        f"<p>{html.escape(why(subject))}</p>"
        f"<table>{rows}</table>"
        f"<p><a href='{html.escape(link, quote=True)}'>{opens}</a></p>"
        "</body></html>",
        subtype="html",
    )
    return message


def slack_body(subject: dict[str, Any], public_url: str) -> dict[str, Any]:
    """Slack's incoming-webhook JSON; Mattermost reads the same, and Discord at its `/slack`
    endpoint. `text` alone carries the whole message for receivers that ignore attachments."""
    link = issue_link(public_url, subject)
    issue = subject.get("issue")
    label = issue["shortId"] if issue else subject["project"]["slug"]
    colour = LEVEL_COLOURS.get(issue["level"], "#888888") if issue else LEVEL_COLOURS["error"]
    return {
        "text": f"{headline(subject)}\n{why(subject)}\n<{link}|{label}>",
        "username": "stackline",
        "attachments": [
            {
                "fallback": headline(subject),
                "color": colour,
                "title": title(subject),
                "title_link": link,
                "text": why(subject),
                "fields": [{"title": name, "value": value, "short": True} for name, value in facts(subject)],
            }
        ],
    }


def webhook_body(notification_id: str, subject: dict[str, Any], public_url: str) -> dict[str, Any]:
    """The signed-webhook body: `event` ALERT, the notification's id (the same on every attempt,
    also in X-Stackline-Delivery) and what the projector saw: `issue`, or for a monitor's
    trigger `monitor` (and `issue` null)."""
    issue: dict[str, Any] | None = None
    if "issue" in subject:
        issue = dict(subject["issue"])
        issue["id"] = issue.pop("globalId")
    monitor = {"monitor": subject["monitor"]} if "monitor" in subject else {}
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
        **monitor,
        "link": issue_link(public_url, subject),
    }
