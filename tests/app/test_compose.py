"""docker-compose.yml against the code it runs: the production topology must not drift from the CLI.

There is no Docker engine on the development machines, so the file is checked statically: every
stackline command parses with the real CLI parser, every projector the code knows has a service,
every URL setting the code reads is given, and every dependency waits on something that can
become healthy.
"""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from stackline.app import settings as settings_module
from stackline.app.wiring import PROJECTORS
from stackline.entrypoints.cli import parser

pytestmark = pytest.mark.unit  # reads files and the code, runs nothing
COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
DEFAULT = re.compile(r"\$\{[A-Z_]+:-([^}]*)\}")


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def stackline_services(services: dict[str, dict]) -> dict[str, dict]:
    """The services that run the stackline image (built from this repository's Dockerfile)."""
    return {name: service for name, service in services.items() if "build" in service}


def long_running(services: dict[str, dict]) -> dict[str, dict]:
    """API and projector processes: every stackline service but the one-shot migration."""
    return {
        name: service
        for name, service in stackline_services(services).items()
        if service["command"][0] in ("serve", "project")
    }


def with_defaults(value: str) -> str:
    """`${VAR:-default}` as compose resolves it when VAR is unset."""
    return DEFAULT.sub(lambda match: match.group(1), value)


def url_settings() -> set[str]:
    """Every `STACKLINE_*_URL` variable the settings read, from their source."""
    return set(re.findall(r'"(STACKLINE_[A-Z_]+_URL)"', inspect.getsource(settings_module)))


def test_every_stackline_command_is_a_real_cli_command(services: dict[str, dict]) -> None:
    assert stackline_services(services), "no service builds the stackline image"
    for name, service in stackline_services(services).items():
        try:
            parser().parse_args(service["command"])
        except (SystemExit, argparse.ArgumentError):  # argparse exits, or raises from a subparser
            pytest.fail(f"{name}: `stackline {' '.join(service['command'])}` is not a stackline command")


def test_every_projector_has_its_own_service(services: dict[str, dict]) -> None:
    run = {}
    for name, service in stackline_services(services).items():
        args = parser().parse_args(service["command"])
        if args.command == "project":
            assert args.name in PROJECTORS, f"{name} runs unknown projector {args.name!r}"
            run[args.name] = name
    missing = set(PROJECTORS) - set(run)
    assert not missing, f"no docker-compose service runs `stackline project run` for: {sorted(missing)}"


def test_api_processes_serve_on_all_interfaces_and_leave_projecting_to_the_projectors(
    services: dict[str, dict],
) -> None:
    served = [
        parser().parse_args(service["command"])
        for service in stackline_services(services).values()
        if service["command"][0] == "serve"
    ]
    assert served, "no service runs `stackline serve`"
    for args in served:
        assert args.no_projectors  # else every replica would also contend for the projector leases
        assert args.host == "0.0.0.0"


def test_every_url_setting_is_given_to_api_and_projectors(services: dict[str, dict]) -> None:
    wanted = url_settings()
    assert {
        "STACKLINE_EVENTSTORE_URL",
        "STACKLINE_DATABASE_URL",
        "STACKLINE_NATS_URL",
        "STACKLINE_CLICKHOUSE_URL",
    } <= wanted
    for name, service in long_running(services).items():
        missing = wanted - set(service.get("environment", {}))
        assert not missing, f"{name} lacks {sorted(missing)}: it would fall back to embedded stores"


def test_engine_urls_point_at_services_of_the_file(services: dict[str, dict]) -> None:
    for name, service in stackline_services(services).items():
        for variable, value in service["environment"].items():
            if variable.endswith("_URL") and variable != "STACKLINE_PUBLIC_URL":
                host = urlsplit(with_defaults(value)).hostname
                assert host in services, f"{name}: {variable} names host {host!r}, not a service here"


def test_the_event_store_and_read_models_are_the_production_engines(services: dict[str, dict]) -> None:
    environment = services["api"]["environment"]
    assert environment["STACKLINE_EVENTSTORE_URL"].startswith("kurrentdb://")
    assert environment["STACKLINE_DATABASE_URL"].startswith("postgresql://")
    assert environment["STACKLINE_CLICKHOUSE_URL"] not in ("", "none")


def test_dependencies_wait_for_health_or_completion(services: dict[str, dict]) -> None:
    for name, service in long_running(services).items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        engines = {
            urlsplit(with_defaults(value)).hostname
            for variable, value in service["environment"].items()
            if variable.endswith("_URL") and variable != "STACKLINE_PUBLIC_URL"
        }
        assert engines <= set(depends_on), (
            f"{name} starts without waiting for {sorted(engines - set(depends_on))}"
        )
        for dependency, condition in depends_on.items():
            assert dependency in services, f"{name} depends on unknown service {dependency!r}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck to wait for"
            else:
                assert condition["condition"] == "service_completed_successfully"
                assert services[dependency]["command"] == ["migrate"]


def test_the_api_is_published_and_checked_on_healthz(services: dict[str, dict]) -> None:
    api = services["api"]
    assert any(str(port).endswith(":8000") for port in api["ports"])
    dockerfile = (COMPOSE_FILE.parent / "Dockerfile").read_text()
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    projectors = [
        service for service in stackline_services(services).values() if service["command"][0] == "project"
    ]
    assert all(service["healthcheck"] == {"disable": True} for service in projectors)  # no HTTP there
