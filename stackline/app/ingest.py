"""The ingest routes SDKs post to: `/api/{project_id}/envelope/` and `/api/{project_id}/store/`.

Untrusted input from the internet: bodies are read and decompressed under hard limits, every
rejection is a 4xx with a one-line JSON `detail`, and nothing is appended unless the whole
request is acceptable. The 200 is sent only after the event store has made the append durable.
"""

from __future__ import annotations

import re
import time
import uuid
import zlib
from typing import Any

import brotli
import orjson
import zstandard
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stackline.app.lookups import ProjectKey
from stackline.app.wiring import Services
from stackline.domain.envelope import EnvelopeError, dsn_public_key, parse_envelope, parse_sentry_auth

MAX_BODY_BYTES = 20 * 1024 * 1024  # compressed, as received
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_EVENT_BYTES = 1024 * 1024
READ_YOUR_WRITES_SECONDS = 2.0
EVENT_ID = re.compile(r"^[0-9a-f]{32}$")


class Rejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def reject(error: Rejected) -> Response:
    return JSONResponse({"detail": error.detail}, status_code=error.status)


async def read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Rejected(413, f"request body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return _inflate(body, zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _inflate(body, zlib.MAX_WBITS)
    if encoding == "br":
        return _unbrotli(body)
    if encoding == "zstd":
        return _unzstd(body)
    raise Rejected(415, "unsupported content-encoding (use gzip, deflate, br or zstd)")


def _too_big() -> Rejected:
    return Rejected(413, f"decompressed body exceeds {MAX_DECOMPRESSED_BYTES} bytes")


def _unbrotli(body: bytes) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        data = decompressor.process(body, output_buffer_limit=MAX_DECOMPRESSED_BYTES + 1)
    except brotli.error:
        raise Rejected(400, "body is not valid brotli data") from None
    if len(data) > MAX_DECOMPRESSED_BYTES or not decompressor.can_accept_more_data():
        raise _too_big()
    if not decompressor.is_finished():
        raise Rejected(400, "brotli body is truncated")
    return data


def _unzstd(body: bytes) -> bytes:
    try:
        with zstandard.ZstdDecompressor().stream_reader(body) as reader:
            data = reader.read(MAX_DECOMPRESSED_BYTES + 1)
    except zstandard.ZstdError:
        raise Rejected(400, "body is not valid zstd data") from None
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise _too_big()
    return data


def _inflate(body: bytes, wbits: int) -> bytes:
    """Decompress with a hard cap on the output, so a compression bomb costs nothing."""
    decompressor = zlib.decompressobj(wbits)
    try:
        data = decompressor.decompress(body, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as error:
        raise Rejected(400, f"body is not valid compressed data: {error}") from None
    if len(data) > MAX_DECOMPRESSED_BYTES or decompressor.unconsumed_tail:
        raise _too_big()
    if not decompressor.eof:
        raise Rejected(400, "compressed body is truncated")
    return data


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
    if key is None and services.projector_running:
        # The key may have been created a moment ago and still be on its way to the read model.
        await services.projector.wait_for(await services.store.head_position(), READ_YOUR_WRITES_SECONDS)
        key = await services.lookups.project_key(public_key)
    if key is None:
        raise Rejected(403, "unknown sentry_key")
    if not key.is_active:
        raise Rejected(403, "sentry_key is disabled")
    if key.project_id != project_id:
        raise Rejected(403, "sentry_key does not belong to this project")
    return key


def event_id_of(payload: dict[str, Any], fallback: Any = None) -> str:
    raw = payload.get("event_id") or fallback
    if raw is None:
        return uuid.uuid4().hex
    event_id = str(raw).replace("-", "").lower()
    if not EVENT_ID.match(event_id):
        raise Rejected(400, "event_id must be 32 hexadecimal characters")
    return event_id


def parse_event(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_EVENT_BYTES:
        raise Rejected(413, f"event exceeds {MAX_EVENT_BYTES} bytes")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Rejected(400, f"event is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "event must be a JSON object")
    return payload


async def accept(services: Services, key: ProjectKey, payload: dict[str, Any], event_id: str) -> None:
    payload["event_id"] = event_id
    await services.commands.receive_error_event(key.organization_id, key.project_id, event_id, time.time(), payload)


async def envelope_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        body = await read_body(request)
        try:
            envelope = parse_envelope(body)
        except EnvelopeError as error:
            raise Rejected(400, f"invalid envelope: {error}") from None
        key = await authenticate(request, services, public_key_from(request, envelope.headers))
        accepted: list[tuple[dict[str, Any], str]] = []
        for item in envelope.items:
            if item.type == "event":
                payload = parse_event(item.payload)
                accepted.append((payload, event_id_of(payload, envelope.headers.get("event_id"))))
        for payload, event_id in accepted:
            await accept(services, key, payload, event_id)
    except Rejected as error:
        return reject(error)
    event_id = accepted[0][1] if accepted else envelope.headers.get("event_id")
    return JSONResponse({"id": event_id} if event_id else {})


async def store_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        body = await read_body(request)
        key = await authenticate(request, services, public_key_from(request))
        payload = parse_event(body)
        event_id = event_id_of(payload)
        await accept(services, key, payload, event_id)
    except Rejected as error:
        return reject(error)
    return JSONResponse({"id": event_id})


routes = [
    Route("/api/{project_id}/envelope/", envelope_endpoint, methods=["POST"]),
    Route("/api/{project_id}/store/", store_endpoint, methods=["POST"]),
]
