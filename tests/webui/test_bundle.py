"""The built web UI: current with its sources, shipped in the wheel, served at `/` with a
history API fallback and cacheable assets, and a clear answer when it is missing."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from stackline import webui

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"


def test_committed_bundle_is_built_from_the_current_sources() -> None:
    built = webui.built_hash()
    assert built is not None, "stackline/webui/dist is missing: run `npm --prefix web run build`"
    assert built == webui.source_hash(WEB), (
        "the committed web UI bundle is older than its sources (web/src, package-lock.json, the "
        "vite/codegen config or schema.graphql changed): run `npm --prefix web run build` and commit "
        "stackline/webui/dist"
    )


def test_source_hash_changes_with_any_input(tmp_path: Path) -> None:
    copy = tmp_path / "web"
    (copy / "src").mkdir(parents=True)
    (copy / "source-inputs.json").write_text((WEB / "source-inputs.json").read_text())
    for name in (
        "index.html",
        "graphiql.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "codegen.ts",
        "tsconfig.json",
    ):
        (copy / name).write_text(name)
    (tmp_path / "schema.graphql").write_text("type Query { a: Int }")
    (copy / "src" / "main.tsx").write_text("one")
    before = webui.source_hash(copy)
    (copy / "src" / "main.tsx").write_text("two")
    assert webui.source_hash(copy) != before
    (copy / "src" / "main.tsx").write_text("one")
    assert webui.source_hash(copy) == before
    (tmp_path / "schema.graphql").write_text("type Query { b: Int }")
    assert webui.source_hash(copy) != before


def test_the_wheel_ships_the_bundle(tmp_path: Path) -> None:
    subprocess.run(["uv", "build", "--wheel", "-q", "-o", str(tmp_path)], cwd=ROOT, check=True, timeout=120)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "stackline/webui/dist/index.html" in names
    assert "stackline/webui/dist/graphiql.html" in names  # GraphiQL works offline from the wheel
    assert any(n.startswith("stackline/webui/dist/assets/") and n.endswith(".js") for n in names)


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = Starlette(routes=webui.routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://stackline.test")


async def test_index_at_root_and_every_client_route(client: httpx.AsyncClient) -> None:
    for path in (
        "/",
        "/login",
        "/orgs/acme/projects/web/issues",
        "/orgs/acme/projects/web/issues/SXNz/events/abc",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<div id="root">' in response.text
        assert response.headers["cache-control"] == "no-cache"


async def test_assets_are_cached_for_a_year_and_confined_to_the_bundle(client: httpx.AsyncClient) -> None:
    index = (webui.DIST / "index.html").read_text()
    (script,) = re.findall(r'<script type="module" crossorigin src="/assets/([^"]+\.js)"', index)
    assert (webui.DIST / "assets" / script).is_file()
    response = await client.get(f"/assets/{script}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await client.get("/assets/nope.js")).status_code == 404
    assert (await client.get("/assets/../__init__.py")).status_code == 404
    assert (await client.get("/assets/%2e%2e/__init__.py")).status_code == 404


async def test_a_missing_bundle_answers_a_clear_503(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(webui, "DIST", tmp_path / "dist")
    response = await client.get("/orgs/acme/projects/web/issues")
    assert response.status_code == 503
    assert "npm --prefix web run build" in response.text
