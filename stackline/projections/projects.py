"""Projection of the Organization and User aggregates: organizations, projects, keys, members,
users and API tokens (organization and personal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.events import (
    ApiTokenIssued,
    ApiTokenRevoked,
    AttachmentStored,
    CheckInReceived,
    ClientReportReceived,
    FeedbackReceived,
    LogsReceived,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrganizationCreated,
    OrganizationRetentionChanged,
    OutcomesRecorded,
    PersonalTokenIssued,
    ProjectCreated,
    ProjectKeyCreated,
    ProjectKeyLimitsChanged,
    ProjectSettingsChanged,
    SessionsReceived,
    TransactionReceived,
    UserRegistered,
)
from stackline.domain.monitor import MonitorCheckInMissed, MonitorCheckInTimedOut, MonitorConfigured
from stackline.domain.registry import decode
from stackline.eventstore import RecordedEvent
from stackline.projections.runner import Effects
from stackline.readmodels.schema import api_tokens, members, organizations, project_keys, projects, users
from stackline.readmodels.upsert import upsert

# What SDKs send, most of the log: never this projection's, so not even decoded here. (A list
# of what it does handle would be a second copy of `apply`'s cases, free to drift from them.)
INGESTED_ITEMS = frozenset(
    cls.__name__
    for cls in (
        ErrorEventReceived,
        TransactionReceived,
        SessionsReceived,
        AttachmentStored,
        CheckInReceived,
        FeedbackReceived,
        LogsReceived,
        MonitorConfigured,
        MonitorCheckInMissed,
        MonitorCheckInTimedOut,
        ClientReportReceived,
        OutcomesRecorded,
    )
)


class ProjectsProjection:
    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        for event in batch:
            if event.type not in INGESTED_ITEMS:
                await self.apply(conn, event)

    async def apply(self, conn: AsyncConnection, event: RecordedEvent) -> None:
        at = event.recorded_at
        match decode(event.type, event.data):
            case OrganizationCreated() as e:
                await conn.execute(
                    organizations.insert().values(
                        id=e.organization_id, slug=e.slug, name=e.name, created_at=at
                    )
                )
            case OrganizationRetentionChanged() as e:
                await conn.execute(
                    organizations.update()
                    .where(organizations.c.id == e.organization_id)
                    .values(retention_days=e.retention_days, retention_max_events=e.retention_max_events)
                )
            case ProjectCreated() as e:
                await conn.execute(
                    projects.insert().values(
                        id=e.project_id,
                        organization_id=e.organization_id,
                        slug=e.slug,
                        name=e.name,
                        platform=e.platform,
                        issue_counter=0,
                        created_at=at,
                    )
                )
            case ProjectKeyCreated() as e:
                await conn.execute(
                    project_keys.insert().values(
                        public_key=e.public_key,
                        project_id=e.project_id,
                        organization_id=e.organization_id,
                        label=e.label,
                        is_active=True,
                        created_at=at,
                    )
                )
            case ProjectSettingsChanged() as e:
                await conn.execute(
                    projects.update()
                    .where(projects.c.id == e.project_id)
                    .values(
                        scrub_data=e.scrub_data,
                        scrub_ip_addresses=e.scrub_ip_addresses,
                        sensitive_fields=list(e.sensitive_fields),
                        safe_fields=list(e.safe_fields),
                        allowed_origins=list(e.allowed_origins),
                        monthly_event_quota=e.monthly_event_quota,
                        retention_days=e.retention_days,
                        retention_max_events=e.retention_max_events,
                    )
                )
            case ProjectKeyLimitsChanged() as e:
                await conn.execute(
                    project_keys.update()
                    .where(project_keys.c.public_key == e.public_key)
                    .values(
                        is_active=e.is_active,
                        rate_limit_per_second=e.rate_limit_per_second,
                        rate_limit_per_minute=e.rate_limit_per_minute,
                    )
                )
            case MemberAdded() as e:
                await upsert(
                    conn,
                    members,
                    {
                        "organization_id": e.organization_id,
                        "email": e.email,
                        "role": e.role,
                        "created_at": at,
                    },
                    keys=("organization_id", "email"),
                    update={"role": e.role},
                )
            case MemberRoleChanged() as e:
                await conn.execute(
                    members.update()
                    .where(members.c.organization_id == e.organization_id, members.c.email == e.email)
                    .values(role=e.role)
                )
            case MemberRemoved() as e:
                await conn.execute(
                    members.delete().where(
                        members.c.organization_id == e.organization_id, members.c.email == e.email
                    )
                )
            case UserRegistered() as e:
                await conn.execute(
                    users.insert().values(email=e.email, user_id=e.user_id, name=e.name, created_at=at)
                )
            case ApiTokenIssued() as e:
                await conn.execute(
                    api_tokens.insert().values(
                        token_hash=e.token_hash,
                        token_id=e.token_id,
                        organization_id=e.organization_id,
                        label=e.label,
                        scopes=list(e.scopes),
                        created_at=at,
                        expires_at=_time(e.expires_at),
                    )
                )
            case PersonalTokenIssued() as e:
                await conn.execute(
                    api_tokens.insert().values(
                        token_hash=e.token_hash,
                        token_id=e.token_id,
                        organization_id=None,
                        user_email=e.email,
                        label=e.label,
                        scopes=list(e.scopes),
                        created_at=at,
                        expires_at=_time(e.expires_at),
                    )
                )
            case ApiTokenRevoked() as e:
                await conn.execute(
                    api_tokens.update()
                    .where(api_tokens.c.token_id == e.token_id, api_tokens.c.revoked_at.is_(None))
                    .values(revoked_at=at)
                )


def _time(unix: float | None) -> datetime | None:
    return datetime.fromtimestamp(unix, UTC) if unix is not None else None
