"""Command handlers: load an aggregate from its stream, let it decide, append what it decided.

Every handler appends with the expected version it decided against, and retries the whole
decision when another writer got there first. Handlers never write read models.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from stackline.domain.events import (
    DomainEvent,
    OutcomesRecorded,
    ProjectIdAllocated,
    event_type,
)
from stackline.domain.monitor import MonitorCheckInMissed, MonitorCheckInTimedOut
from stackline.domain.organization import (
    ALL_SCOPES,
    InvalidCommand,
    Organization,
    ProjectState,
    stream_name,
)
from stackline.domain.registry import decode
from stackline.domain.user import User, normalize_email
from stackline.domain.user import stream_name as user_stream
from stackline.eventstore import EventStore, NewEvent, StreamState, WrongExpectedVersion

PROJECT_ID_STREAM = "sequence-project-ids"
MONITOR_NAMESPACE = uuid.UUID("5d0c6a4e-2f3b-4e61-9a7c-8b1e0f4d2c93")
RETRIES = 10
T = TypeVar("T")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ingest_stream(project_id: int) -> str:
    return f"ingest-{project_id}"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # the secret: shown once, never stored
    token_id: str
    position: int | None = None  # where the issuing event sits in the log


class Commands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def load_organization(self, slug: str) -> tuple[Organization, int]:
        recorded = await self.store.read_stream(stream_name(slug))
        org = Organization.from_events(e for r in recorded if (e := decode(r.type, r.data)) is not None)
        return org, (recorded[-1].version if recorded else -1)

    async def _append(
        self, stream: str, events: Sequence[DomainEvent], expected: int, actor: str | None
    ) -> int:
        result = await self.store.append(
            stream,
            [
                NewEvent(
                    event_type(e), e.to_data(), metadata={"actor": actor}, schema_version=e.schema_version
                )
                for e in events
            ],
            StreamState.NO_STREAM if expected == -1 else expected,
        )
        return result.position

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        for _ in range(RETRIES):
            try:
                return await attempt()
            except WrongExpectedVersion:
                continue
        raise InvalidCommand("too many concurrent changes; try again")

    async def load_user(self, email: str) -> tuple[User, int]:
        recorded = await self.store.read_stream(user_stream(email))
        user = User.from_events(e for r in recorded if (e := decode(r.type, r.data)) is not None)
        return user, (recorded[-1].version if recorded else -1)

    async def create_organization(
        self, slug: str, name: str = "", actor: str | None = None, owner: str | None = None
    ) -> Organization:
        async def attempt() -> Organization:
            org, version = await self.load_organization(slug)
            events = org.create(str(uuid.uuid4()), slug, name, owner)
            await self._append(stream_name(slug), events, version, actor)
            for event in events:
                org.apply(event)
            return org

        return await self._retrying(attempt)

    async def ensure_organization(self, slug: str, actor: str | None = None) -> Organization:
        org, _ = await self.load_organization(slug)
        if org.exists:
            return org
        try:
            return await self.create_organization(slug, slug, actor)
        except InvalidCommand:
            org, _ = await self.load_organization(slug)
            if org.exists:  # a concurrent bootstrap created it first
                return org
            raise

    async def allocate_project_id(self) -> int:
        async def attempt() -> int:
            last = await self.store.read_stream(PROJECT_ID_STREAM, -1, backwards=True, limit=1)
            version = last[0].version if last else -1
            project_id = version + 2
            await self._append(PROJECT_ID_STREAM, [ProjectIdAllocated(project_id)], version, None)
            return project_id

        return await self._retrying(attempt)

    async def create_project(
        self, org_slug: str, slug: str, name: str = "", platform: str | None = None, actor: str | None = None
    ) -> ProjectState:
        project_id = await self.allocate_project_id()
        public_key = secrets.token_hex(16)

        async def attempt() -> ProjectState:
            org, version = await self.load_organization(org_slug)
            events = org.create_project(project_id, slug, name, public_key, platform)
            await self._append(stream_name(org_slug), events, version, actor)
            for event in events:
                org.apply(event)
            return org.projects[slug]

        return await self._retrying(attempt)

    async def ensure_project(self, org_slug: str, slug: str, actor: str | None = None) -> ProjectState:
        org, _ = await self.load_organization(org_slug)
        if slug in org.projects:
            return org.projects[slug]
        try:
            return await self.create_project(org_slug, slug, slug, actor=actor)
        except InvalidCommand:
            org, _ = await self.load_organization(org_slug)
            if slug in org.projects:
                return org.projects[slug]
            raise

    async def _change_organization(
        self, org_slug: str, decide: Callable[[Organization], list[DomainEvent]], actor: str | None
    ) -> int | None:
        """Let the organization decide; the log position of what it appended, or None for no change."""

        async def attempt() -> int | None:
            org, version = await self.load_organization(org_slug)
            events = decide(org)
            return await self._append(stream_name(org_slug), events, version, actor) if events else None

        return await self._retrying(attempt)

    async def add_member(
        self, org_slug: str, email: str, role: str, actor: str | None = None, as_owner: bool = True
    ) -> int | None:
        """Returns the log position of the change, or None when the member already had that role."""
        return await self._change_organization(
            org_slug, lambda org: org.add_member(email, role, as_owner), actor
        )

    async def change_member_role(
        self, org_slug: str, email: str, role: str, actor: str | None, as_owner: bool
    ) -> int | None:
        return await self._change_organization(
            org_slug, lambda org: org.change_member_role(email, role, as_owner), actor
        )

    async def remove_member(self, org_slug: str, email: str, actor: str | None, as_owner: bool) -> int | None:
        return await self._change_organization(
            org_slug, lambda org: org.remove_member(email, as_owner), actor
        )

    async def issue_token(
        self,
        org_slug: str,
        label: str,
        scopes: Sequence[str] = ALL_SCOPES,
        actor: str | None = None,
        expires_at: float | None = None,
    ) -> IssuedToken:
        """An organization token: it acts for the organization with its scopes, whoever holds it."""
        token = "slt_" + secrets.token_urlsafe(32)
        token_id = str(uuid.uuid4())
        position = await self._change_organization(
            org_slug,
            lambda org: org.issue_token(token_id, token_hash(token), label, scopes, expires_at, time.time()),
            actor,
        )
        return IssuedToken(token, token_id, position)

    async def issue_personal_token(
        self,
        email: str,
        label: str,
        scopes: Sequence[str] = ALL_SCOPES,
        expires_at: float | None = None,
        actor: str | None = None,
    ) -> IssuedToken:
        """A user's token (registering the user on first use); it can do in an organization only
        what the user's role there allows."""
        email = normalize_email(email)
        token = "slt_" + secrets.token_urlsafe(32)
        token_id = str(uuid.uuid4())

        async def attempt() -> int:
            user, version = await self.load_user(email)
            events = user.register(str(uuid.uuid4()), email)
            for event in events:
                user.apply(event)
            events += user.issue_token(token_id, token_hash(token), label, scopes, expires_at, time.time())
            return await self._append(user_stream(email), events, version, actor)

        return IssuedToken(token, token_id, await self._retrying(attempt))

    async def revoke_token(
        self,
        token_id: str,
        *,
        org_slug: str | None = None,
        email: str | None = None,
        actor: str | None = None,
    ) -> int | None:
        """Revoke an organization token (in its organization's stream) or a personal one (in its user's)."""
        if org_slug is not None:
            return await self._change_organization(org_slug, lambda org: org.revoke_token(token_id), actor)
        assert email is not None

        async def attempt() -> int | None:
            user, version = await self.load_user(email)
            events = user.revoke_token(token_id)
            return await self._append(user_stream(email), events, version, actor) if events else None

        return await self._retrying(attempt)

    async def receive_intake(self, project_id: int, events: Sequence[tuple[uuid.UUID, DomainEvent]]) -> None:
        """Append what one ingest request carried, all or nothing; returns once it is durable.
        The ids come from the SDK's own ids, so a retried request is not stored twice."""
        await self.store.append(
            ingest_stream(project_id),
            [
                NewEvent(
                    event_type(e),
                    e.to_data(),
                    metadata={"organization_id": getattr(e, "organization_id", None)},
                    id=event_id,
                    schema_version=e.schema_version,
                    body=e.body(),
                )
                for event_id, e in events
            ],
            StreamState.ANY,
        )

    async def mark_monitor(self, event: MonitorCheckInMissed | MonitorCheckInTimedOut) -> None:
        """Append what the clock decided about a monitor. The id names the check-in concerned,
        so two processes (or two rounds before the projector caught up) append it once."""
        what = (
            f"missed:{event.expected_at!r}"
            if isinstance(event, MonitorCheckInMissed)
            else f"timeout:{event.check_in_id}"
        )
        await self.store.append(
            ingest_stream(event.project_id),
            [
                NewEvent(
                    event_type(event),
                    event.to_data(),
                    metadata={"organization_id": event.organization_id},
                    id=uuid.uuid5(MONITOR_NAMESPACE, f"{event.project_id}:{event.monitor_slug}:{what}"),
                )
            ],
            StreamState.ANY,
        )

    async def record_outcomes(
        self, organization_id: str, project_id: int, at: float, outcomes: list[dict]
    ) -> None:
        event = OutcomesRecorded(organization_id, project_id, at, outcomes)
        await self.store.append(
            ingest_stream(project_id), [NewEvent(event_type(event), event.to_data())], StreamState.ANY
        )

    async def change_project_settings(
        self, org_slug: str, project_slug: str, changes: dict[str, Any], actor: str | None
    ) -> int | None:
        """Change the named settings (fields of ProjectSettings), keep the others."""

        async def attempt() -> int | None:
            org, version = await self.load_organization(org_slug)
            project = org.projects.get(project_slug)
            if project is None:
                raise InvalidCommand("project not found")
            events = org.change_project_settings(
                project_slug, dataclasses.replace(project.settings, **changes)
            )
            return await self._append(stream_name(org_slug), events, version, actor) if events else None

        return await self._retrying(attempt)

    async def change_organization_retention(
        self, org_slug: str, changes: dict[str, Any], actor: str | None
    ) -> int | None:
        """Change the named fields of the organization's RetentionPolicy, keep the others."""

        async def attempt() -> int | None:
            org, version = await self.load_organization(org_slug)
            events = org.change_retention(dataclasses.replace(org.retention, **changes))
            return await self._append(stream_name(org_slug), events, version, actor) if events else None

        return await self._retrying(attempt)

    async def change_key_limits(
        self, org_slug: str, project_slug: str, public_key: str, changes: dict[str, Any], actor: str | None
    ) -> int | None:
        """Change the named limits (fields of KeyLimits) of one DSN key, keep the others."""

        async def attempt() -> int | None:
            org, version = await self.load_organization(org_slug)
            project = org.projects.get(project_slug)
            if project is None or public_key not in project.key_limits:
                raise InvalidCommand("project key not found")
            events = org.change_key_limits(
                project_slug, public_key, dataclasses.replace(project.key_limits[public_key], **changes)
            )
            return await self._append(stream_name(org_slug), events, version, actor) if events else None

        return await self._retrying(attempt)
