"""JavaScript source maps end to end: a small app bundled and minified by the real esbuild, its
maps given debug ids and uploaded by the real `sentry-cli` (npm `@sentry/cli`), the error raised
in Node by the real `@sentry/node` SDK, and the frames read back through GraphQL. Also the
release commands sentry-cli runs in CI, and what a hostile upload gets (a 4xx, nothing stored).

The JS tools come from `tests/fixtures/sourcemaps/package-lock.json` (`npm ci` once, here);
without `node` the module is skipped.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import BACKENDS, JS_FIXTURE, backend_settings
from tests.e2e.server import Server, stackline
from tests.e2e.test_lifecycle import Project, checkout_failure, send
from tests.e2e.test_replay import dump

MIB = 1024 * 1024
LIMITS = {"STACKLINE_ARTIFACT_QUOTA_BYTES": str(2 * MIB), "STACKLINE_MAX_ARTIFACT_FILE_BYTES": str(4 * MIB)}

FRAMES = """frames { filename absPath function lineno colno inApp contextLine preContext postContext mapped
  minified { absPath function lineno colno } }"""
EVENTS = f"""query ($org: String!, $p: String!) {{ project(organizationSlug: $org, slug: $p) {{
  issues(first: 10) {{ edges {{ node {{ title culprit grouping {{ variant components hashes }}
    stats(period: DAY_30) {{ count }} events(first: 10) {{ edges {{ node {{ eventId
    exceptions {{ type value {FRAMES} rawFrames {{ filename absPath function lineno colno mapped }} }}
  }} }} }} }} }} }} }} }}"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A real server per backend, with small artifact limits so quotas and bombs are cheap to hit."""
    with backend_settings(request.param) as env:
        running = Server(tmp_path_factory.mktemp("stackline") / "data", env={**env, **LIMITS}).start()
        try:
            yield running
        finally:
            running.stop()


def build_app(tools: Path, where: Path) -> Path:
    """esbuild's minified bundle of the fixture app with its map, in `where/dist`."""
    where.mkdir(parents=True)
    shutil.copytree(tools / "src", where / "src")
    shutil.copy(tools / "build.mjs", where / "build.mjs")
    (where / "node_modules").symlink_to(tools / "node_modules")
    (where / "package.json").write_text('{"type": "module"}')
    subprocess.run(["node", "build.mjs", "dist"], cwd=where, check=True, capture_output=True, timeout=120)
    return where / "dist"


