"""appointments: booking attempts per visitor address (hashed) and hour, for the public page's rate limit

Revision ID: appointments_0002
Revises: appointments_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'appointments_0002'
down_revision: str | Sequence[str] | None = 'appointments_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('appointments_rate',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('hour', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments_rate')),
    sa.UniqueConstraint('office_id', 'client', 'hour', name=op.f('uq_appointments_rate_office_id_client_hour'))
    )
    with op.batch_alter_table('appointments_rate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_rate_office_id'), ['office_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appointments_rate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_rate_office_id'))

    op.drop_table('appointments_rate')
