"""The CLI as a new user meets it: `--version`, what `bootstrap` prints, when `serve` says it
listens, which address DSNs carry with several API processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import sentry_sdk

from stackline.entrypoints.cli import package_version
from tests.e2e.server import Server, free_port, sentry_client, stackline


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


def test_dsns_carry_the_public_url_whichever_api_process_started_last(tmp_path: Path) -> None:
    # The "load balancer" SDKs should use is the first process; the second, started last, would
    # otherwise be the address bootstrap writes into the DSN.
    balancer = free_port()
    env = {"STACKLINE_PUBLIC_URL": f"http://127.0.0.1:{balancer}/"}
    first = Server(tmp_path / "data", env=env, port=balancer)
    last = Server(tmp_path / "data", env=env, serve_args=("--no-projectors",))
    with first.start(), last.start():
        boot = last.bootstrap("lbco", "web")
        key = boot["dsn"].split("://")[1].split("@")[0]
        assert boot["dsn"] == f"http://{key}@127.0.0.1:{balancer}/1"
        deadline = time.monotonic() + 30
        while (project := first.graphql(DSN_QUERY, token=boot["token"])["data"]["project"]) is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        via_last = last.graphql(DSN_QUERY, token=boot["token"])["data"]["project"]
        assert project["dsn"] == via_last["dsn"] == boot["dsn"]
        with sentry_client(boot["dsn"]):
            sentry_sdk.capture_message("through the balancer")
        while not first.graphql(ISSUES_QUERY, token=boot["token"])["data"]["project"]["issues"]["edges"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)


DSN_QUERY = '{ project(organizationSlug: "lbco", slug: "web") { dsn } }'
ISSUES_QUERY = '{ project(organizationSlug: "lbco", slug: "web") { issues { edges { node { title } } } } }'


def test_a_public_url_sdks_could_not_use_stops_serve_and_bootstrap_naming_the_setting(tmp_path: Path) -> None:
    for url in ("errors.example.com:8000", "ftp://errors.example.com", "https://key@errors.example.com"):
        for command in (["serve", "--port", str(free_port())], ["bootstrap", "--org", "o", "--project", "p"]):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "stackline.entrypoints.cli",
                    *command,
                    "--data-dir",
                    str(tmp_path / "d"),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, "STACKLINE_PUBLIC_URL": url},
            )
            assert done.returncode == 2, done.stderr
            assert f"STACKLINE_PUBLIC_URL (--public-url): {url!r}" in done.stderr
    assert not (tmp_path / "d" / "events.sqlite3").exists()
