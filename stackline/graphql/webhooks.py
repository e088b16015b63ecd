"""Webhooks in GraphQL: `Webhook` with its delivery log, and the mutations that create, update and
delete webhooks (`WebhookMutations`, part of the schema's `Mutation`).

Reading webhooks needs `project:read`, changing them `project:write`. Mutations append through
`stackline/app/webhook_commands.py` and answer once the projector has applied the change. Never
writes read models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import orjson
import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from stackline.graphql.context import PublicError, ctx, encode_id, key_of
from stackline.graphql.issues import IssueChangeKind
from stackline.graphql.payloads import UserError, user_errors
from stackline.graphql.permissions import ProjectRead, ProjectWrite
from stackline.graphql.relay import (
    Connection,
    Node,
    connection,
    encode_cursor,
    forward_page,
    page_size,
    position_id_cursor,
)
from stackline.readmodels import queries
from stackline.readmodels.queries import aware
from stackline.usecases import webhooks as usecases

if TYPE_CHECKING:
    from stackline.graphql.projects import Project


@strawberry.enum
class WebhookDeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type(description="One issue change owed to a webhook, and how sending it went.")
class WebhookDelivery:
    delivery_id: str = strawberry.field(
        description="The X-Stackline-Delivery header: the same on every attempt."
    )
    event: IssueChangeKind
    issue_id: strawberry.ID = strawberry.field(description="The global id of the issue that changed.")
    status: WebhookDeliveryStatus
    attempts: int
    response_status_code: int | None = strawberry.field(description="The HTTP status of the latest answer.")
    last_error: str | None = strawberry.field(description="Why the latest attempt failed, if it did.")
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(description="When PENDING: the next attempt's time.")
    finished_at: datetime | None
    payload: JSON = strawberry.field(description="The JSON body sent (and signed).")

    @classmethod
    def from_row(cls, row: Row) -> WebhookDelivery:
        return cls(
            delivery_id=row.id,
            event=IssueChangeKind(row.event),
            issue_id=strawberry.ID(encode_id("Issue", row.issue_id)),
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            response_status_code=row.response_status,
            last_error=row.last_error,
            created_at=aware(row.created_at),
            last_attempt_at=aware(row.last_attempt_at) if row.last_attempt_at else None,
            next_attempt_at=datetime.fromtimestamp(row.next_attempt_at, UTC) if row.next_attempt_at else None,
            finished_at=aware(row.finished_at) if row.finished_at else None,
            payload=orjson.loads(row.body),
        )


@strawberry.type(description="An HTTP endpoint that receives a project's issue changes, signed.")
class Webhook(Node):
    url: str
    events: list[IssueChangeKind] = strawberry.field(description="The issue changes it receives.")
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    project_id: strawberry.Private[int]
    webhook_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Webhook:
        return cls(
            id=strawberry.ID(encode_id("Webhook", row.id)),
            url=row.url,
            events=[IssueChangeKind(kind) for kind in row.events],
            description=row.description,
            is_active=row.is_active,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            project_id=row.project_id,
            webhook_id=row.id,
            organization_id=row.organization_id,
        )

    @strawberry.field
    async def project(self, info: Info) -> Annotated[Project, strawberry.lazy("stackline.graphql.projects")]:
        from stackline.graphql.projects import Project

        row = await ctx(info).project_loader().load(self.project_id)
        if row is None:
            raise PublicError("project not found")
        return Project.from_row(row)

    @strawberry.field(permission_classes=[ProjectRead], description="The delivery log, newest change first.")
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        limit = page_size(first)
        cursor = position_id_cursor(after)
        rows = await ctx(info).read(
            queries.deliveries_page,
            self.organization_id,
            self.webhook_id,
            first=limit + 1,
            after=cursor,
        )
        total = await ctx(info).read(queries.delivery_count, self.organization_id, self.webhook_id)
        edges, more = forward_page(
            rows, limit, WebhookDelivery.from_row, lambda r: encode_cursor(r.position, r.id)
        )
        return connection(edges, more, after, total)


@strawberry.input
class CreateWebhookInput:
    project_id: strawberry.ID
    url: str = strawberry.field(description="An http:// or https:// URL that accepts POSTs.")
    events: list[IssueChangeKind] = strawberry.field(description="The issue changes to send.")
    description: str = ""


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        description="Signs every delivery (X-Stackline-Signature). Shown only here: store it now."
    )
    user_errors: list[UserError]


@strawberry.input
class UpdateWebhookInput:
    id: strawberry.ID
    url: str | None = None
    events: list[IssueChangeKind] | None = None
    description: str | None = None
    is_active: bool | None = strawberry.field(
        default=None, description="An inactive webhook is sent nothing."
    )
    rotate_secret: bool = strawberry.field(default=False, description="Sign from now on with a new secret.")


@strawberry.type
class UpdateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(description="With rotateSecret: the new secret, shown only here.")
    user_errors: list[UserError]


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.type
class DeleteWebhookPayload:
    deleted_webhook_id: strawberry.ID | None
    user_errors: list[UserError]


def _webhook_of(row: Row | None) -> Webhook | None:
    return Webhook.from_row(row) if row else None


@strawberry.type
class WebhookMutations:
    """Each mutation decodes its ids and calls its use case in `stackline/usecases/webhooks.py`."""

    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Send a project's issue changes to a URL, signed with a secret shown once.",
    )
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        context = ctx(info)
        answer = await usecases.create_webhook(
            context.services,
            context.known_viewer,
            key_of(input.project_id, "Project"),
            input.url,
            tuple(kind.value for kind in input.events),
            input.description,
        )
        return CreateWebhookPayload(
            webhook=_webhook_of(answer.webhook), secret=answer.secret, user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        permission_classes=[ProjectWrite],
        description="Change a webhook's URL, events, description or activity; or rotate its secret.",
    )
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> UpdateWebhookPayload:
        context = ctx(info)
        changes = {
            name: value
            for name, value in (
                ("url", input.url),
                ("description", input.description),
                ("is_active", input.is_active),
                ("events", tuple(kind.value for kind in input.events) if input.events is not None else None),
            )
            if value is not None
        }
        answer = await usecases.change_webhook(
            context.services, context.known_viewer, key_of(input.id, "Webhook"), changes, input.rotate_secret
        )
        return UpdateWebhookPayload(
            webhook=_webhook_of(answer.webhook), secret=answer.secret, user_errors=user_errors(answer.refusal)
        )

    @strawberry.mutation(
        permission_classes=[ProjectWrite], description="Delete a webhook: nothing more is sent to it."
    )
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
        context = ctx(info)
        answer = await usecases.delete_webhook(
            context.services, context.known_viewer, key_of(input.id, "Webhook")
        )
        return DeleteWebhookPayload(
            deleted_webhook_id=input.id if answer.deleted else None, user_errors=user_errors(answer.refusal)
        )
