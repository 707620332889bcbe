"""queue: the errand category's title as the staff read it

Revision ID: queue_0002
Revises: queue_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'queue_0002'
down_revision: str | Sequence[str] | None = 'queue_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_title', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queue_ticket', schema=None) as batch_op:
        batch_op.drop_column('category_title')
