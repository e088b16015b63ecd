"""Sentry's REST API as `sentry-cli` and the bundler plugins call it: `/api/0/...`.

Authenticated by stackline API tokens (`Authorization: Bearer`), scoped like GraphQL: reading
needs `project:read`, creating releases, deploys and uploads `project:write`, in the
organization named by the path; another organization's release looks exactly like a missing one.
Endpoints: the auth check (`GET /api/0/`), organizations and their projects, releases (create,
update/finalize, list, deploys), chunk upload (sha1-named chunks, gzip accepted) and the
artifact-bundle assemble that turns uploaded chunks into an `ArtifactBundleStored` event, and the
older per-file release-files upload. Commands append events (`ReleaseCommands`); reads are the
SQL read models. Bad input gets a 4xx with a one-line JSON `detail` and stores nothing.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stackline.app import artifact_bundles
from stackline.app.blobs import BlobStore
from stackline.app.ingest import READ_YOUR_WRITES_SECONDS
from stackline.app.lookups import Viewer, bearer_token
from stackline.app.release_commands import ReleaseCommands
from stackline.domain.organization import InvalidCommand
from stackline.domain.release import QuotaExceeded, check_version
from stackline.readmodels import queries, release_queries
from stackline.readmodels.reads import read

READ, WRITE = "project:read", "project:write"
SHA1 = re.compile(r"^[0-9a-f]{40}$")
MAX_JSON_BYTES = 1024 * 1024
CHUNKS_PER_REQUEST = 64
CHUNK_CONCURRENCY = 8
# Types of upload this server assembles, as Sentry names them in its chunk-upload options.
ACCEPTS = ["artifact_bundles", "release_files", "sources"]


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


Handler = Callable[[Request, Viewer], Awaitable[Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, then run the handler; `ApiError` and `InvalidCommand` become a 4xx."""

    async def run(request: Request) -> Response:
        try:
            viewer = await viewer_of(request)
            if viewer is None:
                raise ApiError(401, "authentication required: send 'Authorization: Bearer <API token>'")
            return await handler(request, viewer)
        except ApiError as error:
            return JSONResponse({"detail": error.detail}, status_code=error.status)
        except QuotaExceeded as error:
            return JSONResponse({"detail": str(error)}, status_code=413)
        except InvalidCommand as error:
            return JSONResponse({"detail": str(error)}, status_code=400)

    return run


async def viewer_of(request: Request) -> Viewer | None:
    """Who the request's bearer token is, None without a token or for an unknown one."""
    token = bearer_token(request.headers.get("authorization"))
    if not token:
        return None
    viewer = await request.app.state.services.lookups.viewer(token)
    if viewer is None:
        # A token issued a moment ago may still be on its way to the read model.
        await caught_up(request)
        viewer = await request.app.state.services.lookups.viewer(token)
    return viewer


async def caught_up(request: Request) -> None:
    """Wait (briefly) until the read models have projected everything appended so far."""
    services = request.app.state.services
    await services.projector.wait_for(await services.store.head_position(), READ_YOUR_WRITES_SECONDS)


async def auth_info(request: Request) -> Response:
    """`GET /api/0/`: who the token is (sentry-cli's `info` and login check)."""
    viewer = await viewer_of(request)
    if viewer is None:
        return JSONResponse({"version": "0", "auth": None, "user": None})
    user = {"id": viewer.user_email, "email": viewer.user_email} if viewer.user_email else None
    return JSONResponse({"version": "0", "auth": {"scopes": sorted(viewer.scopes)}, "user": user})


async def json_body(request: Request) -> dict[str, Any]:
    body = b""
    async for part in request.stream():
        body += part
        if len(body) > MAX_JSON_BYTES:
            raise ApiError(413, f"request body exceeds {MAX_JSON_BYTES} bytes")
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


