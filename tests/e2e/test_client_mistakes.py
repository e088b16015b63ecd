"""What a new user trips over, answered clearly: a client's mistakes (bad search, missing scope,
a token whose user belongs nowhere) get a GraphQL error saying what to do and are logged at INFO
without a traceback; `/healthz` of an API-only process says its projector runs elsewhere."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.e2e.server import Server
from tests.e2e.test_auth_matrix import personal_token, until_accepted

SEARCH = '{ project(organizationSlug: "mistakeco", slug: "web") { id issues(query: $q) { totalCount } } }'
PROJECT = '{ project(organizationSlug: "mistakeco", slug: "web") { id } }'


def wait_for_project(server: Server, token: str) -> None:
    deadline = time.monotonic() + 30
    while not (server.graphql(PROJECT, token=token).get("data") or {}).get("project"):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)


def test_client_mistakes_are_answered_clearly_and_logged_without_tracebacks(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        boot = server.bootstrap("mistakeco", "web")
        wait_for_project(server, boot["token"])
        before = server.log()

        bad = server.graphql("query ($q: String) " + SEARCH, {"q": "is:bogus"}, token=boot["token"])
        assert "invalid search term 'is:bogus'" in bad["errors"][0]["message"]

        # A personal token whose user is a member nowhere: not "lacks project:read".
        stranger = until_accepted(server, personal_token(server, "stranger@elsewhere.test"))
        lonely = server.graphql(PROJECT, token=stranger)
        message = lonely["errors"][0]["message"]
        assert "stranger@elsewhere.test" in message and "not a member of any organization" in message
        assert "addMember" in message

        # A token that is a member but lacks the scope still hears about the scope.
        reader = server.graphql(
            'mutation { addMember(input: {organizationSlug: "mistakeco", email: "reader@mistakeco.test"}) '
            "{ userErrors { message } } }",
            token=boot["token"],
        )
        assert reader["data"]["addMember"]["userErrors"] == []
        narrow = until_accepted(
            server, personal_token(server, "reader@mistakeco.test", "--scopes", "org:read")
        )
        deadline = time.monotonic() + 10
        while "not a member" in (message := server.graphql(PROJECT, token=narrow)["errors"][0]["message"]):
            assert time.monotonic() < deadline, message  # roles are re-read within 2 s
            time.sleep(0.2)
        assert "lacks the 'project:read' scope" in message

        time.sleep(0.5)  # the log is written by another process
        logged = server.log()[len(before) :]
    finally:
        server.stop()
    assert "Traceback" not in logged, logged
    assert " ERROR " not in logged, logged
    assert (
        "INFO stackline.graphql.client_errors: GraphQL error for the client: invalid search term 'is:bogus'"
        in logged
    )


def test_healthz_of_an_api_only_process_says_the_projector_runs_elsewhere(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Server(data).start() as full:
        boot = full.bootstrap("mistakeco", "web")
        wait_for_project(full, boot["token"])
        projected = httpx.get(f"{full.url}/healthz").json()
        assert projected["projector_running"] and projected["projector_position"] > 0
    with Server(data, serve_args=("--no-projectors",)).start() as api:
        health = httpx.get(f"{api.url}/healthz").json()
    assert health["projector_running"] is False
    assert health["projector_position"] is None  # it said 0, as if nothing were projected
    assert "not running in this process" in health["projector"]
    assert "stackline project run readmodels" in health["projector"]
    assert health["readmodels_checkpoint"] >= projected["projector_position"] > 0
