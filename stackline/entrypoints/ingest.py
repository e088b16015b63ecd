"""The ingest routes SDKs post to: `/api/{project_id}/envelope/` and `/api/{project_id}/store/`.

The HTTP side only: the body is read under the envelope limit (chunked bodies counted as they
arrive), decompressed and parsed on the loop when small or in an intake worker when large, the
key taken from wherever an SDK puts it, and every `Rejected` answered as a 4xx with a one-line
JSON `detail` (and `X-Sentry-Error`). What the body becomes is the ingest service's
(`stackline/app/ingest.py`); the 200 is sent only once it has appended the request's events.
Browser SDKs get CORS answers (preflight included); the project's allowed origins apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stackline.app.ingest import (
    DecompressedTooBig,
    Rejected,
    admit,
    busy,
    decompress,
    envelope_of,
    project_key,
    store_payload,
    store_plan,
)
from stackline.app.intake_pool import IntakeBusy, IntakeJob
from stackline.app.lookups import ProjectKey
from stackline.app.wiring import Services
from stackline.domain.envelope import dsn_public_key, parse_sentry_auth
from stackline.domain.intake import Intake, IntakeError, IntakeSettings, Plan, plan_envelope

T = TypeVar("T")

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "x-sentry-auth, x-requested-with, origin, accept, content-type, "
    "content-encoding, authentication, authorization, sentry-trace, baggage",
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
    "Access-Control-Max-Age": "3600",
}


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
    return await project_key(
        services, request.path_params["project_id"], public_key, request.headers.get("origin")
    )


def intake_for(request: Request, key: ProjectKey, now: float, size: int) -> Intake:
    """The intake of a body of `size` bytes; one large enough for an intake worker keeps no
    prepared payloads for sealing (`Intake`'s `keep_payloads`)."""
    client_ip = request.client.host if request.client else None
    services = request.app.state.services
    limits = services.settings.limits
    return Intake(
        key.organization_id,
        key.project_id,
        now,
        IntakeSettings(key.scrub, key.keep_ip, limits.max_event_bytes, limits.max_attachment_bytes),
        client_ip,
        keep_payloads=size < services.intake_pool.settings.inline_bytes,
    )


def refusal(
    error: IntakeError | Rejected | IntakeBusy, request: Request, services: Services, key: ProjectKey | None
) -> Response:
    """The 4xx (or 503) answer to a refused request; an invalid item counts as an `invalid`
    outcome of the key's project (the key is known by then: items are planned after it)."""
    if isinstance(error, IntakeError):
        assert key is not None
        services.outcomes.add(key.organization_id, key.project_id, "error", "invalid", "invalid_item")
        return reject(Rejected(error.status, str(error)), request)
    if isinstance(error, IntakeBusy):
        return reject(busy(), request)
    return reject(error, request)


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
        intake = intake_for(request, key, now, envelope.size)
        plan = await job.run(envelope.size, lambda: plan_envelope(envelope, intake))
        await store_plan(services, key, plan, now, job, envelope.size)
    except (IntakeError, Rejected, IntakeBusy) as error:
        return refusal(error, request, services, key)
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
        intake, plan = intake_for(request, key, now, len(body)), Plan()

        def plan_event() -> None:
            payload = store_payload(body)
            if payload.get("type") == "transaction":
                intake.transaction(plan, payload, None)
            else:
                intake.error_event(plan, payload, None)

        await job.run(len(body), plan_event)
        await store_plan(services, key, plan, now, job, len(body))
    except (IntakeError, Rejected, IntakeBusy) as error:
        return refusal(error, request, services, key)
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
