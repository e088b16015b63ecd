"""an event's grouping is kept once per hash (issue_hashes.grouping), not on every event row

Every event of a hash was grouped by the same rule into the same components, so the events
table no longer repeats them: a replay writes a quarter less per event.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issue_hashes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grouping", sa.JSON(), nullable=True))
    # Each hash's grouping as its latest event recorded it.
    op.execute("""
        UPDATE issue_hashes SET grouping = (
            SELECT events.grouping FROM events
            WHERE events.project_id = issue_hashes.project_id AND events.hash = issue_hashes.hash
            ORDER BY events.position DESC LIMIT 1)
    """)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("grouping")


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grouping", sa.JSON(), nullable=True))
    op.execute("""
        UPDATE events SET grouping = (
            SELECT issue_hashes.grouping FROM issue_hashes
            WHERE issue_hashes.project_id = events.project_id AND issue_hashes.hash = events.hash)
    """)
    op.execute("""UPDATE events SET grouping = '{}' WHERE grouping IS NULL""")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("grouping", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("issue_hashes", schema=None) as batch_op:
        batch_op.drop_column("grouping")
