"""queue tables

Revision ID: queue_0001
Revises: queue_0000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'queue_0001'
down_revision: str | Sequence[str] | None = 'queue_0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('queue_number',
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('office_id', 'service', 'day', name=op.f('pk_queue_number'))
    )
    op.create_table('queue_seat',
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('since', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('office_id', 'service', 'seat', name=op.f('pk_queue_seat'))
    )
    op.create_table('queue_ticket',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('issued_service', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('booked', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('near_notified_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('counter', sa.String(length=64), nullable=True),
    sa.Column('seat', sa.Integer(), nullable=True),
    sa.Column('recalls', sa.Integer(), nullable=False),
    sa.Column('transferred_from', sa.String(length=64), nullable=True),
    sa.Column('issued_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_since', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_called_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('called_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('details_purged_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_ticket')),
    sa.UniqueConstraint('office_id', 'day', 'issued_service', 'number', name=op.f('uq_queue_ticket_office_id_day_issued_service_number')),
    sa.UniqueConstraint('office_id', 'idempotency_key', name=op.f('uq_queue_ticket_office_id_idempotency_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_queue_ticket_public_id'))
    )
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_queue_ticket_line', ['office_id', 'service', 'status', 'waiting_since'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_ticket_office_id'), ['office_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_ticket_office_id'))
        batch_op.drop_index('ix_queue_ticket_line')

    op.drop_table('queue_ticket')
    op.drop_table('queue_seat')
    op.drop_table('queue_number')
