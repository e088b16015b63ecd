"""Every Content-Encoding SDKs use is accepted; a compression bomb is refused without storing."""

from __future__ import annotations

import gzip
import json
import time
import uuid
import zlib

import brotli
import httpx
import pytest
import zstandard

from tests.e2e.server import Server

COMPRESS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.fixture(scope="module")
def project(server: Server) -> dict:
    boot = server.bootstrap("zipco", "api")
    boot["key"] = boot["dsn"].split("//")[1].split("@")[0]
    boot["id"] = boot["dsn"].rsplit("/", 1)[1]
    return boot


def envelope(message: str) -> tuple[str, bytes]:
    event_id = uuid.uuid4().hex
    lines = [{"event_id": event_id}, {"type": "event"}, {"event_id": event_id, "message": message}]
    return event_id, b"\n".join(json.dumps(line).encode() for line in lines)


def post(server: Server, project: dict, body: bytes, encoding: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/{project['id']}/envelope/",
        content=body,
        headers={
            "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={project['key']}",
            "Content-Encoding": encoding,
        },
    )


@pytest.mark.parametrize("encoding", sorted(COMPRESS))
def test_each_encoding_is_accepted_and_stored(server: Server, project: dict, encoding: str) -> None:
    event_id, body = envelope(f"compressed with {encoding}")
    response = post(server, project, COMPRESS[encoding](body), encoding)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event_id}
    query = (
        'query ($e: String!) { project(organizationSlug: "zipco", slug: "api") { event(eventId: $e) { '
        "message } } }"
    )
    deadline = time.monotonic() + 10  # durable at the 200; the read model may lag a moment behind
    while (
        found := server.graphql(query, {"e": event_id}, project["token"])["data"]["project"]["event"]
    ) is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert found["message"] == f"compressed with {encoding}"


@pytest.mark.parametrize("encoding", sorted(COMPRESS))
def test_a_compression_bomb_is_refused_and_nothing_is_stored(
    server: Server, project: dict, encoding: str
) -> None:
    stored = server.stored_events()
    _, body = envelope("x")
    bomb = body[:-2] + b" " * (200 * 1024 * 1024) + b'"}'  # 200 MiB of padding inside the message
    compressed = COMPRESS[encoding](bomb)
    assert len(compressed) < 2 * 1024 * 1024
    response = post(server, project, compressed, encoding)
    assert response.status_code == 413 and "exceeds" in response.json()["detail"]
    assert server.stored_events() == stored


def test_an_unknown_encoding_is_a_clear_415(server: Server, project: dict) -> None:
    response = post(server, project, b"whatever", "lzma")
    assert response.status_code == 415 and "content-encoding" in response.json()["detail"]
