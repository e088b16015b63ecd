"""check_ins, logs, feedback: an index on (project_id, position), by which retention deletes rows

Revision ID: 0018_retention3_itempos
Revises: 0017_erasure
Create Date: 2026-12-03 14:20:00.000000
"""

from alembic import op

revision = "0018_retention3_itempos"
down_revision = "0017_erasure"
branch_labels = None
depends_on = None

TABLES = ("check_ins", "logs", "feedback")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_project_position", table, ["project_id", "position"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_project_position", table_name=table)
