"""notify: the message queue and delivery log (notify_message), visitors' phone numbers (notify_contact).

Revision ID: notify_0001
Revises: notify_0000
Create Date: 2026-11-24 19:52:28.068631
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'notify_0001'
down_revision: str | Sequence[str] | None = 'notify_0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notify_contact',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_contact')),
    sa.UniqueConstraint('office_id', 'ticket_id', name=op.f('uq_notify_contact_office_id_ticket_id'))
    )
    with op.batch_alter_table('notify_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_contact_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_contact_office_id'), ['office_id'], unique=False)

    op.create_table('notify_message',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('rule_index', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('provider_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_message')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_notify_message_idempotency_key'))
    )
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_message_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_notify_message_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_message_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_message_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_message_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_message_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_notify_message_provider_id'))
        batch_op.drop_index(batch_op.f('ix_notify_message_office_id'))
        batch_op.drop_index('ix_notify_message_due')
        batch_op.drop_index(batch_op.f('ix_notify_message_created_at'))

    op.drop_table('notify_message')
    with op.batch_alter_table('notify_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_contact_office_id'))
        batch_op.drop_index(batch_op.f('ix_notify_contact_created_at'))

    op.drop_table('notify_contact')
