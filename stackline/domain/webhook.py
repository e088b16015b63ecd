"""The Webhook aggregate: one HTTP endpoint of a project that hears about its issue changes.

It decides what creating, changing, re-keying and deleting a webhook means, given the events
of its stream (`webhook-{id}`), and answers with new events. The signing secret is part of the
stream because the delivery worker needs it to sign; the API shows it only once, in the answer
to the command that made it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from stackline.domain.events import DomainEvent, register
from stackline.domain.organization import InvalidCommand

# The kinds of issue change a webhook can ask for: those the issue projection publishes.
ISSUE_CHANGE_KINDS = ("CREATED", "UPDATED", "REGRESSED", "RESOLVED", "IGNORED", "ASSIGNED", "MERGED", "UNMERGED")
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
    return WebhookConfig(check_url(config.url), check_events(config.events), config.description, config.is_active)


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

    def create(self, webhook_id: str, organization_id: str, project_id: int, config: WebhookConfig,
               secret: str) -> list[DomainEvent]:
        if self.id is not None:
            raise InvalidCommand("webhook already exists")
        config = check_config(config)
        return [WebhookCreated(webhook_id, organization_id, project_id, config.url, config.events,
                               config.description, secret)]

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
