"""Per-request context: the services, the authenticated viewer and request-scoped loaders."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from stackline.app.lookups import Viewer
from stackline.app.wiring import Services
from stackline.domain.events import decode
from stackline.readmodels import queries


class PublicError(Exception):
    """An error whose message is safe to show a client; every other error is masked."""


class NotAuthenticated(PublicError):
    def __init__(self) -> None:
        super().__init__("authentication required: send 'Authorization: Bearer <API token>'")


@dataclass
class Context:
    services: Services
    request: Request | WebSocket
    response: Any
    viewer: Viewer | None = None
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, DataLoader] = field(default_factory=dict)

    def require_viewer(self, scope: str) -> Viewer:
        if self.viewer is None:
            raise NotAuthenticated()
        if scope not in self.viewer.scopes:
            raise PublicError(f"this API token lacks the {scope!r} scope")
        return self.viewer

    def project_loader(self) -> DataLoader[int, Row | None]:
        """Projects by id, batched, in the viewer's organization only."""
        loader = self.loaders.get("project")
        if loader is None:
            org_id = self.require_viewer("project:read").organization_id

            async def load(ids: list[int]) -> list[Row | None]:
                async with self.services.engine.connect() as conn:
                    found = await queries.projects_by_ids(conn, org_id, ids)
                return [found.get(i) for i in ids]

            loader = self.loaders["project"] = DataLoader(load_fn=load)
        return loader


    def payload_loader(self) -> DataLoader[int, dict[str, Any] | None]:
        """Stored event payloads by log position, batched. The read models keep no second copy
        of a payload; callers pass positions they read from a row of the viewer's organization."""
        loader = self.loaders.get("payload")
        if loader is None:

            async def load(positions: list[int]) -> list[dict[str, Any] | None]:
                found = {}
                for recorded in await self.services.store.read_positions(positions):
                    event = decode(recorded.type, recorded.data)
                    found[recorded.position] = getattr(event, "payload", None)
                return [found.get(p) for p in positions]

            loader = self.loaders["payload"] = DataLoader(load_fn=load)
        return loader


def ctx(info: Info) -> Context:
    return info.context


def bearer_token(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def encode_id(type_name: str, key: object) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def decode_id(global_id: str, expected: str | None = None) -> tuple[str, str] | None:
    """The (type, key) inside a global id, or None when it is not one of ours."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, key = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not key or (expected is not None and type_name != expected):
        return None
    return type_name, key
