"""notify: the arrival a message is about, so that its outcome can be published to the arrival's plugin

Revision ID: notify_0002
Revises: notify_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'notify_0002'
down_revision: str | Sequence[str] | None = 'notify_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrival_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_column('arrival_id')
