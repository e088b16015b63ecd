"""The webhook sender: POSTs queued deliveries, signed, and records every attempt.

It picks PENDING rows of `webhook_deliveries` whose time has come (the webhook projector
queued them, `stackline/projections/webhooks.py`), sends each in a task of its own and writes
the outcome back: SUCCEEDED on a 2xx, PENDING with a later `next_attempt_at` after a network
error, a timeout, a 5xx, 408 or 429 (exponential backoff with jitter, `Retry-After` honoured),
FAILED on any other answer or once the attempts are used up. The body and the delivery id are
the same on every attempt, so receivers can dedupe.

It never blocks anything else: each attempt has a deadline, at most `PER_WEBHOOK` attempts per
webhook are in flight (a slow receiver ties up only its own slots) and it runs only in the
process that holds the `webhooks` projector's lease, so two processes never send one delivery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime

import httpx
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from stackline.app.settings import WebhookSettings
from stackline.domain.webhook import FAILED, PENDING, RetryPolicy, retry_after_seconds, signature
from stackline.projections.runner import ProjectorRunner
from stackline.readmodels import outbox
from stackline.readmodels.reads import read, write

log = logging.getLogger(__name__)
PER_WEBHOOK = 4
ERROR_SNIPPET = 500  # bytes of a failed answer's body kept in the log
USER_AGENT = "stackline-webhooks/1"


class WebhookSender:
    def __init__(self, engine: AsyncEngine, settings: WebhookSettings, projector: ProjectorRunner) -> None:
        self.engine = engine
        self.settings = settings
        self.policy = RetryPolicy(settings.max_attempts, settings.base_delay, settings.max_delay)
        self.projector = projector  # whose lease decides which process sends
        self._in_flight: dict[str, set[str]] = defaultdict(set)  # webhook id -> delivery ids
        self._tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due deliveries now (the projector queued some)."""
        self._wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(
            timeout=self.settings.timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        ) as client:
            try:
                while True:
                    if self.projector.running:
                        await self.dispatch_due(client)
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
                    except TimeoutError:
                        pass
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def dispatch_due(self, client: httpx.AsyncClient) -> None:
        """Start an attempt for each due delivery, up to each webhook's free slots."""
        rows = await read(self.engine, outbox.due_deliveries, time.time(), self._in_flight, PER_WEBHOOK)
        for row in rows:
            self._in_flight[row.webhook_id].add(row.id)
            task = asyncio.get_running_loop().create_task(
                self._attempt(client, row), name=f"webhook {row.id}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Row) -> None:
        try:
            hook = await read(self.engine, outbox.webhook_to_send, delivery.webhook_id)
            if hook is None or not hook.is_active:
                await self._record(
                    delivery,
                    FAILED,
                    None,
                    "webhook deleted" if hook is None else "webhook disabled",
                    attempted=False,
                )
                return
            status_code, error, retry_after = await self._post(client, hook, delivery)
            attempts = delivery.attempts + 1
            outcome = self.policy.after_answer(attempts, status_code)
            delay = self.policy.delay(attempts, retry_after) if outcome == PENDING else None
            await self._record(delivery, outcome, status_code, error, delay=delay)
        except Exception:  # noqa: BLE001 - one delivery's trouble must not end the sender
            log.exception("webhook delivery %s: attempt failed unexpectedly", delivery.id)
        finally:
            self._in_flight[delivery.webhook_id].discard(delivery.id)
            if not self._in_flight[delivery.webhook_id]:
                del self._in_flight[delivery.webhook_id]

    async def _post(
        self, client: httpx.AsyncClient, hook: Row, delivery: Row
    ) -> tuple[int | None, str | None, float | None]:
        """One attempt: (status code or None, error or None, Retry-After seconds or None)."""
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "X-Stackline-Signature": signature(hook.secret, body),
            "X-Stackline-Timestamp": str(int(time.time())),
            "X-Stackline-Delivery": delivery.id,
            "X-Stackline-Event": delivery.event,
        }
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with client.stream("POST", hook.url, content=body, headers=headers) as response:
                    snippet = b""
                    async for chunk in response.aiter_bytes():
                        snippet += chunk
                        if len(snippet) >= ERROR_SNIPPET:
                            break
        except TimeoutError:
            return None, f"timed out after {self.settings.timeout:g} s", None
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__, None
        if 200 <= response.status_code < 300:
            return response.status_code, None, None
        text = snippet[:ERROR_SNIPPET].decode(errors="replace").strip()
        failure = f"HTTP {response.status_code}" + (f": {text}" if text else "")
        return (
            response.status_code,
            failure,
            retry_after_seconds(response.headers.get("Retry-After"), time.time()),
        )

    async def _record(
        self,
        delivery: Row,
        outcome: str,
        status_code: int | None,
        error: str | None,
        delay: float | None = None,
        attempted: bool = True,
    ) -> None:
        now = datetime.now(UTC)
        values: dict = {"status": outcome, "response_status": status_code, "last_error": error}
        if attempted:
            values.update(attempts=delivery.attempts + 1, last_attempt_at=now)
        if outcome == PENDING:
            values["next_attempt_at"] = time.time() + (delay or 0.0)
        else:
            values.update(next_attempt_at=None, finished_at=now)
        # Guarded by the attempt count it read, in case a lease change let another process in.
        await write(self.engine, outbox.record_delivery_attempt, delivery.id, delivery.attempts, values)
        log.info(
            "webhook delivery %s (%s) attempt %d: %s%s",
            delivery.id,
            delivery.event,
            delivery.attempts + 1,
            outcome,
            f" ({error})" if error else "",
        )
