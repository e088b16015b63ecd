"""The SQL read models' tables (SQLAlchemy Core), on SQLite and PostgreSQL alike.

Only projectors write these rows, and only alembic migrations change their shape: a test
checks that this metadata and the migration head agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

organizations = Table(
    "organizations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("slug", String(50), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("organization_id", String(36), nullable=False, index=True),
    Column("slug", String(50), nullable=False),
    Column("name", String(200), nullable=False),
    Column("platform", String(64)),
    Column("issue_counter", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("organization_id", "slug", name="uq_projects_org_slug"),
)

project_keys = Table(
    "project_keys",
    metadata,
    Column("public_key", String(64), primary_key=True),
    Column("project_id", BigInteger, nullable=False, index=True),
    Column("organization_id", String(36), nullable=False),
    Column("label", String(200), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("token_id", String(36), nullable=False, unique=True),
    Column("organization_id", String(36), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

issues = Table(
    "issues",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("project_id", BigInteger, nullable=False),
    Column("short_id", String(80), nullable=False),
    Column("primary_hash", String(32), nullable=False),
    Column("grouping_variant", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("culprit", Text),
    Column("level", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("times_seen", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Index("ix_issues_project_last_seen", "project_id", "last_seen"),
    UniqueConstraint("project_id", "short_id", name="uq_issues_project_short_id"),
)

issue_hashes = Table(
    "issue_hashes",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(32), primary_key=True),
    Column("issue_id", String(36), nullable=False, index=True),
)

events = Table(
    "events",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("issue_id", String(36), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("level", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("message", Text),
    Column("platform", String(64)),
    Column("tags", JSON, nullable=False),
    Column("grouping", JSON, nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_events_issue_position", "issue_id", "position"),
)

projector_checkpoints = Table(
    "projector_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", Float, nullable=False),
)
