"""feedback: name and email as text, since they are stored sealed (crypto-shredding)

Revision ID: 0017_erasure
Revises: 0016_retention2_orgret
Create Date: 2026-12-03 07:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_erasure"
down_revision = "0016_retention2_orgret"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.alter_column("name", type_=sa.Text(), existing_type=sa.String(200))
        batch.alter_column("email", type_=sa.Text(), existing_type=sa.String(254))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.alter_column("email", type_=sa.String(254), existing_type=sa.Text())
        batch.alter_column("name", type_=sa.String(200), existing_type=sa.Text())
