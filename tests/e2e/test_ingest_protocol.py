"""The Sentry protocol as SDKs speak it: every item type lands where it belongs, real SDK
features work unchanged, rate limits make the real SDK back off, and CORS serves browsers."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import httpx
import sentry_sdk
from sentry_sdk.crons import capture_checkin

from tests.corpus import CORPUS
from tests.e2e.server import Server, sentry_client

PROJECT = """query ($org: String!, $p: String!) { project(organizationSlug: $org, slug: $p) {
  id attachmentCount transactions(first: 50) { totalCount edges { node { name op status durationMs } } }
  sessions { release status quantity errors } checkIns { monitorSlug status duration }
  feedback { name email comments associatedEventId } usage { category outcome reason quantity }
  keys { publicKey isActive rateLimitPerMinute } settings { allowedOrigins monthlyEventQuota }
  issues(first: 100) { totalCount } } }"""
EVENT = """query ($org: String!, $p: String!, $e: String!) { project(organizationSlug: $org, slug: $p) {
  event(eventId: $e) { eventId title payload attachments { filename size sha256 } } } }"""


class Target:
    def __init__(self, server: Server, org: str, slug: str) -> None:
        self.server, self.org, self.slug = server, org, slug
        boot = server.bootstrap(org, slug)
        self.dsn, self.token = boot["dsn"], boot["token"]
        self.key = self.dsn.split("//")[1].split("@")[0]
        self.project_id = self.dsn.rsplit("/", 1)[1]

    def project(self) -> dict:
        result = self.server.graphql(PROJECT, {"org": self.org, "p": self.slug}, self.token)
        assert "errors" not in result, result
        return result["data"]["project"]

    def event(self, event_id: str) -> dict | None:
        result = self.server.graphql(EVENT, {"org": self.org, "p": self.slug, "e": event_id}, self.token)
        assert "errors" not in result, result
        return result["data"]["project"]["event"]

    def wait(self, predicate, timeout: float = 15.0) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while True:
            project = self.project()
            if predicate(project):
                return project
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not there in time: {json.dumps(project)[:3000]}\n{self.server.log()[-3000:]}"
                )
            time.sleep(0.1)

    def wait_event(self, event_id: str) -> dict:
        deadline = time.monotonic() + 15
        while (event := self.event(event_id)) is None:
            assert time.monotonic() < deadline, f"event {event_id} never showed"
            time.sleep(0.05)
        return event

    def post(self, body: bytes, path: str = "envelope", headers: dict | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.server.url}/api/{self.project_id}/{path}/",
            content=body,
            headers={"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={self.key}", **(headers or {})},
        )

    def mutate(self, mutation: str, input_: dict) -> dict:
        result = self.server.graphql(mutation, {"input": input_}, self.token)
        assert "errors" not in result, result
        return result["data"]


def usage(project: dict, category: str, outcome: str) -> int:
    return sum(
        u["quantity"] for u in project["usage"] if u["category"] == category and u["outcome"] == outcome
    )


def test_every_corpus_sample_is_accepted_and_becomes_an_event(server: Server) -> None:
    target = Target(server, "corpus", "samples")
    expected: dict[str, str] = {}
    for path in sorted((CORPUS / "sentry-samples").glob("*.json")):
        payload = json.loads(path.read_text())
        event_id = uuid.uuid4().hex
        payload["event_id"] = event_id
        response = target.post(json.dumps(payload).encode(), "store")
        assert response.status_code == 200, (path.name, response.text)
        assert response.json() == {"id": event_id}
        expected[path.name] = event_id
    transaction = expected.pop("transaction.json")
    for name, event_id in expected.items():
        event = target.wait_event(event_id)
        assert event["eventId"] == event_id, name
    landed = target.wait(lambda p: p["transactions"]["totalCount"] == 1)
    assert landed["transactions"]["edges"][0]["node"]["name"]
    assert target.event(transaction) is None  # a transaction is not an error event
    assert usage(landed, "error", "accepted") == len(expected)


def test_every_sdk_envelope_in_the_corpus_lands_where_it_belongs(server: Server) -> None:
    target = Target(server, "corpus", "envelopes")
    attachments = 0
    for path in sorted((CORPUS / "sdk-envelopes").iterdir()):
        body = path.read_bytes()
        response = target.post(body)
        assert response.status_code == 200, (path.name, response.text)
        attachments += body.count(b'"type":"attachment"') + body.count(b'"type": "attachment"')
    project = target.wait(
        lambda p: (
            p["attachmentCount"] >= attachments
            and p["transactions"]["totalCount"] >= 1
            and p["sessions"]
            and p["issues"]["totalCount"] >= 5
        )
    )
    assert usage(project, "attachment", "accepted") == attachments


def test_real_sdk_transactions_sessions_check_ins_attachments_feedback_and_client_reports(
    server: Server,
) -> None:
    target = Target(server, "sdkco", "features")
    dropped = []

    def before_send(event, hint):  # noqa: ANN001, ANN202
        if event.get("message") == "drop me":
            dropped.append(event)
            return None
        return event

    with sentry_client(
        target.dsn,
        traces_sample_rate=1.0,
        release="features@2.0.0",
        environment="prod",
        before_send=before_send,
        send_client_reports=True,
    ):
        with sentry_sdk.start_transaction(name="GET /checkout", op="http.server") as transaction:
            with sentry_sdk.start_span(op="db.query", name="SELECT 1"):
                time.sleep(0.01)
            transaction.set_status("ok")
        scope = sentry_sdk.get_isolation_scope()
        scope.start_session()
        scope.end_session()
        capture_checkin(monitor_slug="nightly-import", status="in_progress")
        check_in = capture_checkin(monitor_slug="nightly-import", status="in_progress")
        capture_checkin(monitor_slug="nightly-import", check_in_id=check_in, status="ok", duration=12.5)
        with sentry_sdk.new_scope() as scoped:
            scoped.add_attachment(bytes=b"line 1\nline 2\n", filename="app.log", content_type="text/plain")
            event_id = sentry_sdk.capture_message("with a log file")
        sentry_sdk.capture_message("drop me")
    assert dropped

    feedback_event = {
        "event_id": uuid.uuid4().hex,
        "name": "Ada",
        "email": "ada@example.com",
        "comments": "It broke when I clicked pay",
        "associated": event_id,
    }
    report = json.dumps(
        {
            "event_id": event_id,
            "name": "Ada",
            "email": "ada@example.com",
            "comments": "It broke when I clicked pay",
        }
    )
    assert (
        target.post(
            b"{}\n" + json.dumps({"type": "user_report"}).encode() + b"\n" + report.encode()
        ).status_code
        == 200
    )
    del feedback_event

    project = target.wait(
        lambda p: (
            p["transactions"]["totalCount"] == 1
            and p["checkIns"]
            and p["feedback"]
            and p["sessions"]
            and p["attachmentCount"] == 1
            and usage(p, "error", "client_discard") >= 1
        )
    )
    tx = project["transactions"]["edges"][0]["node"]
    assert tx["name"] == "GET /checkout" and tx["op"] == "http.server" and tx["status"] == "ok"
    assert tx["durationMs"] >= 10
    assert {(s["release"], s["status"]) for s in project["sessions"]} >= {("features@2.0.0", "exited")}
    statuses = {c["status"] for c in project["checkIns"]}
    assert "ok" in statuses and any(c["duration"] == 12.5 for c in project["checkIns"])
    assert project["feedback"][0]["comments"] == "It broke when I clicked pay"
    assert project["feedback"][0]["associatedEventId"] == event_id
    event = target.wait_event(event_id)
    assert event["attachments"] == [
        {"filename": "app.log", "size": 14, "sha256": event["attachments"][0]["sha256"]}
    ]
    blob = Path(
        server.data_dir / "blobs" / event["attachments"][0]["sha256"][:2] / event["attachments"][0]["sha256"]
    )
    assert blob.read_bytes() == b"line 1\nline 2\n"


SET_KEY = """mutation ($input: UpdateProjectKeyInput!) { updateProjectKey(input: $input) {
  userErrors { message } project { keys { rateLimitPerMinute } } } }"""
SET_SETTINGS = """mutation ($input: UpdateProjectSettingsInput!) { updateProjectSettings(input: $input) {
  userErrors { message } project { settings { allowedOrigins monthlyEventQuota } } } }"""


def test_rate_limited_key_gets_429_and_the_real_sdk_backs_off(server: Server) -> None:
    target = Target(server, "limited", "burst")
    result = target.mutate(
        SET_KEY,
        {
            "organizationSlug": "limited",
            "projectSlug": "burst",
            "publicKey": target.key,
            "rateLimitPerMinute": 3,
        },
    )
    assert result["updateProjectKey"]["userErrors"] == []
    if (
        60 - time.time() % 60 < 10
    ):  # the limit counts per calendar minute: the burst (about a second) fits in one
        time.sleep(60 - time.time() % 60 + 0.1)
    with sentry_client(target.dsn):
        for i in range(10):
            sentry_sdk.capture_message(f"burst {i}")
            sentry_sdk.flush()
    project = target.wait(
        lambda p: usage(p, "error", "accepted") == 3 and usage(p, "error", "rate_limited") >= 1, timeout=20
    )
    # After the first 429 the SDK stops sending for the Retry-After window: one refusal, not seven.
    assert usage(project, "error", "rate_limited") == 1

    response = target.post(b'{}\n{"type":"event"}\n{"message":"raw"}')
    assert response.status_code == 429
    assert response.headers["X-Sentry-Rate-Limits"].endswith("::key:key_quota")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_monthly_quota_answers_429_in_sentry_grammar(server: Server) -> None:
    target = Target(server, "quota", "monthly")
    target.mutate(
        SET_SETTINGS, {"organizationSlug": "quota", "projectSlug": "monthly", "monthlyEventQuota": 2}
    )
    statuses = []
    for i in range(4):
        statuses.append(target.post(json.dumps({"message": f"quota {i}"}).encode(), "store"))
        time.sleep(2.2 if i == 1 else 0)  # let the usage read model count the first two
    assert [r.status_code for r in statuses] == [200, 200, 429, 429]
    limit = statuses[2].headers["X-Sentry-Rate-Limits"]
    assert limit.split(":")[1:] == ["error;default;security", "project", "project_quota"]


def test_cors_preflight_and_allowed_origins(server: Server) -> None:
    target = Target(server, "browser", "spa")
    preflight = httpx.options(
        f"{server.url}/api/{target.project_id}/envelope/",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "x-sentry-auth" in preflight.headers["Access-Control-Allow-Headers"]

    body = b'{}\n{"type":"event"}\n{"message":"from a browser"}'
    url = f"{server.url}/api/{target.project_id}/envelope/?sentry_key={target.key}&sentry_version=7"
    allowed = httpx.post(url, content=body, headers={"Origin": "https://shop.example"})
    assert (
        allowed.status_code == 200
        and allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    )

    target.mutate(
        SET_SETTINGS,
        {"organizationSlug": "browser", "projectSlug": "spa", "allowedOrigins": ["https://shop.example"]},
    )
    assert httpx.post(url, content=body, headers={"Origin": "https://shop.example"}).status_code == 200
    refused = httpx.post(url, content=body, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["detail"] == "origin not allowed for this project"


def test_envelope_header_dsn_authenticates(server: Server) -> None:
    target = Target(server, "dsnauth", "native")
    event_id = uuid.uuid4().hex
    body = b"\n".join(
        [
            json.dumps({"event_id": event_id, "dsn": target.dsn}).encode(),
            b'{"type":"event"}',
            json.dumps({"message": "auth by header dsn"}).encode(),
        ]
    )
    response = httpx.post(f"{server.url}/api/{target.project_id}/envelope/", content=body)
    assert response.status_code == 200 and response.json() == {"id": event_id}
    assert target.wait_event(event_id)["title"] == "auth by header dsn"


def test_sentry_javascript_node_sdk(server: Server, js_tools: Path, tmp_path: Path) -> None:
    import subprocess

    target = Target(server, "jsco", "node")
    script = tmp_path / "crash.js"
    script.write_text(f"""
