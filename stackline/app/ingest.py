"""The ingest service: what happens to a request's body once the HTTP entry point
(`stackline/entrypoints/ingest.py`) has read it.

Untrusted input from the internet: bodies are decompressed under hard limits, and every
rejection is a `Rejected` with a 4xx status and a one-line detail. The key must name the URL's
project, be active and allow the origin; rates and quotas are checked before any work. What the
items become is decided by `stackline.domain.intake` (normalized, scrubbed); attachment bytes are
made durable first, then the personal fields are sealed (`app/personal_keys.py`) and all of a
request's events go into one all-or-nothing append; only after that may the 200 be sent.
"""

from __future__ import annotations

import zlib
from functools import partial
from typing import Any

import brotli
import orjson
import zstandard

from stackline.app.intake_pool import IntakeBusy, IntakeJob
from stackline.app.lookups import ProjectKey
from stackline.app.wiring import Services
from stackline.domain.envelope import Envelope, EnvelopeError, parse_envelope
from stackline.domain.intake import Plan

READ_YOUR_WRITES_SECONDS = 2.0


class Rejected(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


class DecompressedTooBig(Rejected):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"decompressed body exceeds {limit} bytes")


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """`body` decompressed as `encoding` (a Content-Encoding value) names it; its output may not
    exceed `limit` bytes (DecompressedTooBig), so a compression bomb costs bounded memory."""
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return _inflate(body, zlib.MAX_WBITS | 16, limit)
    if encoding == "deflate":
        return _inflate(body, zlib.MAX_WBITS, limit)
    if encoding == "br":
        return _unbrotli(body, limit)
    if encoding == "zstd":
        return _unzstd(body, limit)
    raise Rejected(415, "unsupported content-encoding (use gzip, deflate, br or zstd)")


def _unbrotli(body: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        data = decompressor.process(body, output_buffer_limit=limit + 1)
    except brotli.error:
        raise Rejected(400, "body is not valid brotli data") from None
    if len(data) > limit or not decompressor.can_accept_more_data():
        raise DecompressedTooBig(limit)
    if not decompressor.is_finished():
        raise Rejected(400, "brotli body is truncated")
    return data


def _unzstd(body: bytes, limit: int) -> bytes:
    try:
        with zstandard.ZstdDecompressor().stream_reader(body) as reader:
            data = reader.read(limit + 1)
    except zstandard.ZstdError:
        raise Rejected(400, "body is not valid zstd data") from None
    if len(data) > limit:
        raise DecompressedTooBig(limit)
    return data


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """Decompress with a hard cap on the output, so a compression bomb costs bounded memory."""
    decompressor = zlib.decompressobj(wbits)
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as error:
        raise Rejected(400, f"body is not valid compressed data: {error}") from None
    if len(data) > limit or decompressor.unconsumed_tail:
        raise DecompressedTooBig(limit)
    if not decompressor.eof:
        raise Rejected(400, "compressed body is truncated")
    return data


async def project_key(
    services: Services, project_id_text: str, public_key: str | None, origin: str | None
) -> ProjectKey:
    """The project key a request authenticates with, checked against the URL's project and the
    request's origin; refused with 400, 401 or 403."""
    try:
        project_id = int(project_id_text)
    except ValueError:
        raise Rejected(400, "project id in the URL must be a number") from None
    if not public_key:
        raise Rejected(401, "missing authentication: send X-Sentry-Auth with sentry_key, or ?sentry_key=")
    key = await services.lookups.project_key(public_key)
    if key is None:
        # The key may have been created a moment ago and still be on its way to the read model
        # (projected here, or by a projector process whose checkpoint we watch).
        await services.projector.wait_for(await services.store.head_position(), READ_YOUR_WRITES_SECONDS)
        key = await services.lookups.project_key(public_key)
    if key is None:
        raise Rejected(403, "unknown sentry_key")
    if not key.is_active:
        raise Rejected(403, "sentry_key is disabled")
    if key.project_id != project_id:
        raise Rejected(403, "sentry_key does not belong to this project")
    if (
        origin
        and key.allowed_origins
        and "*" not in key.allowed_origins
        and origin not in key.allowed_origins
    ):
        raise Rejected(403, "origin not allowed for this project")
    return key


async def admit(services: Services, key: ProjectKey, now: float) -> None:
    """Refuse with 429 when the key's rate or the project's monthly quota is used up."""
    limited = services.limiter.check_key(
        key.public_key, key.rate_limit_per_second, key.rate_limit_per_minute, now
    )
    if limited is None:
        limited = await services.limiter.check_quota(key.project_id, key.monthly_event_quota, now)
    if limited is not None:
        services.outcomes.add(key.organization_id, key.project_id, "error", "rate_limited", limited.reason)
        raise Rejected(
            429,
            f"rate limited ({limited.reason}); retry after {limited.retry_after} s",
            {"Retry-After": str(limited.retry_after), "X-Sentry-Rate-Limits": limited.header()},
        )


async def store_plan(
    services: Services, key: ProjectKey, plan: Plan, now: float, job: IntakeJob, size: int
) -> None:
    """Make the plan durable: attachment bytes first, then its events sealed (on the loop for a
    small body, in the request's intake worker for a `size` that planned there) and appended."""
    for blob in plan.blobs:
        await services.blobs.put(blob.sha256, blob.data)
    if plan.events:
        assert services.personal is not None
        events = await services.personal.seal_plan(
            key.organization_id, plan.events, plan.payloads, run=partial(job.run, size)
        )
        await services.commands.receive_intake(key.project_id, events)
    items = sum(plan.counts.values())
    services.limiter.count_key(key.public_key, now, items)
    services.limiter.count_quota(key.project_id, sum(n for c, n in plan.counts.items() if c == "error"))


def envelope_of(body: bytes) -> Envelope:
    try:
        return parse_envelope(body)
    except EnvelopeError as error:
        raise Rejected(400, f"invalid envelope: {error}") from None


def store_payload(body: bytes) -> dict[str, Any]:
    """A `/store/` body: one JSON event object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Rejected(400, f"event is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "event must be a JSON object")
    return payload


def busy() -> Rejected:
    return Rejected(
        503,
        "too many large bodies are being processed; retry later",
        {"Retry-After": str(IntakeBusy.retry_after)},
    )
