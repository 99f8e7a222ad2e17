"""session versions, administrators' second factor and login throttle

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 01:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import bot.model.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_at', bot.model.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', bot.model.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', bot.model.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reported_at', bot.model.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('key', name=op.f('uq_login_throttle_key'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('session_version')
    op.drop_table('login_throttle')
