"""The ingest routes SDKs post to: `/api/{project_id}/envelope/` and `/api/{project_id}/store/`.

Untrusted input from the internet: bodies are read and decompressed under hard limits, every
rejection is a 4xx with a one-line JSON `detail`, and nothing is appended unless the whole
request is acceptable. What the items become is decided by `stackline.domain.intake`
(normalized, scrubbed); attachment bytes are made durable first, then all of a request's
events go into one all-or-nothing append, and only then is the 200 sent.
Browser SDKs get CORS answers (preflight included); the project's allowed origins apply.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import brotli
import orjson
import zstandard
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stackline.app.intake_pool import IntakeBusy, IntakeJob
from stackline.app.lookups import ProjectKey
from stackline.app.wiring import Services
from stackline.domain.envelope import (
    Envelope,
    EnvelopeError,
    dsn_public_key,
    parse_envelope,
    parse_sentry_auth,
)
from stackline.domain.intake import Intake, IntakeError, IntakeSettings, Plan, plan_envelope

T = TypeVar("T")

READ_YOUR_WRITES_SECONDS = 2.0
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "x-sentry-auth, x-requested-with, origin, accept, content-type, "
    "content-encoding, authentication, authorization, sentry-trace, baggage",
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
    "Access-Control-Max-Age": "3600",
}


class Rejected(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def reject(error: Rejected, request: Request) -> Response:
    headers = {**cors_headers(request), **error.headers, "X-Sentry-Error": error.detail[:200]}
    return JSONResponse({"detail": error.detail}, status_code=error.status, headers=headers)


def cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if not origin:
        return {}
    return {**CORS_HEADERS, "Access-Control-Allow-Origin": origin, "Vary": "Origin"}


async def receive(request: Request) -> bytes:
    """The body as received; it may not exceed the envelope limit (chunked bodies are counted
    as they arrive)."""
    limit = request.app.state.services.settings.limits.max_envelope_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


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


async def decoded(request: Request, job: IntakeJob, limit: int, parse: Callable[[bytes], T]) -> T:
    """The received body, decompressed and `parse`d, on the loop when it is small, else in an
    intake worker (a small compressed body that inflates past the inline size moves there too)."""
    raw = await receive(request)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    inline = job.pool.settings.inline_bytes
    if len(raw) < inline:
        try:
            body = decompress(raw, encoding, min(limit, inline))
        except DecompressedTooBig:
            if limit <= inline:
                raise
        else:
            return parse(body)
    return await job.run(max(len(raw), inline), lambda: parse(decompress(raw, encoding, limit)))


def public_key_from(request: Request, envelope_headers: dict[str, Any] | None = None) -> str | None:
    header = request.headers.get("x-sentry-auth")
    if header:
        key = parse_sentry_auth(header).get("sentry_key")
        if key:
            return key
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("sentry "):
        key = parse_sentry_auth(authorization).get("sentry_key")
        if key:
            return key
    if key := request.query_params.get("sentry_key"):
        return key
    if envelope_headers and isinstance(envelope_headers.get("dsn"), str):
        return dsn_public_key(envelope_headers["dsn"])
    return None


async def authenticate(request: Request, services: Services, public_key: str | None) -> ProjectKey:
    try:
        project_id = int(request.path_params["project_id"])
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
    origin = request.headers.get("origin")
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


async def store_plan(services: Services, key: ProjectKey, plan: Plan, now: float) -> None:
    for blob in plan.blobs:
        await services.blobs.put(blob.sha256, blob.data)
    if plan.events:
        assert services.personal is not None
        events = await services.personal.seal_plan(key.organization_id, plan.events, plan.payloads)
        await services.commands.receive_intake(key.project_id, events)
    items = sum(plan.counts.values())
    services.limiter.count_key(key.public_key, now, items)
    services.limiter.count_quota(key.project_id, sum(n for c, n in plan.counts.items() if c == "error"))


def intake_for(request: Request, key: ProjectKey, now: float) -> Intake:
    client_ip = request.client.host if request.client else None
    limits = request.app.state.services.settings.limits
    return Intake(
        key.organization_id,
        key.project_id,
        now,
        IntakeSettings(key.scrub, key.keep_ip, limits.max_event_bytes, limits.max_attachment_bytes),
        client_ip,
    )


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


async def envelope_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    limits = services.settings.limits
    key: ProjectKey | None = None
    job = services.intake_pool.job()
    try:
        envelope = await decoded(request, job, limits.max_envelope_bytes, envelope_of)
        key = await authenticate(request, services, public_key_from(request, envelope.headers))
        now = time.time()
        await admit(services, key, now)
        intake = intake_for(request, key, now)
        plan = await job.run(envelope.size, lambda: plan_envelope(envelope, intake))
        await store_plan(services, key, plan, now)
    except IntakeError as error:
        assert key is not None
        services.outcomes.add(key.organization_id, key.project_id, "error", "invalid", "invalid_item")
        return reject(Rejected(error.status, str(error)), request)
    except Rejected as error:
        return reject(error, request)
    except IntakeBusy:
        return reject(busy(), request)
    finally:
        job.release()
    return JSONResponse({"id": plan.response_id} if plan.response_id else {}, headers=cors_headers(request))


async def store_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    key: ProjectKey | None = None
    job = services.intake_pool.job()
    try:
        limits = services.settings.limits
        body = await decoded(request, job, limits.max_envelope_bytes, bytes)
        key = await authenticate(request, services, public_key_from(request))
        now = time.time()
        await admit(services, key, now)
        if len(body) > limits.max_event_bytes:
            raise Rejected(413, f"event exceeds {limits.max_event_bytes} bytes")
        intake, plan = intake_for(request, key, now), Plan()

        def plan_event() -> None:
            payload = store_payload(body)
            if payload.get("type") == "transaction":
                intake.transaction(plan, payload, None)
            else:
                intake.error_event(plan, payload, None)

        await job.run(len(body), plan_event)
        await store_plan(services, key, plan, now)
    except IntakeError as error:
        assert key is not None
        services.outcomes.add(key.organization_id, key.project_id, "error", "invalid", "invalid_item")
        return reject(Rejected(error.status, str(error)), request)
    except Rejected as error:
        return reject(error, request)
    except IntakeBusy:
        return reject(busy(), request)
    finally:
        job.release()
    return JSONResponse({"id": plan.response_id}, headers=cors_headers(request))


async def preflight(request: Request) -> Response:
    """CORS preflight of browser SDKs: no credentials are sent, so every origin is answered
    here; the project's allowed origins are enforced on the POST itself."""
    return Response(status_code=200, headers=cors_headers(request) or CORS_HEADERS)


routes = [
    Route("/api/{project_id}/envelope/", envelope_endpoint, methods=["POST"]),
    Route("/api/{project_id}/store/", store_endpoint, methods=["POST"]),
    Route("/api/{project_id}/envelope/", preflight, methods=["OPTIONS"]),
    Route("/api/{project_id}/store/", preflight, methods=["OPTIONS"]),
]
