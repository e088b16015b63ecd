"""`stackline/app` imports the GraphQL package only from its entry points: the ASGI app mounts
the GraphQL view and the CLI prints the schema; every other module of `app/` (services, ingest,
the Sentry REST endpoints, downloads) stays below GraphQL, so the two never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stackline.app

pytestmark = pytest.mark.unit  # reads the sources, runs nothing

ENTRY_POINTS = {"asgi.py", "cli.py"}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_the_entry_points_of_app_import_graphql() -> None:
    app = Path(stackline.app.__file__).parent
    importers = {
        path.name
        for path in app.glob("*.py")
        if any(m == "stackline.graphql" or m.startswith("stackline.graphql.") for m in imported_modules(path))
    }
    assert importers <= ENTRY_POINTS, (
        f"app modules importing stackline.graphql: {sorted(importers - ENTRY_POINTS)}"
    )
