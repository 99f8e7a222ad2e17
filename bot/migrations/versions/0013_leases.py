"""leases: one holder at a time for beat and for each mailbox

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 03:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import bot.model.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lease',
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', bot.model.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acquired_at', bot.model.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_lease'))
    )


def downgrade() -> None:
    op.drop_table('lease')
