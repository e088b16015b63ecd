"""Every root operation of the schema, against a real server, with every kind of wrong token.

For each query, mutation and subscription: (a) a token of another organization, (b) an expired
token, (c) a revoked token, (d) no token, (e) a token lacking the operation's scope. Each is
denied, and the answer for an existing object equals the answer for a made-up one, so a denial
never tells whether the object exists. Then the right token succeeds. The operations are taken
from the schema: a new root field without an entry here fails `test_matrix_covers_the_schema`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import websockets

from stackline.domain.organization import ALL_SCOPES
from stackline.graphql.context import encode_id
from stackline.graphql.schema import schema
from tests.e2e.server import Server, sentry_client, stackline
from tests.e2e.test_skeleton import capture, charge

OWNER = "olivia@acme.test"
MEMBER = "mel@acme.test"
ISSUES = (
    'query { project(organizationSlug: "acme", slug: "web") { id issues { edges { node { id version title '
    "grouping { hashes } } } } } }"
)
CREATE_TOKEN = (
    "mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { token "
    "apiToken { tokenId } userErrors { message } } }"
)


@dataclass
class World:
    server: Server
    org_token: str  # acme's bootstrap token: every scope, ownership
    owner_token: str  # OWNER's personal token
    foreign: str  # globex's bootstrap token
    foreign_personal: str  # a globex owner's personal token
    expired: str
    revoked: str
    lacking: dict[str, str]  # scope -> an acme token with every scope but that one
    lacking_personal_org_write: str
    project_id: str
    public_key: str
    issues: list[dict]
    spare_token_id: str
    created: list[str] = field(default_factory=list)

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        return self.server.graphql(query, variables, token)


def personal_token(server: Server, email: str, *extra: str) -> str:
    done = stackline(
        "token", "--user", email, "--data-dir", str(server.data_dir), "--json", *extra, env=server.env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["token"]


def until_accepted(server: Server, token: str) -> str:
    """A token issued by the CLI works once the projector has seen it."""
    deadline = time.monotonic() + 10
    while "errors" in server.graphql("{ viewer { tokenId } }", token=token):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    return token


def org_token(
    server: Server, by: str, scopes: list[str] | None = None, expires_at: datetime | None = None
) -> dict:
    created = server.graphql(
        CREATE_TOKEN,
        {
            "input": {
                "organizationSlug": "acme",
                "label": "matrix",
                "scopes": scopes,
                "expiresAt": expires_at.isoformat() if expires_at else None,
            }
        },
        by,
    )["data"]["createApiToken"]
    assert created["userErrors"] == [] and created["token"], created
    return created


@pytest.fixture(scope="module")
def world(server: Server) -> World:
    acme = json.loads(
        stackline(
            "bootstrap",
            "--org",
            "acme",
            "--project",
            "web",
            "--owner",
            OWNER,
            "--data-dir",
            str(server.data_dir),
            "--json",
            env=server.env,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    globex = server.bootstrap("globex", "shop")
    with sentry_client(acme["dsn"]):
        capture(charge, 7)
        capture(lambda: {}["missing"])
    deadline = time.monotonic() + 15
    while (
        len(
            issues := [
                e["node"]
                for e in (server.graphql(ISSUES, token=acme["token"])["data"]["project"]["issues"]["edges"])
            ]
        )
        < 2
    ):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)
    project_id = server.graphql(ISSUES, token=acme["token"])["data"]["project"]["id"]
    owner = until_accepted(server, personal_token(server, OWNER))
    add = (
        'mutation ($e: String!) { addMember(input: {organizationSlug: "acme", email: $e, role: "member"}) '
        "{ email } }"
    )
    server.graphql(add, {"e": MEMBER}, acme["token"])
    foreign_personal = until_accepted(server, personal_token(server, "gus@globex.test"))
    server.graphql(
        'mutation { createOrganization(input: {slug: "globex-two"}) { organization { id } } }',
        token=foreign_personal,
    )
    revoked = org_token(server, acme["token"])
    server.graphql(
        "mutation ($id: String!) { revokeApiToken(input: {tokenId: $id}) { userErrors { message } } }",
        {"id": revoked["apiToken"]["tokenId"]},
        acme["token"],
    )
    expires_at = datetime.now(UTC) + timedelta(seconds=2)
    expired = org_token(server, acme["token"], expires_at=expires_at)
    assert "errors" not in server.graphql(
        "{ viewer { tokenId } }", token=expired["token"]
    )  # works until then
    lacking = {
        scope: org_token(server, acme["token"], [s for s in ALL_SCOPES if s != scope])["token"]
        for scope in ALL_SCOPES
    }
    lacking_personal = until_accepted(
        server, personal_token(server, OWNER, "--scopes", ",".join(s for s in ALL_SCOPES if s != "org:write"))
    )
    spare = org_token(server, acme["token"])
    time.sleep(max(0.0, expires_at.timestamp() - time.time() + 0.1))
    return World(
        server,
        acme["token"],
        owner,
        globex["token"],
        foreign_personal,
        expired["token"],
        revoked["token"],
        lacking,
        lacking_personal,
        project_id,
        acme["dsn"].split("//")[1].split("@")[0],
        issues,
        spare["apiToken"]["tokenId"],
    )


def ghost(type_name: str) -> str:
    return encode_id(type_name, uuid.uuid4())


@dataclass(frozen=True)
class Op:
    """One root field: its document, the scope it needs, its variables for an existing object or a
    made-up one, and how a success looks."""

    doc: str
    scope: str
    variables: Callable[[World, bool], dict]
    allowed_token: Callable[[World], str] = lambda w: w.org_token
    succeeded: Callable[[dict], bool] = lambda answer: answer is not None and not answer.get("userErrors")
    denied: Callable[[dict], bool] | None = None  # default: an error, a null, or userErrors
    allowed_on: bool = True  # which variables the allowed case uses (a creation needs a new name)


def _issue(w: World, exists: bool, n: int = 0) -> str:
    return w.issues[n]["id"] if exists else ghost("Issue")


def _version(w: World, issue_id: str) -> int:
    found = w.gql("query ($id: ID!) { issue(id: $id) { version } }", {"id": issue_id}, w.org_token)["data"][
        "issue"
    ]
    return found["version"] if found else 0


CREATE_WEBHOOK = (
    'mutation ($p: ID!) { createWebhook(input: {projectId: $p, url: "https://hooks.example.com/in", '
    "events: [CREATED]}) { webhook { id } secret userErrors { message } } }"
)


def _webhook(w: World, exists: bool) -> str:
    """A fresh webhook of acme's project (each case may change or delete its own), or a made-up id."""
    if not exists:
        return ghost("Webhook")
    return w.gql(CREATE_WEBHOOK, {"p": w.project_id}, w.org_token)["data"]["createWebhook"]["webhook"]["id"]


