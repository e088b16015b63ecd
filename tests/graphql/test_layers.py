"""Resolvers stay thin: no module of `stackline/graphql` appends to the event store, imports
`stackline.eventstore` or runs a command itself; those are the use cases' (`stackline/usecases`),
which a resolver calls with the ids it decoded."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stackline.graphql
from tests.app.test_layers import imported_modules

pytestmark = pytest.mark.unit  # reads the sources, runs nothing

GRAPHQL = Path(stackline.graphql.__file__).parent


def _faults(path: Path) -> list[str]:
    faults = sorted(
        f"imports {m}"
        for m in imported_modules(path)
        if m == "stackline.eventstore" or m.startswith("stackline.eventstore.")
    )
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            owner, attribute = node.value.attr, node.attr
            if owner == "store" and attribute == "append":
                faults.append(f"line {node.lineno}: appends to the event store")
            if owner == "services" and (attribute == "commands" or attribute.endswith("_commands")):
                faults.append(f"line {node.lineno}: runs services.{attribute} itself")
    return faults


def test_no_graphql_module_appends_or_runs_commands() -> None:
    found = {path.name: faults for path in sorted(GRAPHQL.glob("*.py")) if (faults := _faults(path))}
    assert not found, f"graphql modules doing a use case's work: {found}"
