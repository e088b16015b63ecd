"""Not collected by the suite (the name is not test_*.py): tests/e2e/test_harness.py runs it in a
pytest of its own to check that a module's shared fixture stays on one xdist worker."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module", params=["first", "second"])
def shared(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("case", range(6))
def test_case(shared: str, case: int) -> None:
    print(f"ran {shared} {case} on {os.environ.get('PYTEST_XDIST_WORKER')}")