CREATE_ALERT_RULE = (
    'mutation ($p: ID!) { createAlertRule(input: {projectId: $p, name: "matrix", '
    "conditions: [{kind: NEW_ISSUE}], "
    'channels: [{kind: SLACK, url: "https://hooks.example.com/slack"}]}) '
    "{ alertRule { id } userErrors { message } } }"
)


def _alert_rule(w: World, exists: bool) -> str:
    """A fresh alert rule of acme's project (each case may change or delete its own), or a made-up id."""
    if not exists:
        return ghost("AlertRule")
    return w.gql(CREATE_ALERT_RULE, {"p": w.project_id}, w.org_token)["data"]["createAlertRule"]["alertRule"][
        "id"
    ]


OPS: dict[str, Op] = {
    "node": Op(
        "query ($id: ID!) { node(id: $id) { id ... on Issue { title } } }",
        "event:read",
        lambda w, e: {"id": _issue(w, e)},
    ),
    "viewer": Op(
        "{ viewer { kind organizations { slug } } }",
        "org:read",
        lambda w, e: {},
        denied=lambda answer: answer is None or "acme" not in [o["slug"] for o in answer["organizations"]],
    ),
    "organization": Op(
        "query ($s: String!) { organization(slug: $s) { id slug } }",
        "org:read",
        lambda w, e: {"s": "acme" if e else "nope-org"},
    ),
    "project": Op(
        'query ($o: String!) { project(organizationSlug: $o, slug: "web") { id dsn } }',
        "project:read",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "issue": Op(
        "query ($id: ID!) { issue(id: $id) { id title } }", "event:read", lambda w, e: {"id": _issue(w, e)}
    ),
    "createOrganization": Op(
        "mutation ($s: String!) { createOrganization(input: {slug: $s}) { organization { slug } userErrors { "
        "message } } }",
        "org:write",
        lambda w, e: {"s": "acme" if e else f"new-{uuid.uuid4().hex[:8]}"},
        allowed_token=lambda w: w.owner_token,
        allowed_on=False,
    ),
    "createProject": Op(
        "mutation ($o: String!, $s: String!) { createProject(input: {organizationSlug: $o, slug: $s}) "
        "{ project { slug } userErrors { message } } }",
        "project:write",
        lambda w, e: {"o": "acme" if e else "nope-org", "s": f"p-{uuid.uuid4().hex[:8]}"},
    ),
    "updateIssue": Op(
        "mutation ($id: ID!, $v: Int!) { updateIssue(input: {id: $id, expectedVersion: $v, status: "
        "RESOLVED}) "
        "{ issue { status } userErrors { message } } }",
        "event:write",
        lambda w, e: {"id": _issue(w, e), "v": _version(w, _issue(w, e)) if e else 0},
    ),
    "mergeIssues": Op(
        "mutation ($ids: [ID!]!) { mergeIssues(input: {issueIds: $ids}) { issue { id } userErrors { message "
        "} } }",
        "event:write",
        lambda w, e: {"ids": [_issue(w, e, 0), _issue(w, e, 1)]},
    ),
    "unmergeIssue": Op(
        "mutation ($id: ID!, $h: String!, $v: Int!) { unmergeIssue(input: {issueId: $id, hash: $h, "
        "expectedVersion: $v}) "
        "{ issue { id } userErrors { message } } }",
        "event:write",
        lambda w, e: {
            "id": _issue(w, e),
            "h": w.issues[1]["grouping"]["hashes"][0],
            "v": _version(w, _issue(w, e)) if e else 0,
        },
    ),
    "updateProjectSettings": Op(
        'mutation ($o: String!) { updateProjectSettings(input: {organizationSlug: $o, projectSlug: "web", '
        "scrubIpAddresses: true}) { project { slug } userErrors { message } } }",
        "project:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "updateProjectKey": Op(
        "mutation ($o: String!, $k: String!) { updateProjectKey(input: {organizationSlug: $o, projectSlug: "
        '"web", '
        "publicKey: $k, rateLimitPerMinute: 100000}) { project { slug } userErrors { message } } }",
        "project:write",
        lambda w, e: {"o": "acme" if e else "nope-org", "k": w.public_key},
    ),
    "updateOrganizationSettings": Op(
        "mutation ($o: String!) { updateOrganizationSettings(input: {organizationSlug: $o, "
        "retentionDays: 3650}) { organization { settings { retentionDays } } userErrors { message } } }",
        "org:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "addMember": Op(
        'mutation ($o: String!) { addMember(input: {organizationSlug: $o, email: "new@acme.test"}) '
        "{ email userErrors { message } } }",
        "org:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "updateMember": Op(
        'mutation ($o: String!) { updateMember(input: {organizationSlug: $o, email: "mel@acme.test", role: '
        '"admin"}) '
        "{ member { role } userErrors { message } } }",
        "org:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "removeMember": Op(
        'mutation ($o: String!) { removeMember(input: {organizationSlug: $o, email: "mel@acme.test"}) '
        "{ removedEmail userErrors { message } } }",
        "org:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "createApiToken": Op(
        'mutation ($o: String!) { createApiToken(input: {organizationSlug: $o, label: "x"}) '
        "{ token userErrors { message } } }",
        "org:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "eraseUser": Op(
        'mutation ($o: String!) { eraseUser(input: {organizationSlug: $o, email: "nobody@acme.test"}) '
        "{ subjectsErased userErrors { message } } }",
        "org:write",
        lambda w, e: {"o": "acme" if e else "nope-org"},
    ),
    "revokeApiToken": Op(
        "mutation ($id: String!) { revokeApiToken(input: {tokenId: $id}) { apiToken { revokedAt } userErrors "
        "{ message } } }",
        "org:write",
        lambda w, e: {"id": w.spare_token_id if e else str(uuid.uuid4())},
    ),
    "createWebhook": Op(
        CREATE_WEBHOOK,
        "project:write",
        lambda w, e: {"p": w.project_id if e else encode_id("Project", 987654)},
    ),
    "updateWebhook": Op(
        'mutation ($id: ID!) { updateWebhook(input: {id: $id, description: "renamed"}) '
        "{ webhook { id } userErrors { message } } }",
        "project:write",
        lambda w, e: {"id": _webhook(w, e)},
    ),
    "deleteWebhook": Op(
        "mutation ($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookId userErrors { message } } }",
        "project:write",
        lambda w, e: {"id": _webhook(w, e)},
    ),
    "createAlertRule": Op(
        CREATE_ALERT_RULE,
        "project:write",
        lambda w, e: {"p": w.project_id if e else encode_id("Project", 987654)},
    ),
    "updateAlertRule": Op(
        'mutation ($id: ID!) { updateAlertRule(input: {id: $id, name: "renamed"}) '
        "{ alertRule { id } userErrors { message } } }",
        "project:write",
        lambda w, e: {"id": _alert_rule(w, e)},
    ),
    "deleteAlertRule": Op(
        "mutation ($id: ID!) { deleteAlertRule(input: {id: $id}) "
        "{ deletedAlertRuleId userErrors { message } } }",
        "project:write",
        lambda w, e: {"id": _alert_rule(w, e)},
    ),
    "issueChanges": Op(
        "subscription ($p: ID!) { issueChanges(projectId: $p) { kind } }",
        "event:read",
        lambda w, e: {"p": w.project_id if e else encode_id("Project", 987654)},
    ),
}


def root_fields() -> set[str]:
    gql = schema._schema
    return {
        name
        for root in (gql.query_type, gql.mutation_type, gql.subscription_type)
        if root
        for name in root.fields
    }


def test_matrix_covers_the_schema() -> None:
    assert set(OPS) == root_fields(), "every root field needs an entry in OPS"


async def subscribe(
    server: Server, token: str | None, op: Op, variables: dict, then: Callable[[], object] | None = None
) -> dict:
    """What a subscriber sees: a rejected connection, an error, or the first change (after `then`)."""
    async with websockets.connect(
        server.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}}
            )
        )
        try:
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        except websockets.ConnectionClosed as closed:
            return {"errors": [{"message": f"connection closed {closed.rcvd.code if closed.rcvd else None}"}]}
        assert ack["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": op.doc, "variables": variables}})
        )
        if then is not None:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(then)
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] == "error":
            return {"errors": message["payload"]}
        return message["payload"]


