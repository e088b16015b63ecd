"""Events decode wherever they are read: one registry holds every event type, whatever modules
the reading process happened to import, and a type it does not know is logged and counted.

Each check that depends on what a process imported runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import pytest

from stackline.domain import registry
from stackline.domain.events import DomainEvent


def fresh(code: str) -> dict:
    """What a fresh interpreter prints as JSON after running `code`."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_registry_alone_knows_every_event_type_of_the_code() -> None:
    """Import the registry and nothing else; then import every module of the package and find
    every DomainEvent subclass: each one must already have been in the registry."""
    found = fresh(
        """
        import importlib, json, pkgutil
        from stackline.domain import registry
        known = set(registry.EVENT_TYPES)
        import stackline
        for module in pkgutil.walk_packages(stackline.__path__, "stackline."):
            importlib.import_module(module.name)
        from stackline.domain.events import DomainEvent
        def below(cls):
            return set().union(*({sub} | below(sub) for sub in cls.__subclasses__()))
        classes = below(DomainEvent)
        # A base of events (IssueEvent) is no stored type. By name: @dataclass(slots=True)
        # replaces each class, and the replaced one lingers among the subclasses.
        bases = {cls.__name__ for cls in classes if cls.__subclasses__()}
        every = {cls.__name__ for cls in classes} - bases
        print(json.dumps({"missing": sorted(every - known), "count": len(every)}))
        """
    )
    assert found["missing"] == [], f"event types the registry does not import: {found['missing']}"
    assert found["count"] >= 30


def test_a_webhook_event_decodes_without_importing_the_webhook_module() -> None:
    found = fresh(
        """
        import json, sys
        from stackline.domain.registry import decode
        event = decode("WebhookDeleted", {"webhook_id": "w-1"})
        print(json.dumps({"type": type(event).__name__}))
        """
    )
    assert found == {"type": "WebhookDeleted"}


def test_every_registered_type_is_a_domain_event_under_its_own_name() -> None:
    for name, cls in registry.EVENT_TYPES.items():
        assert issubclass(cls, DomainEvent) and cls.__name__ == name


def test_an_unknown_type_is_logged_once_and_counted_every_time(caplog: pytest.LogCaptureFixture) -> None:
    before = registry.unknown_event_types().get("SomethingFromTheFuture", 0)
    with caplog.at_level(logging.WARNING, logger=registry.__name__):
        assert registry.decode("SomethingFromTheFuture", {"x": 1}) is None
        assert registry.decode("SomethingFromTheFuture", {"x": 2}) is None
    assert registry.unknown_event_types()["SomethingFromTheFuture"] == before + 2
    warnings = [r for r in caplog.records if "SomethingFromTheFuture" in r.getMessage()]
    assert len(warnings) == (1 if before == 0 else 0)


def test_upcasters_are_registered_beside_their_events() -> None:
    upcasters = registry.upcasters()
    assert ("ErrorEventReceived", 1) in upcasters
    # Each names a registered type, at a version older than the type's current one.
    for type_name, version in upcasters:
        assert version < registry.EVENT_TYPES[type_name].schema_version