async def organization(request: Request, viewer: Viewer, scope: str) -> Any:
    """The path's organization, if the viewer holds `scope` there; else a 404 (or 403 when
    it may read it but lacks the scope), never telling another tenant's organization apart."""
    slug = request.path_params["org"]
    org_ids = viewer.orgs(READ) | viewer.orgs(scope)
    engine = request.app.state.services.engine
    row = await read(engine, queries.organization_by_slug, org_ids, slug)
    if row is None and org_ids:
        await caught_up(request)  # created a moment ago, perhaps
        row = await read(engine, queries.organization_by_slug, org_ids, slug)
    if row is None:
        raise ApiError(404, f"organization {slug!r} not found")
    if not viewer.can(row.id, scope):
        raise ApiError(403, f"this API token lacks the {scope!r} scope")
    return row


def iso(value: datetime | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, float | int):
        value = datetime.fromtimestamp(value, UTC)
    return queries.aware(value).isoformat().replace("+00:00", "Z")


def organization_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "dateCreated": iso(row.created_at),
        "isEarlyAdopter": False,
        "require2FA": False,
        "requireEmailVerification": False,
        "features": [],
        "status": {"id": "active", "name": "active"},
    }


def project_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "slug": row.slug,
        "name": row.name,
        "platform": row.platform,
        "dateCreated": iso(row.created_at),
        "team": None,
        "teams": [],
    }


@endpoint
async def list_organizations(request: Request, viewer: Viewer) -> Response:
    rows = await read(
        request.app.state.services.engine,
        queries.organizations_by_ids,
        viewer.orgs("org:read") | viewer.orgs(READ),
    )
    return JSONResponse([organization_json(row) for row in rows])


@endpoint
async def organization_details(request: Request, viewer: Viewer) -> Response:
    return JSONResponse(organization_json(await organization(request, viewer, READ)))


@endpoint
async def list_projects(request: Request, viewer: Viewer) -> Response:
    org = await organization(request, viewer, READ)
    rows = await read(request.app.state.services.engine, queries.projects_of, org.id)
    return JSONResponse([project_json(row) for row in rows])


@endpoint
async def project_details(request: Request, viewer: Viewer) -> Response:
    org = await organization(request, viewer, READ)
    return JSONResponse(project_json(await project_of(request, org, request.path_params["project"])))


async def project_of(request: Request, org: Any, slug: str) -> Any:
    for attempt in range(2):
        row = await read(request.app.state.services.engine, queries.project_by_slug, {org.id}, org.slug, slug)
        if row is not None or attempt:
            break
        await caught_up(request)  # created a moment ago, perhaps
    if row is None:
        raise ApiError(404, f"project {slug!r} not found in organization {org.slug!r}")
    return row


async def project_ids(request: Request, org: Any, names: object) -> list[int]:
    """Projects named by slug (or numeric id, as Sentry allows) within the organization."""
    if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
        raise ApiError(400, "'projects' must be a list of project slugs")
    for attempt in range(2):
        rows = await read(request.app.state.services.engine, queries.projects_of, org.id)
        by_name = {row.slug: row.id for row in rows} | {str(row.id): row.id for row in rows}
        unknown = [str(n) for n in names if str(n) not in by_name]
        if not unknown or attempt:
            break
        await caught_up(request)  # created a moment ago, perhaps
    if unknown:
        raise ApiError(400, f"unknown projects in organization {org.slug!r}: {', '.join(unknown)}")
    return [by_name[str(n)] for n in names]


def optional_text(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or "\0" in value:
        raise ApiError(400, f"'{key}' must be a string of at most {limit} characters, without NUL")
    return value


def optional_date(data: dict[str, Any], key: str) -> str | None:
    value = optional_text(data, key, 40)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"'{key}' must be an ISO 8601 date") from None
    return iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


async def release_json(request: Request, org: Any, version: str) -> dict[str, Any] | None:
    found = await read(request.app.state.services.engine, release_queries.release, org.id, version)
    return release_row_json(*found) if found else None


