from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real `stackline serve` subprocess shared by a module's tests."""
    running = Server(tmp_path_factory.mktemp("stackline") / "data").start()
    try:
        yield running
    finally:
        running.stop()
