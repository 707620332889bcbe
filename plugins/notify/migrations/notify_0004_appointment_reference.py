"""notify: the appointment a visitor's confirmation or reminder is about, so that it is cancelled while still
queued when the appointment is cancelled or moved

Revision ID: notify_0004
Revises: notify_0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'notify_0004'
down_revision: str | Sequence[str] | None = 'notify_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_notify_message_appointment_id'), ['appointment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_message_appointment_id'))
        batch_op.drop_column('appointment_id')
