"""notify: what an e-mail about a booking shows as a QR code (the booking code, for the kiosk's scanner)

Revision ID: notify_0003
Revises: notify_0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'notify_0003'
down_revision: str | Sequence[str] | None = 'notify_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qr', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_column('qr')
