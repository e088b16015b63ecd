"""Property: whatever bytes arrive at the ingest route, the answer is never a 5xx, and a
refused request leaves every stored byte as it was."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.server import Server

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
item_types = st.sampled_from(
    [
        "event",
        "transaction",
        "attachment",
        "session",
        "sessions",
        "client_report",
        "check_in",
        "user_report",
        "feedback",
        "profile",
        "",
        "\u0000",
    ]
)


@st.composite
def envelopes(draw: st.DrawFn) -> bytes:
    """Envelope-shaped bytes: headers and items that are sometimes right and often not."""
    header = draw(
        st.one_of(
            st.just({}),
            st.dictionaries(st.sampled_from(["event_id", "dsn", "sent_at", "x"]), json_values, max_size=3),
        )
    )
    lines = [json.dumps(header).encode() if draw(st.booleans()) else draw(st.binary(max_size=30))]
    for _ in range(draw(st.integers(0, 3))):
        payload = (
            json.dumps(draw(json_values)).encode() if draw(st.booleans()) else draw(st.binary(max_size=60))
        )
        item: dict = {"type": draw(item_types)}
        if draw(st.booleans()):
            item["length"] = draw(st.one_of(st.just(len(payload)), st.integers(-5, 200), st.text(max_size=3)))
        if draw(st.booleans()):
            item.update(
                draw(
                    st.dictionaries(
                        st.sampled_from(["content_type", "filename", "attachment_type"]),
                        json_values,
                        max_size=2,
                    )
                )
            )
        lines += [json.dumps(item).encode(), payload]
    body = b"\n".join(lines)
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.binary(max_size=200))
    return body


@pytest.fixture(scope="module")
def project(server: Server) -> dict:
    boot = server.bootstrap("fuzz", "target")
    return {"key": boot["dsn"].split("//")[1].split("@")[0], "id": boot["dsn"].rsplit("/", 1)[1]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=envelopes(), gzipped=st.booleans(), store_route=st.integers(0, 5))
def test_no_input_gets_a_5xx_and_refusals_store_nothing(
    server: Server, project: dict, body: bytes, gzipped: bool, store_route: int
) -> None:
    path = "store" if store_route == 0 else "envelope"
    headers = {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={project['key']}"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    before = server.stored_events()
    response = httpx.post(
        f"{server.url}/api/{project['id']}/{path}/", content=body, headers=headers, timeout=30
    )
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        detail = response.json()["detail"]
        assert isinstance(detail, str) and "\n" not in detail
        assert server.stored_events() == before
