"""kiosk tables: arrivals, usage counts, idempotency keys

Revision ID: kiosk_0001
Revises: kiosk_0000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'kiosk_0001'
down_revision: str | Sequence[str] | None = 'kiosk_0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kiosk_arrival',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('officer_id', sa.String(length=64), nullable=True),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('first_name', sa.String(length=60), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_arrival'))
    )
    with op.batch_alter_table('kiosk_arrival', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_arrival_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kiosk_arrival_office_id'), ['office_id'], unique=False)

    op.create_table('kiosk_idempotency',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_idempotency')),
    sa.UniqueConstraint('office_id', 'key', name=op.f('uq_kiosk_idempotency_office_id_key'))
    )
    with op.batch_alter_table('kiosk_idempotency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_idempotency_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kiosk_idempotency_office_id'), ['office_id'], unique=False)

    op.create_table('kiosk_usage',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('choice', sa.String(length=64), nullable=False),
    sa.Column('guide', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_usage')),
    sa.UniqueConstraint('office_id', 'day', 'language', 'choice', 'guide', name=op.f('uq_kiosk_usage_office_id_day_language_choice_guide'))
    )
    with op.batch_alter_table('kiosk_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_usage_office_id'), ['office_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kiosk_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_usage_office_id'))

    op.drop_table('kiosk_usage')
    with op.batch_alter_table('kiosk_idempotency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_idempotency_office_id'))
        batch_op.drop_index(batch_op.f('ix_kiosk_idempotency_created_at'))

    op.drop_table('kiosk_idempotency')
    with op.batch_alter_table('kiosk_arrival', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_arrival_office_id'))
        batch_op.drop_index(batch_op.f('ix_kiosk_arrival_created_at'))

    op.drop_table('kiosk_arrival')
