"""Per-request context: the services, the authenticated viewer and request-scoped loaders.

Authorization has two steps. A root field (or a lookup by global id) asks `orgs(scope)`: the
organizations where the viewer holds the scope, and the query filters by them, so another
organization's object looks exactly like a missing one. A field of an object already found asks
`require_scope(org_id, scope)` for the object's own organization. Loaders batch one relation
each (one statement per relation and request, whatever the number of parents) and filter by the
organizations the viewer may read it in.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from stackline.app.lookups import Viewer
from stackline.app.personal_keys import PersonalKeys
from stackline.app.wiring import Services
from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.registry import decode
from stackline.readmodels import queries
from stackline.readmodels.reads import read

P = ParamSpec("P")
T = TypeVar("T")


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
    token: str | None = None  # the bearer token, to re-check a long-lived subscription's viewer
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, DataLoader] = field(default_factory=dict)

    def require_viewer(self, scope: str) -> Viewer:
        """The viewer, if it holds `scope` in at least one organization."""
        if self.viewer is None:
            raise NotAuthenticated()
        if not self.viewer.orgs(scope):
            if self.viewer.is_personal and not self.viewer.roles:
                # Not a scope the token could be given: its user belongs to no organization.
                raise PublicError(
                    f"this API token's user ({self.viewer.user_email}) is not a member of any "
                    "organization: an owner adds them (addMember), or they create one (createOrganization)"
                )
            raise PublicError(f"this API token lacks the {scope!r} scope")
        return self.viewer

    @property
    def known_viewer(self) -> Viewer:
        """The viewer of a field that a permission class (`stackline/graphql/permissions.py`) has
        admitted: it is known to hold the field's scope."""
        if self.viewer is None:
            raise NotAuthenticated()
        return self.viewer

    def orgs(self, scope: str) -> frozenset[str]:
        """The organizations in which the viewer holds `scope` (an error if there are none)."""
        return self.require_viewer(scope).orgs(scope)

    def require_scope(self, organization_id: str, scope: str) -> Viewer:
        """The viewer, if it holds `scope` in this organization (whose object it has already found)."""
        viewer = self.require_viewer(scope)
        if not viewer.can(organization_id, scope):
            raise PublicError(f"this API token lacks the {scope!r} scope")
        return viewer

    async def read(
        self,
        query: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """One read query of `stackline/readmodels/queries.py` (or `alert_queries.py`), on a
        connection of its own: resolvers never open connections."""
        return await read(self.services.engine, query, *args, **kwargs)

    def loader(
        self, name: str, scope: str, fetch: Callable[[Any, frozenset[str], list], Awaitable[dict]]
    ) -> DataLoader:
        """A request-scoped DataLoader: `fetch(conn, org_ids, keys)` answers a dict by key for all
        keys at once, in the organizations where the viewer holds `scope`."""
        loader = self.loaders.get(name)
        if loader is None:
            org_ids = self.orgs(scope)

            async def load(keys: list) -> list:
                found = await read(self.services.engine, fetch, org_ids, keys)
                return [found.get(key) for key in keys]

            loader = self.loaders[name] = DataLoader(load_fn=load)
        return loader

    def project_loader(self) -> DataLoader[int, Row | None]:
        """Projects by id, in the organizations where the viewer may read projects."""
        return self.loader("project", "project:read", queries.projects_by_ids)

    def organization_loader(self) -> DataLoader[str, Row | None]:
        async def fetch(conn: Any, org_ids: frozenset[str], ids: list[str]) -> dict:
            return {row.id: row for row in await queries.organizations_by_ids(conn, org_ids & set(ids))}

        return self.loader("organization", "org:read", fetch)

    def tags_loader(self) -> DataLoader[str, list[Row] | None]:
        """Tag values by issue id."""
        return self.loader("tags", "event:read", _grouped(queries.tags_of_issues, "issue_id"))

    def activity_loader(self) -> DataLoader[str, list[Row] | None]:
        return self.loader("activity", "event:read", _grouped(queries.activity_of_issues, "issue_id"))

    def member_loader(self) -> DataLoader[tuple[str, str], Row | None]:
        """Members by (organization id, email)."""
        return self.loader("member", "org:read", queries.members_by_keys)

    def project_keys_loader(self) -> DataLoader[int, list[Row] | None]:
        """DSN keys by project id, oldest first."""
        return self.loader(
            "project_keys", "project:read", _grouped(queries.public_keys_of_projects, "project_id")
        )

    def attachments_loader(self) -> DataLoader[tuple[int, str], list[Row] | None]:
        """Attachments by (project id, event id)."""
        fetch = _grouped(queries.attachments_of_events, lambda row: (row.project_id, row.event_id))
        return self.loader("attachments", "event:read", fetch)

    def symbolication_loader(self) -> DataLoader[tuple[int, str], Row | None]:
        """Frames mapped through source maps by (project id, event id)."""
        return self.loader("symbolication", "event:read", queries.symbolications_of_events)

    def hashes_loader(self) -> DataLoader[str, list[Row] | None]:
        """Grouping hashes by issue id."""
        return self.loader("hashes", "event:read", _grouped(queries.hashes_of_issues, "issue_id"))

    def grouping_loader(self) -> DataLoader[str, dict | None]:
        """The latest event's grouping by issue id."""
        return self.loader("grouping", "event:read", queries.latest_groupings)

    def event_count_loader(self) -> DataLoader[str, int | None]:
        return self.loader("event_count", "event:read", queries.event_counts)

    def events_loader(self) -> DataLoader[tuple[str, int, int | None], list[Row] | None]:
        """A page of events by (issue id, page size, before position): one statement per distinct
        page shape, however many issues ask."""

        async def fetch(conn: Any, org_ids: frozenset[str], keys: list[tuple[str, int, int | None]]) -> dict:
            shapes: dict[tuple[int, int | None], list[str]] = {}
            for issue_id, first, after in keys:
                shapes.setdefault((first, after), []).append(issue_id)
            found: dict = {key: [] for key in keys}
            for (first, after), issue_ids in shapes.items():
                for row in await queries.events_pages(conn, org_ids, issue_ids, first=first, after=after):
                    found[(row.issue_id, first, after)].append(row)
            return found

        return self.loader("events", "event:read", fetch)

    def payload_loader(self) -> DataLoader[int, dict[str, Any] | None]:
        """Stored event payloads by log position, batched. The read models keep no second copy
        of a payload; callers pass positions they read from a row of the viewer's organization."""
        loader = self.loaders.get("payload")
        if loader is None:

            async def load(positions: list[int]) -> list[dict[str, Any] | None]:
                found = {}
                for recorded in await self.services.store.read_positions(positions):
                    event = decode(recorded.type, recorded.data)
                    if isinstance(event, ErrorEventReceived):
                        event = event.with_payload(recorded.body)
                    found[recorded.position] = (
                        getattr(event, "organization_id", ""),
                        getattr(event, "payload", None),
                    )
                # Personal values are stored sealed: opened here with the keys still held.
                personal = self.services.personal
                assert personal is not None
                return await personal.open_payloads(found.get(p, ("", None)) for p in positions)

            loader = self.loaders["payload"] = DataLoader(load_fn=load)
        return loader


def _grouped(
    fetch: Callable[[Any, frozenset[str], Sequence], Awaitable[list[Row]]],
    key: str | Callable[[Row], Hashable],
) -> Callable[[Any, frozenset[str], list], Awaitable[dict]]:
    """A loader fetch that groups the rows of one batched query by parent key."""
    key_of = (lambda row: getattr(row, key)) if isinstance(key, str) else key

    async def grouped(conn: Any, org_ids: frozenset[str], keys: list) -> dict:
        found: dict = {k: [] for k in keys}
        for row in await fetch(conn, org_ids, keys):
            found.setdefault(key_of(row), []).append(row)
        return found

    return grouped


def ctx(info: Info) -> Context:
    return info.context


def personal_keys(info: Info) -> PersonalKeys:
    """The key store that opens sealed personal values (`[erased]` once a key is deleted)."""
    personal = ctx(info).services.personal
    assert personal is not None, "open_services opens the key store"
    return personal


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


def key_of(global_id: str, expected: str) -> str | None:
    """The key inside a global id of type `expected`, or None when it is not one."""
    decoded = decode_id(global_id, expected)
    return decoded[1] if decoded else None
