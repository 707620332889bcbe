"""queue: the guide console's day: urgent and held tickets, interpreter requests, outcomes, paused counters

Revision ID: queue_0003
Revises: queue_0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'queue_0003'
down_revision: str | Sequence[str] | None = 'queue_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('queue_counter',
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('counter', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('since', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('office_id', 'counter', name=op.f('pk_queue_counter'))
    )
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('held_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('interpreter', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('referred_to', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_column('referred_to')
        batch_op.drop_column('outcome')
        batch_op.drop_column('interpreter')
        batch_op.drop_column('held_at')
        batch_op.drop_column('urgent')
    op.drop_table('queue_counter')
