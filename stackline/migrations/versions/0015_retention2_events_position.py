"""events: an index on (project_id, position), the order retention evicts a project's events in

Revision ID: 0015_retention2_evpos
Revises: 0014
Create Date: 2026-12-03 07:00:00.000000
"""

from alembic import op

revision = "0015_retention2_evpos"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_project_position", "events", ["project_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_events_project_position", table_name="events")