def release_row_json(row: Any, names: dict[int, Any]) -> dict[str, Any]:
    return {
        "version": row.version,
        "shortVersion": row.version,
        "ref": None,
        "url": row.url,
        "dateCreated": iso(row.created_at),
        "dateStarted": row.date_started,
        "dateReleased": row.date_released,
        "lastEvent": None,
        "newGroups": 0,
        "projects": [
            {"id": p.id, "slug": p.slug, "name": p.name} for pid in row.project_ids if (p := names.get(pid))
        ],
    }


async def wait_for(request: Request, position: int | None) -> None:
    """Answer after the read models show what was just appended (a read-your-write API)."""
    if position is not None:
        await request.app.state.services.projector.wait_for(position, 10.0)


@endpoint
async def releases(request: Request, viewer: Viewer) -> Response:
    """`GET` lists the organization's releases (newest first); `POST` creates one."""
    if request.method == "GET":
        org = await organization(request, viewer, READ)
        return JSONResponse(await list_releases(request, org, None))
    org = await organization(request, viewer, WRITE)
    data = await json_body(request)
    version = check_version(data.get("version"))
    ids = await project_ids(request, org, data.get("projects"))
    position = await ReleaseCommands(request.app.state.services.store).create_release(
        org.id,
        version,
        ids,
        optional_text(data, "url", 2000),
        optional_date(data, "dateStarted"),
        optional_date(data, "dateReleased"),
        viewer.actor,
    )
    await wait_for(request, position)
    return JSONResponse(await release_json(request, org, version), status_code=201)


async def list_releases(request: Request, org: Any, project_id: int | None) -> list[dict[str, Any]]:
    rows, names = await read(request.app.state.services.engine, release_queries.releases, org.id, project_id)
    return [release_row_json(row, names) for row in rows]


@endpoint
async def project_releases(request: Request, viewer: Viewer) -> Response:
    org = await organization(request, viewer, READ)
    project = await project_of(request, org, request.path_params["project"])
    return JSONResponse(await list_releases(request, org, project.id))


@endpoint
async def release_details(request: Request, viewer: Viewer) -> Response:
    """`GET` one release; `PUT` updates it (projects, URL, `dateReleased`: finalize)."""
    version = request.path_params["version"]
    if request.method == "GET":
        org = await organization(request, viewer, READ)
        found = await release_json(request, org, version)
        if found is None:
            raise ApiError(404, f"release {version!r} not found")
        return JSONResponse(found)
    org = await organization(request, viewer, WRITE)
    data = await json_body(request)
    ids = await project_ids(request, org, data.get("projects", []))
    try:
        position = await ReleaseCommands(request.app.state.services.store).update_release(
            org.id,
            version,
            ids,
            optional_text(data, "url", 2000),
            optional_date(data, "dateReleased"),
            viewer.actor,
        )
    except LookupError:
        raise ApiError(404, f"release {version!r} not found") from None
    await wait_for(request, position)
    return JSONResponse(await release_json(request, org, version))


@endpoint
async def release_deploys(request: Request, viewer: Viewer) -> Response:
    version = request.path_params["version"]
    if request.method == "GET":
        org = await organization(request, viewer, READ)
        if await release_json(request, org, version) is None:
            raise ApiError(404, f"release {version!r} not found")
        rows = await read(request.app.state.services.engine, release_queries.deploys_of, org.id, version)
        return JSONResponse([deploy_json(row) for row in rows])
    org = await organization(request, viewer, WRITE)
    data = await json_body(request)
    environment = optional_text(data, "environment", 64)
    if not environment:
        raise ApiError(400, "a deploy needs an 'environment'")
    ids = await project_ids(request, org, data.get("projects") or [])
    deploy_id = str(uuid.uuid4())
    finished = optional_date(data, "dateFinished") or iso(time.time())
    assert finished is not None
    try:
        position = await ReleaseCommands(request.app.state.services.store).create_deploy(
            org.id,
            version,
            deploy_id,
            environment,
            optional_text(data, "name", 200),
            optional_text(data, "url", 2000),
            optional_date(data, "dateStarted"),
            finished,
            ids,
            viewer.actor,
        )
    except LookupError:
        raise ApiError(404, f"release {version!r} not found") from None
    await wait_for(request, position)
    return JSONResponse(
        {
            "id": deploy_id,
            "environment": environment,
            "name": data.get("name"),
            "url": data.get("url"),
            "dateStarted": optional_date(data, "dateStarted"),
            "dateFinished": finished,
        },
        status_code=201,
    )