async def answer(
    world: World, name: str, op: Op, token: str | None, exists: bool, then: Callable[[], object] | None = None
) -> tuple[dict, dict]:
    variables = op.variables(world, exists)
    if name == "issueChanges":
        result = await subscribe(world.server, token, op, variables, then)
    else:
        result = await asyncio.to_thread(world.gql, op.doc, variables, token)
    return result, variables


def normalized(result: dict, variables: dict) -> str:
    """The answer with the asked-for names and ids blanked out, to compare two answers."""
    text = json.dumps(result, sort_keys=True)
    for value in variables.values():
        for item in value if isinstance(value, list) else [value]:
            text = text.replace(json.dumps(item)[1:-1] if isinstance(item, str) else str(item), "<asked>")
    return text


def is_denied(name: str, op: Op, result: dict) -> bool:
    data = (result.get("data") or {}).get(name)
    if op.denied is not None:
        return op.denied(data)
    return bool(result.get("errors")) or data is None or bool(data.get("userErrors"))


def denial_tokens(world: World, op: Op, name: str) -> dict[str, str | None]:
    personal = name == "createOrganization"
    return {
        "(a) another organization's token": world.foreign,
        "(b) expired token": world.expired,
        "(c) revoked token": world.revoked,
        "(d) no token": None,
        "(e) token lacking " + op.scope: world.lacking_personal_org_write
        if personal
        else world.lacking[op.scope],
    }


