"""The CLI as a new user meets it: `--version`, what `bootstrap` prints, when `serve` says it
listens."""

from __future__ import annotations

from pathlib import Path

from stackline.app.cli import package_version
from tests.e2e.server import Server, stackline


def test_version() -> None:
    assert stackline("--version").stdout.strip() == f"stackline {package_version()}"
    assert package_version() != "unknown"


def test_bootstrap_prints_the_project_id_subscriptions_take_and_serve_announces_after_start_up(
    tmp_path: Path,
) -> None:
    with Server(tmp_path / "data").start() as server:
        boot = server.bootstrap("clico", "web")
        project = server.graphql(
            '{ project(organizationSlug: "clico", slug: "web") { id } }', token=boot["token"]
        )["data"]["project"]
        text = stackline(
            "bootstrap", "--org", "clico", "--project", "web", "--data-dir", str(server.data_dir)
        ).stdout
        log = server.log()
    assert project is not None and boot["project_id"] == project["id"]
    assert f"project id:   {project['id']}" in text
    assert "a new one each run" in text
    # The line comes once the app's start-up has completed, not before.
    assert log.index("Application startup complete") < log.index("stackline listening on http://127.0.0.1:")