def deploy_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.deploy_id,
        "environment": row.environment,
        "name": row.name,
        "url": row.url,
        "dateStarted": row.date_started,
        "dateFinished": row.date_finished,
    }


@endpoint
async def chunk_upload(request: Request, viewer: Viewer) -> Response:
    """`GET`: how to upload chunks; `POST`: chunks as multipart files named by their SHA-1
    (`file`, or `file_gzip` for gzip'ed ones), each checked against its name."""
    services = request.app.state.services
    limits = services.settings.artifacts
    if request.method == "GET":
        await organization(request, viewer, READ)
        return JSONResponse(
            {
                "url": str(request.url.replace(query="")),
                "chunkSize": limits.chunk_bytes,
                "chunksPerRequest": CHUNKS_PER_REQUEST,
                "maxFileSize": limits.max_bundle_bytes,
                "maxRequestSize": limits.chunk_bytes * 4,
                "concurrency": CHUNK_CONCURRENCY,
                "hashAlgorithm": "sha1",
                "compression": ["gzip"],
                "accept": ACCEPTS,
                "maxWait": 60,
            }
        )
    org = await organization(request, viewer, WRITE)
    try:
        form = await request.form(
            max_files=CHUNKS_PER_REQUEST, max_fields=CHUNKS_PER_REQUEST, max_part_size=limits.chunk_bytes * 4
        )
    except Exception as error:  # Starlette's MultiPartException and malformed bodies
        raise ApiError(400, f"the chunks must be a multipart form: {error}") from None
    try:
        chunks: list[tuple[str, bytes]] = []
        for field_name, value in form.multi_items():
            if field_name not in ("file", "file_gzip") or not isinstance(value, UploadFile):
                raise ApiError(400, f"unexpected form field {field_name!r} (send 'file' or 'file_gzip')")
            digest = (value.filename or "").lower()
            if not SHA1.match(digest):
                raise ApiError(400, "each chunk's file name must be its SHA-1 in hex")
            data = await value.read(limits.chunk_bytes * 4 + 1)
            if field_name == "file_gzip":
                data = gunzip(data, limits.chunk_bytes)
            if len(data) > limits.chunk_bytes:
                raise ApiError(413, f"a chunk exceeds the chunk size of {limits.chunk_bytes} bytes")
            if hashlib.sha1(data).hexdigest() != digest:
                raise ApiError(400, f"chunk {digest}: its bytes do not match its SHA-1")
            chunks.append((digest, data))
    finally:
        await form.close()
    for digest, data in chunks:
        await chunks_of(services, org.id).put(digest, data)
    return Response(status_code=200)


def chunks_of(services: Any, org_id: str) -> BlobStore:
    """An organization's uploaded chunks: another organization cannot assemble them by their
    digests, whatever it knows of them."""
    return BlobStore(services.chunks.root / org_id, digest_length=40)


