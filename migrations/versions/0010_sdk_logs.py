"""SDK logs (`enable_logs`): the logs read model

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("project_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_id", sa.String(length=32), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("severity_number", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("span_id", sa.String(length=16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "log_id"),
    )
    op.create_index("ix_logs_project_timestamp", "logs", ["project_id", "timestamp", "log_id"])
    op.create_index("ix_logs_project_trace", "logs", ["project_id", "trace_id"])


def downgrade() -> None:
    op.drop_index("ix_logs_project_trace", table_name="logs")
    op.drop_index("ix_logs_project_timestamp", table_name="logs")
    op.drop_table("logs")
