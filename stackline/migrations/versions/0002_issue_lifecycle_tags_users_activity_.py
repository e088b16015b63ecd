"""issue lifecycle, tags, users, activity, releases, members

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:41:02.108992
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_activity",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", "position"),
    )
    op.create_table(
        "issue_tags",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("times_seen", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", "key", "value"),
    )
    op.create_table(
        "issue_users",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("user_key", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", "user_key"),
    )
    op.create_table(
        "members",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "email"),
    )
    op.create_table(
        "releases",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=250), nullable=False),
        sa.Column("first_position", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "version"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash", sa.String(length=32), server_default="", nullable=False))
        batch_op.add_column(sa.Column("release", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("environment", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("user_key", sa.String(length=254), nullable=True))
        batch_op.create_index("ix_events_project_hash", ["project_id", "hash"], unique=False)

    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("substatus", sa.String(length=40), server_default="new", nullable=False)
        )
        batch_op.add_column(sa.Column("user_count", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("first_release", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("last_release", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("version", sa.BigInteger(), server_default="-1", nullable=False))
        batch_op.add_column(sa.Column("assignee", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("merged_into", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("resolved_in_next_release", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("resolved_release_position", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("ignore_until_count", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("ignore_until_timestamp", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("ignore_until_users", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("events_since_ignore", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("users_since_ignore", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_index(
            "ix_issues_project_status_last_seen", ["project_id", "status", "last_seen"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index("ix_issues_project_status_last_seen")
        batch_op.drop_column("users_since_ignore")
        batch_op.drop_column("events_since_ignore")
        batch_op.drop_column("ignore_until_users")
        batch_op.drop_column("ignore_until_timestamp")
        batch_op.drop_column("ignore_until_count")
        batch_op.drop_column("resolved_release_position")
        batch_op.drop_column("resolved_in_next_release")
        batch_op.drop_column("merged_into")
        batch_op.drop_column("assignee")
        batch_op.drop_column("version")
        batch_op.drop_column("last_release")
        batch_op.drop_column("first_release")
        batch_op.drop_column("user_count")
        batch_op.drop_column("substatus")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_project_hash")
        batch_op.drop_column("user_key")
        batch_op.drop_column("environment")
        batch_op.drop_column("release")
        batch_op.drop_column("hash")

    op.drop_table("releases")
    op.drop_table("members")
    op.drop_table("issue_users")
    op.drop_table("issue_tags")
    op.drop_table("issue_activity")