def sentry_cli(server: Server, token: str, *args: str, cwd: Path = JS_FIXTURE) -> str:
    done = subprocess.run(
        [str(JS_FIXTURE / "node_modules" / ".bin" / "sentry-cli"), *args],
        cwd=cwd,
        env={
            **os.environ,
            "SENTRY_URL": server.url,
            "SENTRY_AUTH_TOKEN": token,
            "SENTRYCLI_SKIP_DOWNLOAD": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"sentry-cli {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_app(dist: Path, dsn: str, release: str, dist_name: str | None = None) -> None:
    env = {**os.environ, "SENTRY_DSN": dsn, "SENTRY_RELEASE": release, "SENTRY_DIST": dist_name or ""}
    subprocess.run(["node", str(dist / "app.js")], cwd=dist.parent, env=env, check=True, timeout=60)


def wait_event(server: Server, token: str, org: str, project: str, predicate=None, timeout: float = 20.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while True:
        result = server.graphql(EVENTS, {"org": org, "p": project}, token)
        assert "errors" not in result, result
        for issue in result["data"]["project"]["issues"]["edges"]:
            for edge in issue["node"]["events"]["edges"]:
                if predicate is None or predicate(edge["node"]):
                    return issue["node"], edge["node"]
        assert time.monotonic() < deadline, f"no matching event in time: {result}"
        time.sleep(0.2)


def in_app(event: dict) -> list[dict]:
    return [f for f in event["exceptions"][0]["frames"] if f["inApp"]]


def assert_mapped(event: dict, where: str) -> None:
    exception = event["exceptions"][0]
    assert exception["type"] == "TypeError" and exception["value"] == "unknown discount code WINTER"
    innermost, caller = in_app(event)[-1], in_app(event)[-2]
    assert innermost["mapped"] and innermost["minified"]["absPath"].endswith("dist/app.js")
    assert (innermost["filename"], innermost["lineno"], innermost["function"]) == (
        "src/checkout.js",
        10,
        "lookupDiscount",
    ), where
    assert innermost["contextLine"].strip() == "throw new TypeError(`unknown discount code ${code}`);"
    assert innermost["preContext"][-1].strip() == "if (!(code in known)) {"
    assert (caller["filename"], caller["lineno"], caller["function"]) == (
        "src/checkout.js",
        3,
        "applyDiscount",
    )
    # The stored event keeps what the SDK sent: one minified line, one-letter names.
    raw = [
        f
        for f in event["exceptions"][0]["rawFrames"]
        if (f["absPath"] or f["filename"] or "").endswith("dist/app.js")
    ]
    assert raw and all(not f["mapped"] and f["lineno"] <= 3 and len(f["function"]) <= 2 for f in raw[1:])


def test_sentry_cli_info_and_release_commands(server: Server, js_tools: Path) -> None:
    token = server.bootstrap("cli-org", "web")["token"]
    info = sentry_cli(server, token, "info")
    assert server.url in info and "project:write" in info
    assert "Created release 2.4.0" in sentry_cli(
        server, token, "releases", "new", "-o", "cli-org", "-p", "web", "2.4.0"
    )
    assert "Finalized release 2.4.0" in sentry_cli(
        server, token, "releases", "finalize", "-o", "cli-org", "-p", "web", "2.4.0"
    )
    sentry_cli(
        server,
        token,
        "releases",
        "deploys",
        "-o",
        "cli-org",
        "2.4.0",
        "new",
        "-e",
        "production",
        "-n",
        "blue",
    )
    deploys = sentry_cli(server, token, "releases", "deploys", "-o", "cli-org", "2.4.0", "list")
    assert "production" in deploys and "blue" in deploys
    listed = sentry_cli(server, token, "releases", "list", "-o", "cli-org", "-p", "web")
    assert "2.4.0" in listed
    released = httpx.get(
        f"{server.url}/api/0/organizations/cli-org/releases/2.4.0/",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert released["dateReleased"] and [p["slug"] for p in released["projects"]] == ["web"]
    # Another organization's token sees no such organization, nor its releases.
    other = server.bootstrap("cli-other", "web")["token"]
    for path in ("releases/", "releases/2.4.0/", "releases/2.4.0/deploys/", "chunk-upload/"):
        response = httpx.get(
            f"{server.url}/api/0/organizations/cli-org/{path}", headers={"Authorization": f"Bearer {other}"}
        )
        assert response.status_code == 404, (path, response.text)
    created = httpx.post(
        f"{server.url}/api/0/organizations/cli-org/releases/",
        json={"version": "9.9.9", "projects": ["web"]},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert created.status_code == 404
    assert httpx.get(f"{server.url}/api/0/organizations/cli-org/releases/").status_code == 401


def test_a_release_made_by_sentry_cli_is_the_one_resolve_in_next_release_counts(
    server: Server, js_tools: Path
) -> None:
    project = Project(server, "cli-lifecycle")
    send(project.dsn, checkout_failure, 1, release="shop@1.0.0")
    issue = project.wait_issue(lambda i: i["version"] == 0)
    # CI made 1.1.0 (and deployed it) before anyone saw an event of it ...
    sentry_cli(server, project.token, "releases", "new", "-o", "acme", "-p", "cli-lifecycle", "shop@1.1.0")
    resolved = project.update(id=issue["id"], expectedVersion=0, status="RESOLVED", inNextRelease=True)
    assert resolved["issue"]["status"] == "RESOLVED"
    # ... so "the next release" is the one after 1.1.0: an event of 1.1.0 does not regress it.
    send(project.dsn, checkout_failure, 2, release="shop@1.1.0")
    seen = project.wait_issue(lambda i: i["timesSeen"] == 2, issue_id=issue["id"])
    assert seen["status"] == "RESOLVED"
    sentry_cli(server, project.token, "releases", "new", "-o", "acme", "-p", "cli-lifecycle", "shop@1.2.0")
    send(project.dsn, checkout_failure, 3, release="shop@1.2.0")
    regressed = project.wait_issue(lambda i: i["status"] == "UNRESOLVED", issue_id=issue["id"])
    assert regressed["substatus"] == "regressed"


def test_a_minified_node_error_is_mapped_by_debug_id(server: Server, js_tools: Path, tmp_path: Path) -> None:
    boot = server.bootstrap("maps-debug-id", "node-app")
    dist = build_app(js_tools, tmp_path / "app")
    sentry_cli(server, boot["token"], "sourcemaps", "inject", str(dist))
    assert "//# debugId=" in (dist / "app.js").read_text()
    uploaded = sentry_cli(
        server, boot["token"], "sourcemaps", "upload", "-o", "maps-debug-id", "-p", "node-app", str(dist)
    )
    assert "~/app.js.map" in uploaded
    run_app(dist, boot["dsn"], "node-app@1.0.0")
    issue, event = wait_event(server, boot["token"], "maps-debug-id", "node-app")
    assert_mapped(event, "by debug id")
    # Grouped by the original functions, not by the minifier's one-letter names; the hash the
    # event was sent with leads to the same issue.
    components = " ".join(issue["grouping"]["components"])
    assert issue["grouping"]["variant"] == "in-app-stacktrace"
    assert "lookupDiscount" in components and "applyDiscount" in components, components
    assert len(issue["grouping"]["hashes"]) == 2
    # The analytics store counts the event under the hash it was sent with: still this issue's.
    deadline = time.monotonic() + 20
    while sum(b["count"] for b in issue["stats"]) != 1:
        assert time.monotonic() < deadline, issue["stats"]
        time.sleep(0.3)
        issue, _ = wait_event(server, boot["token"], "maps-debug-id", "node-app")


def test_an_event_that_came_before_its_maps_is_mapped_once_they_are_uploaded(
    server: Server, js_tools: Path, tmp_path: Path
) -> None:
    boot = server.bootstrap("maps-late", "node-app")
    dist = build_app(js_tools, tmp_path / "app")
    sentry_cli(server, boot["token"], "sourcemaps", "inject", str(dist))
    run_app(dist, boot["dsn"], "node-app@1.0.0")
    _, before = wait_event(server, boot["token"], "maps-late", "node-app")
    assert not any(f["mapped"] for f in before["exceptions"][0]["frames"])
    sentry_cli(server, boot["token"], "sourcemaps", "upload", "-o", "maps-late", "-p", "node-app", str(dist))
    _, after = wait_event(
        server,
        boot["token"],
        "maps-late",
        "node-app",
        lambda e: any(f["mapped"] for f in e["exceptions"][0]["frames"]),
    )
    assert after["eventId"] == before["eventId"]
    assert_mapped(after, "after a late upload")
    # It stays in the issue it was grouped into when it came, and so does the same crash after
    # the upload: one issue, counted by the analytics store too.
    issue, _ = wait_event(server, boot["token"], "maps-late", "node-app")
    assert "lookupDiscount" not in " ".join(issue["grouping"]["components"])
    run_app(dist, boot["dsn"], "node-app@1.0.0")
    deadline = time.monotonic() + 20
    while True:
        result = server.graphql(EVENTS, {"org": "maps-late", "p": "node-app"}, boot["token"])
        issues = [i["node"] for i in result["data"]["project"]["issues"]["edges"]]
        if len(issues[0]["events"]["edges"]) == 2 and sum(b["count"] for b in issues[0]["stats"]) == 2:
            break
        assert time.monotonic() < deadline, issues
        time.sleep(0.3)
    assert len(issues) == 1
    assert all(
        any(f["mapped"] for f in e["node"]["exceptions"][0]["frames"]) for e in issues[0]["events"]["edges"]
    )


def test_without_debug_ids_maps_are_matched_by_release_dist_and_url(
    server: Server, js_tools: Path, tmp_path: Path
) -> None:
    boot = server.bootstrap("maps-legacy", "node-app")
    dist = build_app(js_tools, tmp_path / "app")  # no `sourcemaps inject`: no debug ids
    sentry_cli(
        server,
        boot["token"],
        "sourcemaps",
        "upload",
        "-o",
        "maps-legacy",
        "-p",
        "node-app",
        "--release",
        "legacy@2.0.0",
        "--dist",
        "7",
        "--url-prefix",
        f"~{dist}",
        str(dist),
    )
    run_app(dist, boot["dsn"], "legacy@2.0.0", dist_name="8")  # another dist: not its maps
    run_app(dist, boot["dsn"], "legacy@2.0.0", dist_name="7")
    issue, event = wait_event(
        server,
        boot["token"],
        "maps-legacy",
        "node-app",
        lambda e: any(f["mapped"] for f in e["exceptions"][0]["frames"]),
    )
    assert_mapped(event, "by release, dist and URL")
    result = server.graphql(EVENTS, {"org": "maps-legacy", "p": "node-app"}, boot["token"])
    events = [
        e["node"] for i in result["data"]["project"]["issues"]["edges"] for e in i["node"]["events"]["edges"]
    ]
    assert sum(any(f["mapped"] for f in e["exceptions"][0]["frames"]) for e in events) == 1


# -- hostile uploads ---------------------------------------------------------------------------


def bundle(files: dict[str, tuple[str, str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An artifact bundle as sentry-cli builds one: path -> (url, type, content)."""
    manifest = {
        "files": {path: {"url": url, "type": kind, "headers": {}} for path, (url, kind, _) in files.items()}
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for path, (_, _, content) in files.items():
            archive.writestr(path, content)
    return b"SYSB\x02\x00\x00\x00" + out.getvalue()


def upload(server: Server, token: str, org: str, project: str, data: bytes) -> httpx.Response:
    """sentry-cli's protocol by hand: chunk options, sha1-named chunks, then assemble."""
    headers = {"Authorization": f"Bearer {token}"}
    got = httpx.get(f"{server.url}/api/0/organizations/{org}/chunk-upload/", headers=headers)
    assert got.status_code == 200, got.text
    options = got.json()
    size = options["chunkSize"]
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    digests = [hashlib.sha1(c).hexdigest() for c in chunks]
    for digest, chunk in zip(digests, chunks, strict=True):
        posted = httpx.post(options["url"], headers=headers, files=[("file", (digest, chunk))], timeout=30)
        assert posted.status_code == 200, posted.text
    return httpx.post(
        f"{server.url}/api/0/organizations/{org}/artifactbundle/assemble/",
        headers=headers,
        json={"checksum": hashlib.sha1(data).hexdigest(), "chunks": digests, "projects": [project]},
        timeout=60,
    )


def stored_bundles(server: Server) -> int:
    return server.event_store_rows("SELECT count(*) FROM events WHERE type = 'ArtifactBundleStored'")[0][0]


def blobs(server: Server) -> set[str]:
    root = server.data_dir / "blobs"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def good_map(mappings: str = "AAAA") -> bytes:
    return json.dumps({"version": 3, "sources": ["a.js"], "names": [], "mappings": mappings}).encode()


def zipfile_without_manifest() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.js", "x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("case", "make", "status", "detail"),
    [
        (
            "bad VLQ",
            lambda: bundle({"m": ("~/a.js.map", "source_map", good_map("AAAA,$$$$"))}),
            400,
            "not a valid source map",
        ),
        (
            "VLQ overflow",
            lambda: bundle({"m": ("~/a.js.map", "source_map", good_map("gggggggggggggggggg"))}),
            400,
            "overflow",
        ),
        ("not JSON", lambda: bundle({"m": ("~/a.js.map", "source_map", b"{nope")}), 400, "not JSON"),
        (
            "huge mappings",
            lambda: bundle({"m": ("~/a.js.map", "source_map", good_map(";" * (4 * MIB - 100)))}),
            413,
            "source map too large",
        ),
        (
            "zip bomb",
            lambda: bundle({"m": ("~/a.js", "minified_source", b"\0" * (64 * MIB))}),
            413,
            "unzipped",
        ),
        ("NUL in a URL", lambda: bundle({"m": ("~/a\0.js", "minified_source", b"x")}), 400, "without NUL"),
        ("not a zip", lambda: b"SYSB" + b"\x01" * 5000, 400, "not a zip archive"),
        ("no manifest", lambda: b"SYSB\x02\x00\x00\x00" + zipfile_without_manifest(), 400, "manifest.json"),
    ],
)
def test_a_hostile_bundle_gets_a_4xx_and_stores_nothing(
    server: Server,
    case: str,
    make,
    status: int,
    detail: str,  # noqa: ANN001
) -> None:
    data = make()
    boot = server.bootstrap("hostile", "web")
    before, blobs_before = stored_bundles(server), blobs(server)
    response = upload(server, boot["token"], "hostile", "web", data)
    assert response.status_code == status, (case, response.text)
    assert response.json()["state"] == "error" and detail in response.json()["detail"], case
    assert stored_bundles(server) == before and blobs(server) == blobs_before, case


def test_chunks_are_checked_against_their_names_and_the_quota_holds(server: Server) -> None:
    boot = server.bootstrap("quota", "web")
    headers = {"Authorization": f"Bearer {boot['token']}"}
    url = f"{server.url}/api/0/organizations/quota/chunk-upload/"
    wrong = httpx.post(url, headers=headers, files=[("file", ("0" * 40, b"some bytes"))])
    assert wrong.status_code == 400 and "SHA-1" in wrong.json()["detail"]
    noise = hashlib.sha256(b"seed").digest() * (MIB // 32)  # 1 MiB that barely compresses
    first = bundle({"a": ("~/a.js", "minified_source", noise + b"1")})
    assert upload(server, boot["token"], "quota", "web", first).json()["state"] == "ok"
    before = stored_bundles(server)
    second = upload(
        server, boot["token"], "quota", "web", bundle({"b": ("~/b.js", "minified_source", noise + b"2")})
    )
    assert second.status_code == 413 and "quota" in second.json()["detail"]
    assert stored_bundles(server) == before
    # Chunks are the uploading organization's: another cannot assemble them by their digests.
    other = server.bootstrap("quota-other", "web")["token"]
    digest = hashlib.sha1(first).hexdigest()
    stolen = httpx.post(
        f"{server.url}/api/0/organizations/quota-other/artifactbundle/assemble/",
        headers={"Authorization": f"Bearer {other}"},
        json={"checksum": digest, "chunks": [digest], "projects": ["web"]},
    )
    assert stolen.json()["state"] == "not_found" and stolen.json()["missingChunks"] == [digest]
    # The same bundle again is the bundle already stored: not counted twice, still ok.
    assert upload(server, boot["token"], "quota", "web", first).json()["state"] == "ok"
    assert stored_bundles(server) == before


def test_the_older_release_files_upload_maps_by_release(
    server: Server, js_tools: Path, tmp_path: Path
) -> None:
    boot = server.bootstrap("maps-files", "node-app")
    headers = {"Authorization": f"Bearer {boot['token']}"}
    dist = build_app(js_tools, tmp_path / "app")
    files = f"{server.url}/api/0/projects/maps-files/node-app/releases/files@1.0.0/files/"
    missing = httpx.post(files, headers=headers, files={"file": ("app.js", b"x")}, data={"name": "~/app.js"})
    assert missing.status_code == 404  # no such release yet
    sentry_cli(server, boot["token"], "releases", "new", "-o", "maps-files", "-p", "node-app", "files@1.0.0")
    for name, extra in (("app.js", {"header": "Sourcemap: app.js.map"}), ("app.js.map", {})):
        posted = httpx.post(
            files,
            headers=headers,
            files={"file": (name, (dist / name).read_bytes())},
            data={"name": f"~{dist}/{name}", **extra},
        )
        assert posted.status_code == 201, posted.text
    bad = httpx.post(
        files, headers=headers, files={"file": ("x.js.map", good_map("!!!"))}, data={"name": "~/x.js.map"}
    )
    assert bad.status_code == 400 and "not a valid source map" in bad.json()["detail"]
    listed = httpx.get(files, headers=headers).json()
    assert sorted(f["name"] for f in listed) == [f"~{dist}/app.js", f"~{dist}/app.js.map"]
    run_app(dist, boot["dsn"], "files@1.0.0")
    _, event = wait_event(server, boot["token"], "maps-files", "node-app")
    assert_mapped(event, "release files")


@pytest.mark.parametrize("backend", BACKENDS)
def test_replay_rebuilds_releases_artifacts_and_mapped_frames_row_for_row(
    backend: str, js_tools: Path, tmp_path: Path
) -> None:
    with backend_settings(backend) as env:
        with Server(tmp_path / "data", env={**env, **LIMITS}).start() as live_server:
            boot = live_server.bootstrap("replayed", "node-app")
            dist = build_app(js_tools, tmp_path / "app")
            sentry_cli(live_server, boot["token"], "sourcemaps", "inject", str(dist))
            cli = ("-o", "replayed", "-p", "node-app")
            sentry_cli(live_server, boot["token"], "releases", "new", *cli, "r@1")
            run_app(dist, boot["dsn"], "r@1")  # before its maps: mapped late
            wait_event(live_server, boot["token"], "replayed", "node-app")
            sentry_cli(
                live_server, boot["token"], "sourcemaps", "upload", *cli, "--release", "r@1", str(dist)
            )
            run_app(dist, boot["dsn"], "r@1")  # after: mapped, and joins the issue of the same crash
            sentry_cli(live_server, boot["token"], "releases", "finalize", *cli, "r@1")
            sentry_cli(
                live_server,
                boot["token"],
                "releases",
                "deploys",
                "-o",
                "replayed",
                "r@1",
                "new",
                "-e",
                "prod",
            )

            def mapped_events() -> int:
                result = live_server.graphql(EVENTS, {"org": "replayed", "p": "node-app"}, boot["token"])
                issues = result["data"]["project"]["issues"]["edges"]
                return sum(
                    any(f["mapped"] for f in e["node"]["exceptions"][0]["frames"])
                    for i in issues
                    for e in i["node"]["events"]["edges"]
                )

            deadline = time.monotonic() + 20
            while mapped_events() < 2:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        database_url = (
            env.get("STACKLINE_DATABASE_URL") or f"sqlite:///{tmp_path / 'data' / 'readmodels.sqlite3'}"
        )
        live = dump(database_url)
        assert len(live["symbolicated_events"]) == 2 and len(live["issues"]) == 1 and live["deploys"]
        stackline("replay", "--quiet", "--data-dir", str(tmp_path / "data"), env={**env, **LIMITS})
        rebuilt = dump(database_url)
        for table in live:
            assert rebuilt[table] == live[table], f"table {table} differs after replay"
