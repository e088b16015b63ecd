"""Many websockets following one project share one execution per change, and sharing never
crosses organizations, leaks errors, or ends when the first subscriber leaves."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import websockets

from tests.e2e.server import Server, Subscriber, sentry_client
from tests.e2e.test_skeleton import capture, charge, load_user, parse_order

PROJECT = "query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) { id } }"
CHANGES = "subscription ($p: ID!) { issueChanges(projectId: $p) { kind issue { id title } } }"


def titles(live: Subscriber) -> list[str]:
    return [m["data"]["issueChanges"]["issue"]["title"] for m in live.received]


async def streams(server: Server, expected: int) -> None:
    deadline = time.monotonic() + 10
    while (now := httpx.get(f"{server.url}/healthz").json()["subscription_streams"]) != expected:
        assert time.monotonic() < deadline, f"{now} shared streams, expected {expected}"
        await asyncio.sleep(0.05)


async def test_subscribers_of_one_operation_share_a_stream_per_organization(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        acme, acme_again = server.bootstrap("acme", "web"), server.bootstrap("acme", "web")
        globex = server.bootstrap("globex", "shop")
        assert acme["token"] != acme_again["token"]
        acme_project = server.graphql(PROJECT, {"org": "acme", "p": "web"}, acme["token"])["data"]["project"][
            "id"
        ]
        globex_project = server.graphql(PROJECT, {"org": "globex", "p": "shop"}, globex["token"])["data"][
            "project"
        ]["id"]

        first = Subscriber(server.url, acme["token"], CHANGES, {"p": acme_project})
        await first.__aenter__()
        async with (
            Subscriber(server.url, acme["token"], CHANGES, {"p": acme_project}) as second,
            Subscriber(server.url, acme_again["token"], CHANGES, {"p": acme_project}) as other_token,
            Subscriber(server.url, globex["token"], CHANGES, {"p": globex_project}) as own_project,
            Subscriber(server.url, globex["token"], CHANGES, {"p": acme_project}) as intruder,
        ):
            # Three acme websockets (two tokens, same rights) share one stream; globex has its own.
            await streams(server, 2)
            assert (await intruder.wait_for_error())[0]["message"] == "project not found"

            with sentry_client(acme["dsn"]):
                capture(charge, 5)
            for live in (first, second, other_token):
                await live.wait_for(lambda got: len(got) == 1)
                assert titles(live) == ["PaymentDeclined: card declined for 5 EUR"]

            await first.__aexit__(None, None, None)  # the websocket whose operation started the stream
            with sentry_client(acme["dsn"]):
                capture(load_user, {}, "bob")
            for live in (second, other_token):
                await live.wait_for(lambda got: len(got) == 2)
                assert titles(live)[1] == "KeyError: 'bob'"
            assert len(first.received) == 1
            await streams(server, 2)

            with sentry_client(globex["dsn"]):
                capture(parse_order, "x")
            await own_project.wait_for(lambda got: len(got) == 1)
            assert titles(own_project) == ["ValueError: invalid literal for int() with base 10: 'x'"]
            assert intruder.received == [] and not own_project.errors and not second.errors
        await streams(server, 0)  # the last subscriber leaving ends its stream

        # Messages are small and go to many sockets: no per-socket compression is negotiated.
        async with websockets.connect(
            server.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
    finally:
        server.stop()
