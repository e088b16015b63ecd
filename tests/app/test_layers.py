"""`stackline/app` imports the GraphQL package only from its entry points: the ASGI app mounts
the GraphQL view and the CLI prints the schema; every other module of `app/` (services, ingest,
the Sentry REST endpoints, downloads) stays below GraphQL, so the two never import each other.
And SQL is the read models' (`stackline/readmodels/`): the services of `app/` call their queries
and build none themselves, but for the known exceptions below."""

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


SQL_BUILDERS = {"select", "insert", "update", "delete", "text"}
SQL_MODULES = {"sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "stackline.readmodels.schema"}
BUILDS_SQL_KNOWN = {
    "replay.py": "the replay builds the shadow read models table by table; being changed by another helper",
    "retention.py": "deletes expired rows across the read models; being changed by another helper",
    "personal_keys.py": "the key store is its own database (its adapter), not a read model",
    "sentry_api.py": "an entry point (the Sentry REST endpoints), not a service; its reads move next",
}


def builds_sql(path: Path) -> bool:
    """Imports a statement builder of sqlalchemy, or the read model tables themselves."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module in SQL_MODULES:
            if node.module == "stackline.readmodels.schema" or any(
                a.name in SQL_BUILDERS for a in node.names
            ):
                return True
        if isinstance(node, ast.ImportFrom) and node.module == "stackline.readmodels":
            if any(a.name == "schema" for a in node.names):
                return True
    return False


def test_no_service_of_app_builds_sql() -> None:
    app = Path(stackline.app.__file__).parent
    builders = {path.name for path in app.glob("*.py") if builds_sql(path)}
    unknown = sorted(builders - set(BUILDS_SQL_KNOWN))
    assert not unknown, f"app modules building SQL (put the query in stackline/readmodels/): {unknown}"
