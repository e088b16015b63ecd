"""Error events in GraphQL: `Event` with its stack traces (`StackFrame`, `EventException`), tags and
attachments, and the user feedback a project receives. Never writes read models."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from stackline.graphql.context import ctx, encode_id, personal_keys
from stackline.graphql.permissions import EventRead
from stackline.graphql.relay import Node
from stackline.projections.symbolicate import exceptions_of, frames_of
from stackline.readmodels.queries import aware


def download_path(project_id: int, attachment_id: str) -> str:
    """Where the attachment download route (`stackline/entrypoints/attachments.py`) serves it."""
    return f"/api/attachments/{project_id}/{quote(attachment_id, safe='')}/"


@strawberry.type
class Tag:
    key: str
    value: str


@strawberry.type
class Feedback:
    feedback_id: str
    associated_event_id: str | None
    name: str | None
    email: str | None
    comments: str
    received_at: datetime


@strawberry.type
class Attachment:
    attachment_id: str
    filename: str
    content_type: str
    attachment_type: str
    size: int
    sha256: str
    download_path: str = strawberry.field(
        description="GET it with the same `Authorization: Bearer <API token>` (event:read) for the bytes."
    )


@strawberry.type(description="One frame of a stack trace, oldest call first as Sentry orders them.")
class StackFrame:
    filename: str | None
    abs_path: str | None
    function: str | None
    module: str | None
    lineno: int | None
    colno: int | None
    in_app: bool | None
    context_line: str | None
    pre_context: list[str]
    post_context: list[str]
    mapped: bool = strawberry.field(description="Mapped from minified code through an uploaded source map.")
    minified: StackFrame | None = strawberry.field(
        description="Where a mapped frame was in the minified code, as the SDK sent it."
    )

    @classmethod
    def from_data(cls, frame: dict) -> StackFrame:
        def text(key: str) -> str | None:
            value = frame.get(key)
            return value if isinstance(value, str) else None

        def number(key: str) -> int | None:
            value = frame.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def lines(key: str) -> list[str]:
            value = frame.get(key)
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

        minified = frame.get("minified")
        return cls(
            filename=text("filename"),
            abs_path=text("abs_path"),
            function=text("function"),
            module=text("module"),
            lineno=number("lineno"),
            colno=number("colno"),
            in_app=frame.get("in_app") if isinstance(frame.get("in_app"), bool) else None,
            context_line=text("context_line"),
            pre_context=lines("pre_context"),
            post_context=lines("post_context"),
            mapped=isinstance(minified, dict),
            minified=StackFrame.from_data(minified) if isinstance(minified, dict) else None,
        )


@strawberry.type(description="An exception of an event, with its stack trace.")
class EventException:
    type: str | None
    value: str | None
    module: str | None
    frames: list[StackFrame] = strawberry.field(
        description="The stack trace, each frame mapped through its source map where one is uploaded."
    )
    raw_frames: list[StackFrame] = strawberry.field(description="The stack trace as the SDK sent it.")


@strawberry.type
class Event(Node):
    event_id: str
    timestamp: datetime
    received_at: datetime
    title: str
    message: str | None
    level: str
    platform: str | None
    grouping: JSON = strawberry.field(
        description="Why the event was grouped as it was: config, rule, hash, components."
    )
    stored_tags: strawberry.Private[list[tuple[str, str]]]
    project_id: strawberry.Private[int]
    organization_id: strawberry.Private[str]
    position: strawberry.Private[int]

    @strawberry.field(permission_classes=[EventRead])
    async def tags(self, info: Info) -> list[Tag]:
        shown = await personal_keys(info).reveal(self.organization_id, (v for _, v in self.stored_tags))
        return [Tag(key=k, value=shown.get(v, v)) for k, v in self.stored_tags]

    @strawberry.field(
        permission_classes=[EventRead], description="The event as stored: normalized and scrubbed."
    )
    async def payload(self, info: Info) -> JSON:
        return JSON(await ctx(info).payload_loader().load(self.position) or {})

    @strawberry.field(
        permission_classes=[EventRead],
        description="The event's exceptions and stack traces; JavaScript frames mapped through the "
        "organization's uploaded source maps (the stored payload keeps the minified ones).",
    )
    async def exceptions(self, info: Info) -> list[EventException]:
        payload = await ctx(info).payload_loader().load(self.position) or {}
        row = await ctx(info).symbolication_loader().load((self.project_id, self.event_id))
        mapped = list(row.exceptions) if row is not None else []
        found = []
        for index, exception in enumerate(exceptions_of(payload)):
            raw = [StackFrame.from_data(frame) for frame in frames_of(exception)]
            frames = mapped[index] if index < len(mapped) and isinstance(mapped[index], list) else None

            def text(key: str, exception: dict = exception) -> str | None:
                value = exception.get(key)
                return value if isinstance(value, str) else None

            found.append(
                EventException(
                    type=text("type"),
                    value=text("value"),
                    module=text("module"),
                    frames=[StackFrame.from_data(f) for f in frames if isinstance(f, dict)]
                    if frames
                    else raw,
                    raw_frames=raw,
                )
            )
        return found

    @strawberry.field(
        permission_classes=[EventRead],
        description="Files the SDK attached to this event (minidumps, logs, screenshots, ...).",
    )
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await ctx(info).attachments_loader().load((self.project_id, self.event_id)) or []
        return [
            Attachment(
                attachment_id=r.attachment_id,
                filename=r.filename,
                content_type=r.content_type,
                attachment_type=r.attachment_type,
                size=r.size,
                sha256=r.sha256,
                download_path=download_path(r.project_id, r.attachment_id),
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: Row) -> Event:
        return cls(
            id=strawberry.ID(encode_id("Event", f"{row.project_id}:{row.event_id}")),
            event_id=row.event_id,
            timestamp=aware(row.timestamp),
            received_at=aware(row.received_at),
            title=row.title,
            message=row.message,
            level=row.level,
            platform=row.platform,
            stored_tags=[(k, v) for k, v in row.tags],
            grouping=row.grouping,
            project_id=row.project_id,
            organization_id=row.organization_id,
            position=row.position,
        )
