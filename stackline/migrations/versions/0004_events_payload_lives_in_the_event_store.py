"""events: the payload is read from the event store by position, not kept a second time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("payload")


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=False, server_default="{}"))
