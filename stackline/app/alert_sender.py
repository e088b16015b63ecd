"""The alert sender: delivers queued notifications by e-mail, Slack-compatible webhook or signed
webhook, retries with backoff, and appends each outcome to the rule's stream (the audit).

It picks PENDING rows of `alert_notifications` whose time has come (the alerts projector queued
them, `stackline/projections/alerts.py`), sends each in a task of its own and writes the outcome
back: SUCCEEDED; PENDING with a later `next_attempt_at` after a network error, a timeout, an SMTP
4xx or temporary failure, an HTTP 5xx, 408 or 429 (the webhook sender's `RetryPolicy`: exponential
backoff with jitter, `Retry-After` honoured); FAILED on a final refusal or once the attempts are
used up. A finished notification is then appended to the rule's stream as
`AlertNotificationSent` or `AlertNotificationFailed`, under an id derived from the notification
(a crash in between is caught up on the next round: `recorded_position` is still empty).

It runs only in the process that holds the `alerts` projector's lease, so two processes never
send one notification; at most `MAX_IN_FLIGHT` attempts run at once, each with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
import httpx
import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.app.alert_commands import AlertCommands
from stackline.app.alert_messages import email_message, slack_body, webhook_body
from stackline.app.settings import Settings
from stackline.domain.alert import EMAIL, SLACK, WEBHOOK, AlertNotificationFailed, AlertNotificationSent
from stackline.domain.webhook import FAILED, PENDING, SUCCEEDED, RetryPolicy, retry_after_seconds, signature
from stackline.projections.runner import ProjectorRunner
from stackline.readmodels import outbox
from stackline.readmodels.reads import read, write

log = logging.getLogger(__name__)
MAX_IN_FLIGHT = 8
ERROR_SNIPPET = 500  # bytes of a failed answer's body kept
USER_AGENT = "stackline-alerts/1"
AUDIT_SWEEP_SECONDS = 300.0  # how often outcomes not yet in the log are looked for (see run)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt's result: `ok`, or an error that is worth retrying (or final)."""

    ok: bool
    error: str | None = None
    retryable: bool = True
    retry_after: float | None = None  # seconds, from the receiver's Retry-After


