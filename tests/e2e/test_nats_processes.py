"""Live subscriptions across processes through the real NATS server: a subscriber on API
process A sees the change caused by an event ingested through API process B and projected by
a third, projector-only process."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import nats
import pytest

from tests.e2e.server import Server, Subscriber, kill_group, sentry_client, spawn, stackline
from tests.e2e.test_skeleton import ISSUES_QUERY, SUBSCRIPTION, capture, charge

NATS_URL = os.environ.get("STACKLINE_TEST_NATS_URL", "nats://127.0.0.1:4222")


async def delete_stream(name: str) -> None:
    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_stream(name)
    finally:
        await client.close()


@pytest.fixture
def cluster(tmp_path: Path):  # noqa: ANN201 - yields (api_a, api_b, the projector's log)
    prefix = f"t{uuid.uuid4().hex[:12]}"
    env = {"STACKLINE_NATS_URL": NATS_URL, "STACKLINE_NATS_PREFIX": prefix}
    data = tmp_path / "data"
    log_path = tmp_path / "projector.log"
    projector = spawn(["project", "run", "readmodels", "--data-dir", str(data)], log_path, env)
    api_a = Server(data, env=env, serve_args=("--no-projectors",))
    api_b = Server(data, env=env, serve_args=("--no-projectors",))
    try:
        api_a.start()
        api_b.start()
        yield api_a, api_b, log_path
    finally:
        api_a.stop()
        api_b.stop()
        kill_group(projector)
        from tests.postgres import run_sync

        run_sync(delete_stream(f"{prefix.upper()}_ISSUES"))


async def test_a_change_reaches_a_subscriber_on_another_process(cluster) -> None:  # noqa: ANN001
    api_a, api_b, projector_log = cluster
    boot = api_a.bootstrap("natsco", "web")
    dsn_via_b = boot["dsn"].replace(f":{api_a.port}/", f":{api_b.port}/")
    deadline = time.monotonic() + 15
    while (
        project := api_a.graphql(ISSUES_QUERY, {"org": "natsco", "project": "web"}, boot["token"])["data"][
            "project"
        ]
    ) is None:
        assert time.monotonic() < deadline, (
            f"the projector never projected the project:\n{projector_log.read_text()}"
        )
        time.sleep(0.1)
    assert api_a.graphql("{ __typename }")["data"]  # A answers queries without running projectors

    async with Subscriber(api_a.url, boot["token"], SUBSCRIPTION, {"projectId": project["id"]}) as live:
        with sentry_client(dsn_via_b):
            capture(charge, 99)
        await live.wait_for(
            lambda got: any(m["data"]["issueChanges"]["kind"] == "CREATED" for m in got), timeout=20
        )
    created = next(m for m in live.received if m["data"]["issueChanges"]["kind"] == "CREATED")
    assert created["data"]["issueChanges"]["issue"]["title"] == "PaymentDeclined: card declined for 99 EUR"


def test_an_unreachable_nats_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="STACKLINE_NATS_URL"):
        stackline("migrate", "--data-dir", str(tmp_path / "d"))  # migrate does not need NATS ...
        Server(tmp_path / "d", env={"STACKLINE_NATS_URL": "nats://127.0.0.1:1"}).start()  # ... serve does
