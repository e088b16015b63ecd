"""every item type: transactions, sessions, attachments, check-ins, feedback, usage; project
settings and key limits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:16:28.806234
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("attachment_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("attachment_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "attachment_id"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_event_id"), ["event_id"], unique=False)

    op.create_table(
        "check_ins",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("check_in_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("monitor_slug", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("environment", sa.String(length=64), nullable=True),
        sa.Column("first_received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "check_in_id"),
    )
    op.create_table(
        "feedback",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("feedback_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("associated_event_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "feedback_id"),
    )
    op.create_table(
        "session_counts",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("release", sa.String(length=250), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "day", "release", "environment", "status"),
    )
    op.create_table(
        "transactions",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("op", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("release", sa.String(length=250), nullable=True),
        sa.Column("environment", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("project_id", "event_id"),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index("ix_transactions_project_position", ["project_id", "position"], unique=False)

    op.create_table(
        "usage",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "day", "category", "outcome", "reason"),
    )
    with op.batch_alter_table("project_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limit_per_second", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rate_limit_per_minute", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scrub_data", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("scrub_ip_addresses", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("sensitive_fields", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("safe_fields", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("allowed_origins", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("monthly_event_quota", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("monthly_event_quota")
        batch_op.drop_column("allowed_origins")
        batch_op.drop_column("safe_fields")
        batch_op.drop_column("sensitive_fields")
        batch_op.drop_column("scrub_ip_addresses")
        batch_op.drop_column("scrub_data")

    with op.batch_alter_table("project_keys", schema=None) as batch_op:
        batch_op.drop_column("rate_limit_per_minute")
        batch_op.drop_column("rate_limit_per_second")

    op.drop_table("usage")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_project_position")

    op.drop_table("transactions")
    op.drop_table("session_counts")
    op.drop_table("feedback")
    op.drop_table("check_ins")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_event_id"))

    op.drop_table("attachments")
