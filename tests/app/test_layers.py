"""The layers by role: the entry points (`stackline/entrypoints/`: the ASGI app, which mounts the
GraphQL view, the CLI, the Sentry REST endpoints, downloads) sit on top and are the only importers
of `stackline.graphql`; nothing imports the entry points; the application services of
`stackline/app/` import neither, nor Starlette. And SQL is the read models' (`stackline/readmodels/`): the
services of `app/` and the entry points call its queries and build none themselves, but for the
known exceptions below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stackline

pytestmark = pytest.mark.unit  # reads the sources, runs nothing

PACKAGE = Path(stackline.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, `from stackline import graphql` counted as `stackline.graphql`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def importers_of(package: str, outside: set[str]) -> list[str]:
    """Modules of stackline, but those under the packages `outside`, that import `package`."""
    return sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in outside
        and any(m == package or m.startswith(f"{package}.") for m in imported_modules(path))
    )


def test_only_the_entry_points_import_graphql() -> None:
    assert importers_of("stackline.graphql", {"graphql", "entrypoints"}) == []


def test_nothing_imports_the_entry_points() -> None:
    assert importers_of("stackline.entrypoints", {"entrypoints"}) == []


def test_http_is_the_entry_points_own() -> None:
    """Requests and responses stop at the entry points: the ingest service of `app/` is called
    with bytes and a key, not a Starlette request. Besides the entry points, only the GraphQL
    transport (view, context, live fan-out) and the web UI's bundle routes (`webui/`), both mounted
    by the ASGI app, speak HTTP."""
    assert importers_of("starlette", {"entrypoints", "graphql", "webui"}) == []


SQL_BUILDERS = {"select", "insert", "update", "delete", "text"}
SQL_MODULES = {"sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression"}
BUILDS_SQL_KNOWN = {
    "app/personal_keys.py": "the key store is its own database (its adapter), not a read model",
}


def builds_sql(path: Path) -> bool:
    """Imports a statement builder of sqlalchemy, or the read model tables themselves."""
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        names = {alias.name for alias in node.names}
        if node.module in SQL_MODULES and names & SQL_BUILDERS:
            return True
        if node.module == "stackline.readmodels.schema" or (
            node.module == "stackline.readmodels" and "schema" in names
        ):
            return True
    return False


def test_neither_the_services_of_app_nor_the_entry_points_build_sql() -> None:
    builders = {
        str(path.relative_to(PACKAGE))
        for package in ("app", "entrypoints")
        for path in (PACKAGE / package).glob("*.py")
        if builds_sql(path)
    }
    unknown = sorted(builders - set(BUILDS_SQL_KNOWN))
    assert not unknown, f"modules building SQL (put the query in stackline/readmodels/): {unknown}"
