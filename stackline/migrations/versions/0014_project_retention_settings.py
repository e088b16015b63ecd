"""projects: retention settings (max age in days, max events), NULL meaning the server's

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("retention_days", sa.Float(), nullable=True))
        batch.add_column(sa.Column("retention_max_events", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("retention_max_events")
        batch.drop_column("retention_days")
