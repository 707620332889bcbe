"""appointments: an ICS feed's ETag and Last-Modified, and the window they were applied to (conditional GET)

Revision ID: appointments_0003
Revises: appointments_0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'appointments_0003'
down_revision: str | Sequence[str] | None = 'appointments_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('appointments_feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('etag', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('last_modified', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('window_start', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments_feed', schema=None) as batch_op:
        batch_op.drop_column('window_start')
        batch_op.drop_column('last_modified')
        batch_op.drop_column('etag')