const Sentry = require("@sentry/node");
Sentry.init({{ dsn: "{target.dsn}", release: "node-app@1.0.0", tracesSampleRate: 0 }});
function chargeCard() {{ throw new TypeError("card number is not a function"); }}
try {{ chargeCard(); }} catch (e) {{ console.log(Sentry.captureException(e)); }}
Sentry.close(5000).then(() => process.exit(0));
""")
    # @sentry/node from the pinned JS fixture (tests/fixtures/sourcemaps/package-lock.json).
    ran = subprocess.run(
        ["node", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(js_tools / "node_modules")},
    )
    assert ran.returncode == 0, ran.stderr
    event_id = ran.stdout.strip().splitlines()[-1]
    event = target.wait_event(event_id)
    assert event["title"] == "TypeError: card number is not a function"
    assert event["payload"]["sdk"]["name"].startswith("sentry.javascript.node")


def test_disabled_key_empty_body_and_chunked_bodies(server: Server) -> None:
    target = Target(server, "edges", "keys")
    empty = target.post(b"")
    assert empty.status_code == 400 and empty.json()["detail"] == "invalid envelope: empty envelope"

    def chunks():  # noqa: ANN202 - httpx sends a generator with Transfer-Encoding: chunked
        yield b"{}\n"
        yield b'{"type":"event"}\n'
        yield json.dumps({"message": "sent in chunks"}).encode()

    chunked = httpx.post(
        f"{server.url}/api/{target.project_id}/envelope/?sentry_key={target.key}", content=chunks()
    )
    assert chunked.status_code == 200, chunked.text

    target.mutate(
        SET_KEY,
        {"organizationSlug": "edges", "projectSlug": "keys", "publicKey": target.key, "isActive": False},
    )
    disabled = target.post(b'{}\n{"type":"event"}\n{"message":"after disabling"}')
    assert disabled.status_code == 403 and disabled.json()["detail"] == "sentry_key is disabled"


def test_size_limits_are_configurable(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data",
        env={"STACKLINE_MAX_EVENT_BYTES": "10000", "STACKLINE_MAX_ENVELOPE_BYTES": "200000"},
    ).start()
    try:
        target = Target(server, "small", "limits")
        stored = server.stored_events()
        big_event = json.dumps({"message": "x" * 20000}).encode()
        for body, path, detail in (
            (big_event, "store", "event exceeds 10000 bytes"),
            (b'{}\n{"type":"event"}\n' + big_event, "envelope", "event item exceeds 10000 bytes"),
            (b'{}\n{"type":"attachment"}\n' + b"a" * 300000, "envelope", "request body exceeds 200000 bytes"),
        ):
            response = target.post(body, path)
            assert response.status_code == 413, response.text
            assert response.json()["detail"] == detail
        assert server.stored_events() == stored
        assert target.post(json.dumps({"message": "small enough"}).encode(), "store").status_code == 200
    finally:
        server.stop()


def test_attachments_download_through_the_api_for_their_organization_only(server: Server) -> None:
    """`Attachment.downloadPath` serves the bytes to a token of the attachment's organization;
    another organization's token, no token, and a made-up id are refused alike."""
    target = Target(server, "fileco", "web")
    other = Target(server, "otherfileco", "web")
    with sentry_client(target.dsn):
        with sentry_sdk.new_scope() as scoped:
            scoped.add_attachment(
                bytes=b"line 1\nline 2\n\xff", filename="app log.txt", content_type="text/plain"
            )
            event_id = sentry_sdk.capture_message("with a file")
    query = (
        "query ($org: String!, $p: String!, $e: String!) { project(organizationSlug: $org, slug: $p) "
        "{ event(eventId: $e) { attachments { filename size downloadPath } } } }"
    )
    deadline = time.monotonic() + 15
    while True:
        found = server.graphql(query, {"org": "fileco", "p": "web", "e": event_id}, target.token)
        event = found["data"]["project"]["event"]
        if event and event["attachments"]:
            break
        assert time.monotonic() < deadline, found
        time.sleep(0.1)
    [attachment] = event["attachments"]
    url = server.url + attachment["downloadPath"]
    response = httpx.get(url, headers={"Authorization": f"Bearer {target.token}"})
    assert response.status_code == 200
    assert response.content == b"line 1\nline 2\n\xff"
    assert response.headers["content-type"].startswith("text/plain")
    assert "filename*=UTF-8''app%20log.txt" in response.headers["content-disposition"]
    foreign = httpx.get(url, headers={"Authorization": f"Bearer {other.token}"})
    made_up = httpx.get(
        url.rsplit("/", 2)[0] + "/nosuchattachment/", headers={"Authorization": f"Bearer {other.token}"}
    )
    assert foreign.status_code == made_up.status_code == 404
    assert foreign.json() == made_up.json() == {"detail": "attachment not found"}
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