async def test_every_operation_denies_wrong_tokens_alike_and_serves_the_right_one(world: World) -> None:
    failures = []
    for name, op in OPS.items():
        for case, token in denial_tokens(world, op, name).items():
            existing, asked = await answer(world, name, op, token, exists=True)
            made_up, asked_made_up = await answer(world, name, op, token, exists=False)
            if not is_denied(name, op, existing):
                failures.append(f"{name} {case}: not denied: {existing}")
            elif normalized(existing, asked) != normalized(made_up, asked_made_up):
                failures.append(
                    f"{name} {case}: existing and made-up objects answered differently:\n"
                    f"  {existing}\n  {made_up}"
                )
            if "Traceback" in json.dumps(existing) or "Unexpected error" in json.dumps(existing):
                failures.append(f"{name} {case}: leaked an internal error: {existing}")
    assert not failures, "\n".join(failures)


async def test_every_operation_works_with_the_right_token(world: World) -> None:
    failures = []
    for name, op in OPS.items():
        then: Callable[[], object] | None = None
        if name == "issueChanges":

            def change(issue: str = world.issues[0]["id"]) -> dict:  # for the subscriber to see
                return world.gql(
                    "mutation ($id: ID!, $v: Int!) "
                    "{ updateIssue(input: {id: $id, expectedVersion: $v, status: IGNORED}) "
                    "{ userErrors { message } } }",
                    {"id": issue, "v": _version(world, issue)},
                    world.org_token,
                )

            then = change
        result, _ = await answer(world, name, op, op.allowed_token(world), exists=op.allowed_on, then=then)
        data = (result.get("data") or {}).get(name)
        if result.get("errors") or not op.succeeded(data):
            failures.append(f"{name}: {result}")
    assert not failures, "\n".join(failures)
