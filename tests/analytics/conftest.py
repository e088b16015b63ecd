from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stackline.analytics.chdb import ChdbExecutor
from stackline.analytics.port import AnalyticsExecutor
from stackline.analytics.schema import create_tables

CLICKHOUSE_URL = os.environ.get("STACKLINE_TEST_CLICKHOUSE_URL")


@pytest.fixture(params=["chdb", "clickhouse"])
async def executor(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AnalyticsExecutor]:
    """An empty analytics store with the tables, on each engine: embedded chDB always, a
    ClickHouse server when STACKLINE_TEST_CLICKHOUSE_URL names one (in a database of its own)."""
    if request.param == "chdb":
        opened: AnalyticsExecutor = await ChdbExecutor.open(tmp_path / "analytics")
        await create_tables(opened)
        try:
            yield opened
        finally:
            await opened.close()
        return
    if not CLICKHOUSE_URL:
        pytest.skip("STACKLINE_TEST_CLICKHOUSE_URL is not set: no ClickHouse server to run the contract on")
    from stackline.analytics.clickhouse import ClickHouseExecutor

    database = f"stackline_test_{uuid.uuid4().hex[:12]}"
    admin = await ClickHouseExecutor.open(CLICKHOUSE_URL)
    await admin.execute(f"CREATE DATABASE {database}")
    base = CLICKHOUSE_URL.rstrip("/").rsplit("/", 1)[0] if CLICKHOUSE_URL.count("/") > 2 else CLICKHOUSE_URL
    opened = await ClickHouseExecutor.open(f"{base}/{database}")
    await create_tables(opened)
    try:
        yield opened
    finally:
        await opened.close()
        await admin.execute(f"DROP DATABASE {database}")
        await admin.close()
