"""message search: a full-text index of messages' subject and text (PostgreSQL), and
messages by State

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 01:00:00
"""
from alembic import op


revision = '0008'
down_revision = "0007"
branch_labels = None
depends_on = None

DOCUMENT = "to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(text, ''))"


def upgrade() -> None:
    op.create_index(op.f('ix_message_state_code'), 'message', ['state_code'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_message_search ON message USING gin ({DOCUMENT})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_message_search")
    op.drop_index(op.f('ix_message_state_code'), table_name='message')
