"""Test tiers by directory: `unit` (pure code on plain data, no I/O: runs in seconds),
`integration` (real engines: SQLite files, the machine's PostgreSQL and NATS, chDB) and `e2e`
(a real `stackline serve` with the real `sentry-sdk`). `uv run pytest -m unit -n 0` runs the
pure tier alone.

Each test directory has its tier here, so a new test needs no decorator; a module whose tests
are all of another tier than its directory's says so with `pytestmark`. A directory missing
from the table stops the run rather than leaving its tests outside every tier.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite starts a few hundred `stackline` processes (servers and CLI runs). Where the
# environment sets PYTHONDONTWRITEBYTECODE (this machine's image does), each of them compiled
# every module it imports from source: under load that was most of a server's start-up
# (28 s instead of 8 s at load 12). The processes the tests start write and reuse the
# bytecode cache instead; it lives in the gitignored __pycache__ directories.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

TIERS = ("unit", "integration", "e2e")
TESTS = Path(__file__).resolve().parent
TIER_OF_DIRECTORY = {
    "domain": "unit",
    "app": "integration",
    "analytics": "integration",
    "bus": "integration",
    "eventstore": "integration",
    "graphql": "integration",
    "projections": "integration",
    "readmodels": "integration",
    "webui": "integration",
    "e2e": "e2e",
}


def tier_of(item: pytest.Item) -> str:
    """The tier a module declares with `pytestmark`, or else its directory's."""
    declared = [mark.name for mark in item.iter_markers() if mark.name in TIERS]
    if declared:
        return declared[0]
    relative = item.path.resolve().relative_to(TESTS)
    directory = relative.parts[0] if len(relative.parts) > 1 else ""
    if directory not in TIER_OF_DIRECTORY:
        raise pytest.UsageError(
            f"{relative}: tests/{directory or '<top level>'} has no tier; add it to TIER_OF_DIRECTORY "
            "in tests/conftest.py (or move the test into a directory that has one)"
        )
    return TIER_OF_DIRECTORY[directory]


def shared_fixture_group(item: pytest.Item) -> str | None:
    """The xdist group of a test that uses a module- or session-scoped fixture (a module's
    `stackline serve`, say): its module and that fixture's parameters, such as the backend.
    `--dist loadgroup` then runs each group on one worker, so the fixture is set up once per
    module and parameter instead of once on every worker that happens to draw one of its tests."""
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    if fixtureinfo is None:
        return None
    shared = [
        name
        for name, definitions in fixtureinfo.name2fixturedefs.items()
        if definitions
        and definitions[-1].scope in ("module", "package", "session")
        and definitions[-1].baseid  # the project's own fixtures, not plugins' (such as tmp_path_factory)
    ]
    if not shared:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    keys = [f"{name}={params[name]}" for name in sorted(shared) if name in params]
    return ":".join([str(item.path.resolve().relative_to(TESTS)), *keys])


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item)
        if not any(mark.name == tier for mark in item.iter_markers()):
            item.add_marker(getattr(pytest.mark, tier))
        group = shared_fixture_group(item)
        if group and not any(True for _ in item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group))
