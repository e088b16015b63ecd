"""Personal tokens follow their user's role: a member reads and triages, an admin also changes
projects, only owners handle ownership; a demoted or removed member's token loses that power,
also on a subscription already open. Users create organizations and become their owners."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.server import Server, Subscriber, sentry_client, stackline
from tests.e2e.test_auth_matrix import personal_token, until_accepted
from tests.e2e.test_skeleton import capture, charge

SETTINGS = (
    'mutation { updateProjectSettings(input: {organizationSlug: "acme", projectSlug: "web", '
    "scrubIpAddresses: true}) { project { slug } userErrors { message } } }"
)
ROLE = (
    'mutation ($e: String!, $r: String!) { updateMember(input: {organizationSlug: "acme", email: $e, role: '
    "$r}) "
    "{ member { email role } userErrors { message } } }"
)
REMOVE = (
    'mutation ($e: String!) { removeMember(input: {organizationSlug: "acme", email: $e}) '
    "{ removedEmail userErrors { message } } }"
)
ORG_SETTINGS = (
    'mutation { updateOrganizationSettings(input: {organizationSlug: "acme", retentionMaxEvents: 500000}) '
    "{ organization { settings { retentionDays retentionMaxEvents } } userErrors { message } } }"
)
PROJECT = '{ project(organizationSlug: "acme", slug: "web") { id issues { edges { node { id version } } } } }'


@pytest.fixture(scope="module")
def acme(server: Server) -> dict:
    import json

    boot = json.loads(
        stackline(
            "bootstrap",
            "--org",
            "acme",
            "--project",
            "web",
            "--owner",
            "olivia@acme.test",
            "--data-dir",
            str(server.data_dir),
            "--json",
            env=server.env,
        ).stdout.splitlines()[-1]
    )
    with sentry_client(boot["dsn"]):
        capture(charge, 3)
    boot["olivia"] = until_accepted(server, personal_token(server, "olivia@acme.test"))
    boot["mel"] = until_accepted(server, personal_token(server, "mel@acme.test"))
    added = server.graphql(
        'mutation { addMember(input: {organizationSlug: "acme", email: "mel@acme.test"}) '
        "{ userErrors { message } } }",
        token=boot["olivia"],
    )
    assert added["data"]["addMember"]["userErrors"] == []
    return boot


def test_a_members_token_reads_but_cannot_change_projects_until_promoted(server: Server, acme: dict) -> None:
    mel, olivia = acme["mel"], acme["olivia"]
    assert server.graphql(PROJECT, token=mel)["data"]["project"]["id"]
    assert (
        server.graphql(SETTINGS, token=mel)["errors"][0]["message"]
        == "this API token lacks the 'project:write' scope"
    )
    # Retention is the organization's: owners and admins set it, members do not.
    assert (
        server.graphql(ORG_SETTINGS, token=mel)["errors"][0]["message"]
        == "this API token lacks the 'org:write' scope"
    )
    promoted = server.graphql(ROLE, {"e": "mel@acme.test", "r": "admin"}, olivia)["data"]["updateMember"]
    assert promoted == {"member": {"email": "mel@acme.test", "role": "admin"}, "userErrors": []}
    assert server.graphql(SETTINGS, token=mel)["data"]["updateProjectSettings"]["userErrors"] == []
    assert server.graphql(ORG_SETTINGS, token=mel)["data"]["updateOrganizationSettings"] == {
        "organization": {"settings": {"retentionDays": None, "retentionMaxEvents": 500000}},
        "userErrors": [],
    }
    # An admin is no owner: no owners made, none demoted, no organization tokens.
    refused = server.graphql(ROLE, {"e": "mel@acme.test", "r": "owner"}, mel)["data"]["updateMember"][
        "userErrors"
    ]
    assert refused == [{"message": "only an owner can make, demote or remove an owner"}]
    refused = server.graphql(ROLE, {"e": "olivia@acme.test", "r": "member"}, mel)["data"]["updateMember"][
        "userErrors"
    ]
    assert refused == [{"message": "only an owner can make, demote or remove an owner"}]
    token = server.graphql(
        'mutation { createApiToken(input: {organizationSlug: "acme", label: "x"}) '
        "{ token userErrors { message } } }",
        token=mel,
    )["data"]["createApiToken"]
    assert token == {"token": None, "userErrors": [{"message": "only owners create organization tokens"}]}
    demoted = server.graphql(ROLE, {"e": "mel@acme.test", "r": "member"}, olivia)["data"]["updateMember"]
    assert demoted["userErrors"] == []
    assert (
        server.graphql(SETTINGS, token=mel)["errors"][0]["message"]
        == "this API token lacks the 'project:write' scope"
    )


def test_the_last_owner_stays(server: Server, acme: dict) -> None:
    olivia = acme["olivia"]
    demote = server.graphql(ROLE, {"e": "olivia@acme.test", "r": "admin"}, olivia)["data"]["updateMember"]
    assert demote["userErrors"][0]["message"].startswith("the last owner cannot be demoted")
    remove = server.graphql(REMOVE, {"e": "olivia@acme.test"}, olivia)["data"]["removeMember"]
    assert remove["userErrors"][0]["message"].startswith("the last owner cannot be removed")
    assert server.graphql('{ organization(slug: "acme") { viewerRole } }', token=olivia)["data"][
        "organization"
    ] == {"viewerRole": "owner"}


def test_a_user_creates_an_organization_and_owns_it(server: Server, acme: dict) -> None:
    mel = acme["mel"]
    created = server.graphql(
        'mutation { createOrganization(input: {slug: "mels-lab", name: "Mel\'s lab"}) '
        "{ organization { slug name viewerRole members { email role } } userErrors { message } } }",
        token=mel,
    )["data"]["createOrganization"]
    assert created["userErrors"] == []
    assert created["organization"] == {
        "slug": "mels-lab",
        "name": "Mel's lab",
        "viewerRole": "owner",
        "members": [{"email": "mel@acme.test", "role": "owner"}],
    }
    slugs = [
        o["slug"]
        for o in server.graphql("{ viewer { organizations { slug } } }", token=mel)["data"]["viewer"][
            "organizations"
        ]
    ]
    assert "mels-lab" in slugs and "acme" in slugs
    # An organization token acts for its organization only: it cannot found another one.
    refused = server.graphql(
        'mutation { createOrganization(input: {slug: "other"}) { userErrors { message } } }',
        token=acme["token"],
    )
    assert refused["errors"][0]["message"].startswith("createOrganization needs a personal API token")


def test_personal_tokens_expire_and_are_revoked_by_their_user(server: Server, acme: dict) -> None:
    from datetime import UTC, datetime, timedelta

    olivia = acme["olivia"]
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    made = server.graphql(
        'mutation ($at: DateTime) { createApiToken(input: {label: "ci", scopes: ["event:read", '
        '"org:read"], expiresAt: $at}) { token apiToken { tokenId kind scopes } userErrors { message } } }',
        {"at": expires.isoformat()},
        olivia,
    )["data"]["createApiToken"]
    assert made["apiToken"]["kind"] == "PERSONAL" and sorted(made["apiToken"]["scopes"]) == [
        "event:read",
        "org:read",
    ]
    short = made["token"]
    assert server.graphql('{ organization(slug: "acme") { slug } }', token=short)["data"]["organization"]
    assert "lacks" in server.graphql(SETTINGS, token=short)["errors"][0]["message"]
    time.sleep(max(0.0, expires.timestamp() - time.time() + 0.1))
    assert server.graphql('{ organization(slug: "acme") { slug } }', token=short)["errors"][0][
        "message"
    ].startswith("authentication required")
    other = server.graphql(
        'mutation { createApiToken(input: {label: "laptop"}) { token apiToken { tokenId } } }', token=olivia
    )["data"]["createApiToken"]
    # Someone else's personal token is "not found", as a made-up id would be.
    stolen = server.graphql(
        "mutation ($id: String!) { revokeApiToken(input: {tokenId: $id}) { userErrors { message } } }",
        {"id": other["apiToken"]["tokenId"]},
        acme["mel"],
    )["data"]["revokeApiToken"]
    assert stolen == {"userErrors": [{"message": "token not found"}]}
    revoked = server.graphql(
        "mutation ($id: String!) { revokeApiToken(input: {tokenId: $id}) { apiToken { revokedAt } "
        "userErrors { message } } }",
        {"id": other["apiToken"]["tokenId"]},
        olivia,
    )["data"]["revokeApiToken"]
    assert revoked["userErrors"] == [] and revoked["apiToken"]["revokedAt"]
    assert server.graphql("{ viewer { tokenId } }", token=other["token"])["errors"][0]["message"].startswith(
        "authentication required"
    )


async def test_a_removed_member_loses_access_also_on_an_open_subscription(server: Server, acme: dict) -> None:
    olivia = acme["olivia"]
    ruth = until_accepted(server, personal_token(server, "ruth@acme.test"))
    server.graphql(
        'mutation { addMember(input: {organizationSlug: "acme", email: "ruth@acme.test"}) { email } }',
        token=olivia,
    )
    project = server.graphql(PROJECT, token=ruth)["data"]["project"]
    issue = project["issues"]["edges"][0]["node"]
    query = "subscription ($p: ID!) { issueChanges(projectId: $p) { kind } }"
    async with Subscriber(server.url, ruth, query, {"p": project["id"]}) as live:
        removed = server.graphql(REMOVE, {"e": "ruth@acme.test"}, olivia)["data"]["removeMember"]
        assert removed == {"removedEmail": "ruth@acme.test", "userErrors": []}
        await asyncio.to_thread(
            server.graphql,
            "mutation ($id: ID!, $v: Int!) { updateIssue(input: {id: $id, "
            "expectedVersion: $v, status: RESOLVED}) { userErrors { message } } }",
            {"id": issue["id"], "v": issue["version"]},
            olivia,
        )
        errors = await live.wait_for_error()
    assert live.received == []
    assert errors[0]["message"] == "this API token no longer has access to this project"
    assert server.graphql(PROJECT, token=ruth)["data"]["project"] is None
