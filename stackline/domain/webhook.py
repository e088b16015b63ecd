"""The Webhook aggregate: one HTTP endpoint of a project that hears about its issue changes.

It decides what creating, changing, re-keying and deleting a webhook means, given the events
of its stream (`webhook-{id}`), and answers with new events. The signing secret is part of the
stream because the delivery worker needs it to sign; the API shows it only once, in the answer
to the command that made it. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from stackline.domain.events import DomainEvent, register
from stackline.domain.issue import ISSUE_CHANGE_KINDS  # what a webhook can ask for: every kind
from stackline.domain.organization import InvalidCommand

MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500


def stream_name(webhook_id: str) -> str:
    return f"webhook-{webhook_id}"


@register
@dataclass(frozen=True, slots=True)
class WebhookCreated(DomainEvent):
    webhook_id: str
    organization_id: str
    project_id: int
    url: str
    events: tuple[str, ...]
    description: str
    secret: str


@register
@dataclass(frozen=True, slots=True)
class WebhookChanged(DomainEvent):
    """The webhook's whole configuration after the change (not a diff)."""

    webhook_id: str
    url: str
    events: tuple[str, ...]
    description: str
    is_active: bool


@register
@dataclass(frozen=True, slots=True)
class WebhookSecretRotated(DomainEvent):
    webhook_id: str
    secret: str


@register
@dataclass(frozen=True, slots=True)
class WebhookDeleted(DomainEvent):
    webhook_id: str


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    events: tuple[str, ...]
    description: str = ""
    is_active: bool = True


def check_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidCommand(f"url must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidCommand(f"url {url!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCommand(f"url {url!r} must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise InvalidCommand("url must not carry credentials; receivers check the signature instead")
    return url


def check_events(events: Sequence[str]) -> tuple[str, ...]:
    if not events:
        raise InvalidCommand("name at least one issue change kind in events")
    unknown = sorted(set(events) - set(ISSUE_CHANGE_KINDS))
    if unknown:
        raise InvalidCommand(f"unknown issue change kinds: {', '.join(unknown)}")
    return tuple(kind for kind in ISSUE_CHANGE_KINDS if kind in events)  # canonical order, no repeats


def check_config(config: WebhookConfig) -> WebhookConfig:
    if len(config.description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidCommand(f"description must be at most {MAX_DESCRIPTION_LENGTH} characters")
    return WebhookConfig(
        check_url(config.url), check_events(config.events), config.description, config.is_active
    )


@dataclass(slots=True)
class Webhook:
    id: str | None = None
    organization_id: str | None = None
    project_id: int | None = None
    config: WebhookConfig | None = None
    deleted: bool = False
    version: int = -1

    @classmethod
    def from_events(cls, events: Iterable[DomainEvent], version: int = -1) -> Webhook:
        webhook = cls(version=version)
        for event in events:
            webhook.apply(event)
        return webhook

    @property
    def exists(self) -> bool:
        return self.id is not None and not self.deleted

    def apply(self, event: DomainEvent) -> None:
        match event:
            case WebhookCreated() as e:
                self.id, self.organization_id, self.project_id = e.webhook_id, e.organization_id, e.project_id
                self.config = WebhookConfig(e.url, tuple(e.events), e.description, True)
            case WebhookChanged() as e:
                self.config = WebhookConfig(e.url, tuple(e.events), e.description, e.is_active)
            case WebhookDeleted():
                self.deleted = True

    def create(
        self, webhook_id: str, organization_id: str, project_id: int, config: WebhookConfig, secret: str
    ) -> list[DomainEvent]:
        if self.id is not None:
            raise InvalidCommand("webhook already exists")
        config = check_config(config)
        return [
            WebhookCreated(
                webhook_id, organization_id, project_id, config.url, config.events, config.description, secret
            )
        ]

    def change(self, config: WebhookConfig) -> list[DomainEvent]:
        self._require_existing()
        config = check_config(config)
        if config == self.config:
            return []
        return [WebhookChanged(self.id, config.url, config.events, config.description, config.is_active)]  # type: ignore[arg-type]

    def rotate_secret(self, secret: str) -> list[DomainEvent]:
        self._require_existing()
        return [WebhookSecretRotated(self.id, secret)]  # type: ignore[arg-type]

    def delete(self) -> list[DomainEvent]:
        self._require_existing()
        return [WebhookDeleted(self.id)]  # type: ignore[arg-type]

    def _require_existing(self) -> None:
        if not self.exists:
            raise InvalidCommand("webhook not found")


# -- delivering --------------------------------------------------------------------------------
# How a delivery is signed and what an answer means for it: pure decisions the sender applies.

PENDING, SUCCEEDED, FAILED = "PENDING", "SUCCEEDED", "FAILED"


def signature(secret: str, body: bytes) -> str:
    """The `X-Stackline-Signature` header: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_retryable(status_code: int) -> bool:
    """Worth another attempt: server errors, 408 and 429. Any other 4xx (or 3xx: redirects are
    not followed) is the receiver's final word."""
    return status_code >= 500 or status_code in (408, 429)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A `Retry-After` header (delay in seconds, or an HTTP date) as seconds from `now`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 10.0  # seconds before the second attempt, doubling after each failure
    max_delay: float = 3600.0

    def delay(
        self, attempts: int, retry_after: float | None = None, rand: random.Random | None = None
    ) -> float:
        """Seconds to wait after the `attempts`-th failed attempt: exponential with equal
        jitter (half fixed, half random, so receivers recovering from an outage are not hit by
        every sender at once); a receiver's `Retry-After` wins, up to `max_delay`."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        # 2.0, not 2: `int ** int` is typed Any (a negative exponent makes a float).
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (attempts - 1))
        return ceiling / 2 + (rand or random).uniform(0, ceiling / 2)

    def after_answer(self, attempts: int, status_code: int | None) -> str:
        """The delivery's status after its `attempts`-th attempt got `status_code` (None: no
        answer at all, e.g. a refused connection or a timeout)."""
        if status_code is not None and 200 <= status_code < 300:
            return SUCCEEDED
        if (status_code is None or is_retryable(status_code)) and attempts < self.max_attempts:
            return PENDING
        return FAILED
