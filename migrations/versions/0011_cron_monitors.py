"""cron monitors: a schedule and status per (project, monitor slug)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("monitor_slug", sa.String(length=128), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_check_in_at", sa.Float(), nullable=True),
        sa.Column("last_check_in_status", sa.String(length=16), nullable=True),
        sa.Column("next_expected_at", sa.Float(), nullable=True),
        sa.Column("in_progress_id", sa.String(length=32), nullable=True),
        sa.Column("in_progress_since", sa.Float(), nullable=True),
        sa.Column("deadline", sa.Float(), nullable=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "monitor_slug"),
    )
    op.create_index(op.f("ix_monitors_deadline"), "monitors", ["deadline"])


def downgrade() -> None:
    op.drop_index(op.f("ix_monitors_deadline"), table_name="monitors")
    op.drop_table("monitors")
