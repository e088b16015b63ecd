"""releases and deploys from the release API, artifact bundles and their files, symbolicated events

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_releases",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=250), nullable=False),
        sa.Column("project_ids", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("date_started", sa.String(length=40), nullable=True),
        sa.Column("date_released", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "version"),
    )
    op.create_table(
        "deploys",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=250), nullable=False),
        sa.Column("deploy_id", sa.String(length=36), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("date_started", sa.String(length=40), nullable=True),
        sa.Column("date_finished", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "version", "deploy_id"),
    )
    op.create_table(
        "artifact_bundles",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("bundle_id", sa.String(length=40), nullable=False),
        sa.Column("release", sa.String(length=250), nullable=True),
        sa.Column("dist", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "bundle_id"),
    )
    op.create_table(
        "artifact_files",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("bundle_id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("file_type", sa.String(length=32), nullable=False),
        sa.Column("debug_id", sa.String(length=36), nullable=True),
        sa.Column("sourcemap", sa.String(length=500), nullable=True),
        sa.Column("release", sa.String(length=250), nullable=True),
        sa.Column("dist", sa.String(length=64), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "bundle_id", "url"),
    )
    with op.batch_alter_table("artifact_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_artifact_files_debug_id", ["organization_id", "debug_id", "file_type"], unique=False
        )
        batch_op.create_index(
            "ix_artifact_files_release_url", ["organization_id", "release", "url"], unique=False
        )
    op.create_table(
        "symbolicated_events",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("exceptions", sa.JSON(), nullable=False),
        sa.Column("mapped_frames", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "event_id"),
    )
    op.create_table(
        "sourcemap_wanted",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=800), nullable=False),
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "key", "project_id", "event_id"),
    )


def downgrade() -> None:
    op.drop_table("sourcemap_wanted")
    op.drop_table("symbolicated_events")
    with op.batch_alter_table("artifact_files", schema=None) as batch_op:
        batch_op.drop_index("ix_artifact_files_release_url")
        batch_op.drop_index("ix_artifact_files_debug_id")
    op.drop_table("artifact_files")
    op.drop_table("artifact_bundles")
    op.drop_table("deploys")
    op.drop_table("org_releases")