def gunzip(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error:
        raise ApiError(400, "a chunk is not valid gzip data") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise ApiError(413, f"a chunk exceeds the chunk size of {limit} bytes once decompressed")
    return out


@endpoint
async def assemble_bundle(request: Request, viewer: Viewer) -> Response:
    """Assemble uploaded chunks into an artifact bundle: `not_found` with the missing chunks
    until all are uploaded, then `ok` once the bundle is stored (or `error` with a detail)."""
    services = request.app.state.services
    limits = services.settings.artifacts
    org = await organization(request, viewer, WRITE)
    data = await json_body(request)
    checksum, chunks = data.get("checksum"), data.get("chunks")
    if not isinstance(checksum, str) or not SHA1.match(checksum):
        raise ApiError(400, "'checksum' must be the bundle's SHA-1 in hex")
    if not isinstance(chunks, list) or not all(isinstance(c, str) and SHA1.match(c) for c in chunks):
        raise ApiError(400, "'chunks' must be a list of SHA-1 digests in hex")
    if len(chunks) * limits.chunk_bytes > limits.max_bundle_bytes + limits.chunk_bytes:
        raise ApiError(413, f"an artifact bundle may hold at most {limits.max_bundle_bytes} bytes")
    ids = await project_ids(request, org, data.get("projects") or [])
    if not ids:
        raise ApiError(400, "an artifact bundle needs at least one project")
    release = optional_text(data, "version", 250)
    dist = optional_text(data, "dist", 64)
    if release is not None:
        check_version(release)
    if await ReleaseCommands(services.store).bundle_stored(org.id, checksum):
        return JSONResponse({"state": "ok", "missingChunks": [], "detail": None})
    staged = chunks_of(services, org.id)
    missing = [c for c in dict.fromkeys(chunks) if not staged.has(c)]
    if missing:
        return JSONResponse({"state": "not_found", "missingChunks": missing, "detail": None})
    parts = [await staged.get(c) for c in chunks]
    blob = b"".join(p or b"" for p in parts)
    if len(blob) > limits.max_bundle_bytes:
        raise ApiError(413, f"an artifact bundle may hold at most {limits.max_bundle_bytes} bytes")
    if hashlib.sha1(blob).hexdigest() != checksum:
        return JSONResponse(
            {"state": "error", "missingChunks": [], "detail": "the chunks do not add up to the checksum"},
            status_code=400,
        )
    try:
        bundle = await artifact_bundles.read_bundle(blob, limits)
    except artifact_bundles.BadBundle as error:
        return JSONResponse(
            {"state": "error", "missingChunks": [], "detail": str(error)}, status_code=error.status
        )
    release, dist = release or bundle.release, dist or bundle.dist  # the bundle's own attributes
    if release is not None:
        check_version(release)
    if dist is not None and (len(dist) > 64 or "\0" in dist):
        raise ApiError(400, "a dist has at most 64 characters, without NUL")
    position = await store_bundle(request, org.id, checksum, ids, release, dist, bundle, viewer)
    await wait_for(request, position)
    return JSONResponse({"state": "ok", "missingChunks": [], "detail": None})


async def store_bundle(
    request: Request,
    org_id: str,
    bundle_id: str,
    ids: list[int],
    release: str | None,
    dist: str | None,
    bundle: artifact_bundles.Bundle,
    viewer: Viewer,
) -> int | None:
    """Write the files' bytes (fsync'ed) first, then append the event that names them."""
    services = request.app.state.services
    commands = ReleaseCommands(services.store)
    files = [f.manifest() for f in bundle.files]
    # Over the quota, no blob is written either (the append checks again, against races).
    await commands.check_quota(org_id, bundle_id, files, services.settings.artifacts.quota_bytes)
    for file in bundle.files:
        await services.blobs.put(file.sha256, file.data)
    return await commands.store_bundle(
        org_id,
        bundle_id,
        ids,
        release,
        dist,
        [f.manifest() for f in bundle.files],
        services.settings.artifacts.quota_bytes,
        viewer.actor,
    )


@endpoint
async def release_files(request: Request, viewer: Viewer) -> Response:
    """The older upload (`POST /api/0/projects/{org}/{project}/releases/{version}/files/`): one
    file per request as multipart `file`, with `name` (its `~/path` URL), optional `dist` and
    `header` (`Sourcemap: app.js.map`). Stored as a one-file artifact bundle of the release."""
    services = request.app.state.services
    limits = services.settings.artifacts
    org = await organization(request, viewer, WRITE)
    project = await project_of(request, org, request.path_params["project"])
    version = check_version(request.path_params["version"])
    if await release_json(request, org, version) is None:
        raise ApiError(404, f"release {version!r} not found")
    if request.method == "GET":
        rows = await read(services.engine, release_queries.release_files, org.id, version)
        return JSONResponse(
            [
                {
                    "id": f"{row.bundle_id}:{row.url}",
                    "name": row.url,
                    "dist": row.dist,
                    "size": row.size,
                    "sha256": row.sha256,
                    "headers": {"Sourcemap": row.sourcemap} if row.sourcemap else {},
                }
                for row in rows
            ]
        )
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=limits.max_file_bytes)
    except Exception as error:
        raise ApiError(400, f"the file must be a multipart form: {error}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "send the file as the multipart field 'file'")
        data = await upload.read(limits.max_file_bytes + 1)
        name = form.get("name") or upload.filename
        dist = form.get("dist")
        headers = [h for h in form.getlist("header") if isinstance(h, str)]
    finally:
        await form.close()
    if len(data) > limits.max_file_bytes:
        raise ApiError(413, f"a file may hold at most {limits.max_file_bytes} bytes")
    if not isinstance(name, str) or not name or len(name) > 500 or "\0" in name:
        raise ApiError(400, "'name' must be the file's URL (e.g. ~/static/app.js)")
    if dist is not None and (not isinstance(dist, str) or len(dist) > 64 or "\0" in dist):
        raise ApiError(400, "'dist' must be a string of at most 64 characters")
    try:
        file = await artifact_bundles.release_file(name, data, headers, limits)
    except artifact_bundles.BadBundle as error:
        raise ApiError(error.status, str(error)) from None
    bundle = artifact_bundles.Bundle([file], version, dist)
    bundle_id = hashlib.sha1(f"{version}\0{dist or ''}\0{name}\0{file.sha256}".encode()).hexdigest()
    position = await store_bundle(request, org.id, bundle_id, [project.id], version, dist, bundle, viewer)
    await wait_for(request, position)
    return JSONResponse(
        {
            "id": bundle_id,
            "name": name,
            "dist": dist,
            "size": len(data),
            "sha1": hashlib.sha1(data).hexdigest(),
            "headers": dict(file.headers),
            "dateCreated": iso(time.time()),
        },
        status_code=201,
    )


PREFIX = "/api/0"
routes = [
    Route(f"{PREFIX}/", auth_info, methods=["GET"]),
    Route(f"{PREFIX}/organizations/", list_organizations, methods=["GET"]),
    Route(f"{PREFIX}/organizations/{{org}}/", organization_details, methods=["GET"]),
    Route(f"{PREFIX}/organizations/{{org}}/projects/", list_projects, methods=["GET"]),
    Route(f"{PREFIX}/projects/{{org}}/{{project}}/", project_details, methods=["GET"]),
    Route(f"{PREFIX}/organizations/{{org}}/releases/", releases, methods=["GET", "POST"]),
    Route(f"{PREFIX}/organizations/{{org}}/releases/{{version}}/", release_details, methods=["GET", "PUT"]),
    Route(
        f"{PREFIX}/organizations/{{org}}/releases/{{version}}/deploys/",
        release_deploys,
        methods=["GET", "POST"],
    ),
    Route(f"{PREFIX}/projects/{{org}}/{{project}}/releases/", project_releases, methods=["GET"]),
    Route(
        f"{PREFIX}/projects/{{org}}/{{project}}/releases/{{version}}/files/",
        release_files,
        methods=["GET", "POST"],
    ),
    Route(f"{PREFIX}/organizations/{{org}}/chunk-upload/", chunk_upload, methods=["GET", "POST"]),
    Route(f"{PREFIX}/organizations/{{org}}/artifactbundle/assemble/", assemble_bundle, methods=["POST"]),
]
