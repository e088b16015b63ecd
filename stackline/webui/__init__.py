"""The web UI's built bundle (`dist/`, made from `web/` by `npm --prefix web run build`) and the
routes that serve it from `stackline serve`: `index.html` at `/` and at every client-side path
(history API fallback), the hashed assets under `/assets/` with year-long cache headers, and
GraphiQL's page (`graphiql.html`, built from the `graphiql` npm package into the same assets),
which the GraphQL view answers a browser's GET `/graphql` with: nothing loads from another host.

The UI talks only to the public GraphQL API; this module never serves data, and it must never
shadow `/api/...`, `/graphql` or `/healthz`. A missing bundle answers a clear 503, not a 500.
`source_hash` recomputes the digest the build writes into `dist/source-hash.txt`, so a test can
tell a bundle older than its sources.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DIST = Path(__file__).parent / "dist"
# Client-side routes (web/src/routes.tsx): every page lives under one of these prefixes.
CLIENT_ROUTES = ("/", "/login", "/orgs", "/orgs/{path:path}")
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>stackline</title>
<h1>The stackline web UI is not built</h1>
<p>This installation has no <code>stackline/webui/dist/</code>. Build it from a source checkout with
<code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>.
The GraphQL API is at <a href="/graphql">/graphql</a>.</p>
"""


GRAPHIQL_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>stackline GraphiQL</title>
<h1>GraphiQL is not built</h1>
<p>This installation has no <code>stackline/webui/dist/graphiql.html</code>. Build it from a source
checkout with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>. The API itself
answers POST <code>/graphql</code>.</p>
"""


class HashedAssets(StaticFiles):
    """Vite names every asset after its content hash, so a name never changes meaning: cache
    it for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


async def index(request: Request) -> Response:
    page = DIST / "index.html"
    if not page.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    # index.html names the current assets: always revalidate it.
    return FileResponse(page, media_type="text/html", headers={"Cache-Control": "no-cache"})


def graphiql_page() -> Response:
    page = DIST / "graphiql.html"
    if not page.is_file():
        return HTMLResponse(GRAPHIQL_NOT_BUILT, status_code=503)
    return FileResponse(page, media_type="text/html", headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    return [
        *(Route(path, index, methods=["GET", "HEAD"]) for path in CLIENT_ROUTES),
        Mount("/assets", app=HashedAssets(directory=DIST / "assets", check_dir=False), name="assets"),
    ]


def source_hash(web: Path) -> str:
    """The digest of the UI's sources as `web/scripts/source-hash.mjs` computes it: sha256 over
    each input file's path relative to `web/` (sorted), a NUL, its bytes, a NUL."""
    inputs = json.loads((web / "source-inputs.json").read_text())
    files: list[Path] = []
    for directory in inputs["dirs"]:
        root = web / directory
        if root.is_dir():
            files.extend(p for p in root.rglob("*") if p.is_file())
    files.extend(web / name for name in inputs["files"])
    # Paths as Node's path.relative gives them: `../schema.graphql` stays as written.
    names = sorted(_relative(path, web) for path in files)
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((web / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _relative(path: Path, web: Path) -> str:
    try:
        return path.relative_to(web).as_posix()
    except ValueError:
        return Path("..", path.resolve().relative_to(web.resolve().parent)).as_posix()


def built_hash() -> str | None:
    marker = DIST / "source-hash.txt"
    return marker.read_text().strip() if marker.is_file() else None
