"""compacted occurrences: what retention deleted of each hash's events, for recounts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compacted_occurrences",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("run", sa.String(length=36), nullable=False),
        sa.Column("analytics_run", sa.String(length=36), nullable=True),
        sa.Column("times_seen", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_release", sa.String(length=250), nullable=True),
        sa.Column("users", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "hash"),
    )
    op.create_index(
        op.f("ix_compacted_occurrences_issue_id"), "compacted_occurrences", ["issue_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_compacted_occurrences_issue_id"), table_name="compacted_occurrences")
    op.drop_table("compacted_occurrences")
