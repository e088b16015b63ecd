"""The Webhook aggregate's decisions and the delivery policy, on plain data."""

from __future__ import annotations

import hashlib
import hmac
import random
from email.utils import formatdate

import pytest

from stackline.domain.organization import InvalidCommand
from stackline.domain.webhook import (
    FAILED,
    PENDING,
    SUCCEEDED,
    RetryPolicy,
    Webhook,
    WebhookChanged,
    WebhookConfig,
    WebhookCreated,
    WebhookDeleted,
    WebhookSecretRotated,
    retry_after_seconds,
    signature,
)


def created(**config: object) -> Webhook:
    webhook = Webhook()
    events = webhook.create(
        "w1",
        "org",
        7,
        WebhookConfig(
            **{
                "url": "https://example.com/hook",  # type: ignore[arg-type]
                "events": ("CREATED",),
                **config,
            }
        ),
        "secret",
    )
    return Webhook.from_events(events, 0)


def test_create_keeps_known_kinds_in_canonical_order() -> None:
    [event] = Webhook().create(
        "w1", "org", 7, WebhookConfig("https://example.com/h", ("RESOLVED", "CREATED", "CREATED")), "s"
    )
    assert event == WebhookCreated("w1", "org", 7, "https://example.com/h", ("CREATED", "RESOLVED"), "", "s")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "example.com/hook",
        "https://",
        "http://user:pw@example.com/",
        "https://example.com:99999/",
        "javascript:alert(1)",
    ],
)
def test_only_http_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(InvalidCommand, match="url"):
        Webhook().create("w1", "org", 7, WebhookConfig(url, ("CREATED",)), "s")


@pytest.mark.parametrize("events", [(), ("CREATED", "EXPLODED")])
def test_events_must_be_known_issue_change_kinds(events: tuple[str, ...]) -> None:
    with pytest.raises(InvalidCommand):
        Webhook().create("w1", "org", 7, WebhookConfig("https://example.com/", events), "s")


def test_a_change_states_the_whole_new_configuration_and_nothing_when_equal() -> None:
    webhook = created()
    assert webhook.change(WebhookConfig("https://example.com/hook", ("CREATED",))) == []
    [event] = webhook.change(WebhookConfig("https://example.com/other", ("CREATED",), "d", False))
    assert event == WebhookChanged("w1", "https://example.com/other", ("CREATED",), "d", False)


def test_a_deleted_webhook_can_no_longer_be_changed() -> None:
    webhook = created()
    webhook.apply(WebhookDeleted("w1"))
    assert not webhook.exists
    for command in (
        lambda: webhook.delete(),
        lambda: webhook.rotate_secret("x"),
        lambda: webhook.change(WebhookConfig("https://example.com/", ("CREATED",))),
    ):
        with pytest.raises(InvalidCommand, match="not found"):
            command()
    assert created().rotate_secret("new") == [WebhookSecretRotated("w1", "new")]


def test_the_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"event":"CREATED"}'
    assert signature("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert signature("k", body) != signature("other", body)


def test_answers_decide_the_delivery() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.after_answer(1, 204) == SUCCEEDED
    for retryable in (None, 500, 503, 408, 429):
        assert policy.after_answer(1, retryable) == PENDING
        assert policy.after_answer(3, retryable) == FAILED  # attempts used up
    for final in (400, 401, 404, 410, 301):
        assert policy.after_answer(1, final) == FAILED


def test_backoff_doubles_with_jitter_and_a_ceiling_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=10, max_delay=60)
    rand = random.Random(1)
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (4, 60), (9, 60)):
        delays = [policy.delay(attempts, rand=rand) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    assert policy.delay(1, retry_after=30) == 30
    assert policy.delay(1, retry_after=3600) == 60


def test_retry_after_is_seconds_or_an_http_date() -> None:
    assert retry_after_seconds("120", 0) == 120
    assert retry_after_seconds(formatdate(1_000_030, usegmt=True), 1_000_000) == pytest.approx(30)
    assert retry_after_seconds("soon", 0) is None
    assert retry_after_seconds(None, 0) is None