class AlertSender:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        commands: AlertCommands,
        projector: ProjectorRunner,
        public_url: Callable[[], str] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.smtp = settings.smtp
        self.webhooks = settings.webhooks  # the same timeouts, attempts and backoff
        self.policy = RetryPolicy(
            self.webhooks.max_attempts, self.webhooks.base_delay, self.webhooks.max_delay
        )
        self.commands = commands
        self.projector = projector  # whose lease decides which process sends
        # Read when a notification is sent: `serve` records its address after start-up.
        self.public_url = public_url or settings.resolved_public_url
        self._in_flight: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._swept_at: float | None = None

    def wake(self) -> None:
        """Look for due notifications now (the projector queued some)."""
        self._wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(
            timeout=self.webhooks.timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        ) as client:
            try:
                while True:
                    if self.projector.running:
                        # Outcomes are appended as they happen; only a crash in between leaves
                        # one out, so the sweep runs when this process starts sending and now
                        # and then, not on every round.
                        if self._swept_at is None or time.monotonic() - self._swept_at > AUDIT_SWEEP_SECONDS:
                            self._swept_at = time.monotonic()
                            await self.record_unrecorded()
                        await self.dispatch_due(client)
                    else:
                        self._swept_at = None
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.webhooks.poll_interval)
                    except TimeoutError:
                        pass
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def dispatch_due(self, client: httpx.AsyncClient) -> None:
        free = MAX_IN_FLIGHT - len(self._in_flight)
        if free <= 0:
            return
        rows = await read(self.engine, outbox.due_notifications, time.time(), self._in_flight, free)
        for row in rows:
            self._in_flight.add(row.id)
            task = asyncio.get_running_loop().create_task(self._attempt(client, row), name=f"alert {row.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _attempt(self, client: httpx.AsyncClient, row: Row) -> None:
        try:
            rule = await read(self.engine, outbox.rule_to_send, row.rule_id)
            if rule is None or not rule.enabled:
                reason = "alert rule deleted" if rule is None else "alert rule disabled"
                await self._finish(row, FAILED, reason, attempted=False)
                return
            try:
                async with asyncio.timeout(self.webhooks.timeout):
                    result = await self._send(client, row)
            except TimeoutError:
                result = Attempt(False, f"timed out after {self.webhooks.timeout:g} s")
            attempts = row.attempts + 1
            if result.ok:
                await self._finish(row, SUCCEEDED, None)
            elif result.retryable and attempts < self.policy.max_attempts:
                await self._retry_later(row, result.error, self.policy.delay(attempts, result.retry_after))
            else:
                await self._finish(row, FAILED, result.error)
        except Exception:  # noqa: BLE001 - one notification's trouble must not end the sender
            log.exception("alert notification %s: attempt failed unexpectedly", row.id)
        finally:
            self._in_flight.discard(row.id)

    async def _send(self, client: httpx.AsyncClient, row: Row) -> Attempt:
        subject = orjson.loads(row.subject)
        channel = row.channel
        if row.channel_kind == EMAIL:
            return await self._email(subject, list(channel["emails"]))
        if row.channel_kind == SLACK:
            return await self._post(
                client, channel["url"], orjson.dumps(slack_body(subject, self.public_url())), {}
            )
        if row.channel_kind == WEBHOOK:
            hook = await read(self.engine, outbox.webhook_to_send, channel["webhook_id"], row.organization_id)
            if hook is None or not hook.is_active:
                return Attempt(
                    False, "webhook deleted" if hook is None else "webhook disabled", retryable=False
                )
            body = orjson.dumps(webhook_body(row.id, subject, self.public_url()))
            headers = {
                "X-Stackline-Signature": signature(hook.secret, body),
                "X-Stackline-Timestamp": str(int(time.time())),
                "X-Stackline-Delivery": row.id,
                "X-Stackline-Event": "ALERT",
            }
            return await self._post(client, hook.url, body, headers)
        return Attempt(False, f"unknown channel {row.channel_kind!r}", retryable=False)

    async def _email(self, subject: dict[str, Any], recipients: list[str]) -> Attempt:
        if not self.smtp.host:
            return Attempt(False, "e-mail is not configured (set STACKLINE_SMTP_HOST)", retryable=False)
        message = email_message(subject, self.public_url(), self.smtp.sender, recipients)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.smtp.host,
                port=self.smtp.port,
                username=self.smtp.username,
                password=self.smtp.password,
                start_tls=self.smtp.starttls,
                timeout=self.webhooks.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            return Attempt(False, f"SMTP: recipients refused: {error}", retryable=any(c < 500 for c in codes))
        except aiosmtplib.SMTPResponseException as error:
            return Attempt(False, f"SMTP {error.code}: {error.message}", retryable=error.code < 500)
        except (aiosmtplib.SMTPException, OSError) as error:
            return Attempt(False, f"SMTP: {type(error).__name__}: {error}")
        return Attempt(True)

    async def _post(
        self, client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
    ) -> Attempt:
        try:
            async with client.stream(
                "POST", url, content=body, headers={"Content-Type": "application/json", **headers}
            ) as response:
                snippet = b""
                async for chunk in response.aiter_bytes():
                    snippet += chunk
                    if len(snippet) >= ERROR_SNIPPET:
                        break
        except httpx.HTTPError as error:
            return Attempt(False, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
        status = response.status_code
        if 200 <= status < 300:
            return Attempt(True)
        text = snippet[:ERROR_SNIPPET].decode(errors="replace").strip()
        return Attempt(
            False,
            f"HTTP {status}" + (f": {text}" if text else ""),
            retryable=self.policy.after_answer(1, status) == PENDING,
            retry_after=retry_after_seconds(response.headers.get("Retry-After"), time.time()),
        )

    async def _retry_later(self, row: Row, error: str | None, delay: float) -> None:
        # Guarded by the attempt count it read, in case a lease change let another process in.
        await write(
            self.engine,
            outbox.record_notification_attempt,
            row.id,
            row.attempts,
            {
                "attempts": row.attempts + 1,
                "last_error": error,
                "last_attempt_at": datetime.now(UTC),
                "next_attempt_at": time.time() + delay,
            },
        )
        log.info("alert notification %s attempt %d failed (%s); retrying", row.id, row.attempts + 1, error)

    async def _finish(self, row: Row, outcome: str, error: str | None, attempted: bool = True) -> None:
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "status": outcome,
            "last_error": error,
            "next_attempt_at": None,
            "finished_at": now,
        }
        if attempted:
            values.update(attempts=row.attempts + 1, last_attempt_at=now)
        if outcome == SUCCEEDED:
            values["sent_at"] = now
        changed = await write(self.engine, outbox.record_notification_attempt, row.id, row.attempts, values)
        log.info(
            "alert notification %s (%s to %s): %s%s",
            row.id,
            row.trigger,
            row.target,
            outcome,
            f" ({error})" if error else "",
        )
        if changed:
            await self._record(row.id)

    async def record_unrecorded(self) -> None:
        """Append the outcome of every finished notification whose audit event is not yet known
        to be in the log (normally none: `_finish` appends at once)."""
        for notification_id in await read(self.engine, outbox.unrecorded_notifications, 100):
            await self._record(notification_id)

    async def _record(self, notification_id: str) -> None:
        row = await read(self.engine, outbox.notification, notification_id)
        if row is None or row.status == PENDING or row.recorded_position is not None:
            return
        common = {
            "rule_id": row.rule_id,
            "notification_id": row.id,
            "issue_id": row.issue_id,
            "trigger": row.trigger,
            "channel": row.channel_kind,
            "target": row.target,
            "attempts": row.attempts,
            "monitor_slug": (orjson.loads(row.subject).get("monitor") or {}).get("slug"),
        }
        event = (
            AlertNotificationSent(**common)
            if row.status == SUCCEEDED
            else AlertNotificationFailed(**common, error=row.last_error or "")
        )
        position = await self.commands.record_notification(row.rule_id, event)
        await write(self.engine, outbox.mark_notification_recorded, row.id, position)
