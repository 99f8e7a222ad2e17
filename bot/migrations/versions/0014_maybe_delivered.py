"""message.maybe_delivered: a send whose outcome is unknown may have reached the server

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.add_column(
            sa.Column('maybe_delivered', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.drop_column('maybe_delivered')
