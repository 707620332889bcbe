"""kiosk: an arrival's notification state, escalation and acknowledgement

Revision ID: kiosk_0002
Revises: kiosk_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'kiosk_0002'
down_revision: str | Sequence[str] | None = 'kiosk_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('kiosk_arrival', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_kiosk_arrival_escalated_at'), ['escalated_at'], unique=False)
    # Arrivals from before: their messages went the old way; counted as handled, so none escalates on deploy.
    op.execute("UPDATE kiosk_arrival SET notification = 'pending', escalated_at = created_at")
    with op.batch_alter_table('kiosk_arrival', schema=None) as batch_op:
        batch_op.alter_column('notification', existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('kiosk_arrival', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_arrival_escalated_at'))
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('notification')
