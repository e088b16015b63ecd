"""The attachment download route: `GET /api/attachments/{project_id}/{attachment_id}/`.

The bytes an SDK attached to an event (stored under `<data dir>/blobs/`, named by their
SHA-256), to a caller whose bearer API token holds `event:read` in the attachment's
organization. Another organization's attachment answers exactly like a missing one (404). It
never serves a blob by its digest alone: the attachment row, found within the caller's
organizations, names the blob.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from stackline.app.lookups import bearer_token
from stackline.readmodels import queries
from stackline.readmodels.reads import read

# GraphQL shows an attachment's `downloadPath` in this shape (`download_path` in
# `stackline/graphql/events.py`, which imports no entry point).
PATH = "/api/attachments/{project_id:int}/{attachment_id}/"


async def download(request: Request) -> Response:
    services = request.app.state.services
    token = bearer_token(request.headers.get("authorization"))
    viewer = await services.lookups.viewer(token) if token else None
    if viewer is None:
        return JSONResponse(
            {"detail": "authentication required: send 'Authorization: Bearer <API token>'"}, status_code=401
        )
    org_ids = viewer.orgs("event:read")
    project_id: int = request.path_params["project_id"]
    attachment_id: str = request.path_params["attachment_id"]
    row = (
        await read(services.engine, queries.attachment, org_ids, project_id, attachment_id)
        if org_ids
        else None
    )
    if row is None or not (path := services.blobs.path(row.sha256)).is_file():
        return JSONResponse({"detail": "attachment not found"}, status_code=404)
    return FileResponse(
        path,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [Route(PATH, download, methods=["GET"])]
