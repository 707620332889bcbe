"""kiosk: the state of the receipt printer beside each kiosk device

Revision ID: kiosk_0003
Revises: kiosk_0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'kiosk_0003'
down_revision: str | Sequence[str] | None = 'kiosk_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kiosk_printer_state',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('device', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('since', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_printer_state')),
    sa.UniqueConstraint('office_id', 'device', name=op.f('uq_kiosk_printer_state_office_id_device'))
    )
    with op.batch_alter_table('kiosk_printer_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_printer_state_office_id'), ['office_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kiosk_printer_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_printer_state_office_id'))
    op.drop_table('kiosk_printer_state')
