"""core_event without its office_id index: no statement looks events up by office (the dispatcher reads them by
fanned_out and id, the live streams by id and created_at), and each event written paid for the index

Revision ID: core_0003
Revises: core_0002
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'core_0003'
down_revision: str | Sequence[str] | None = 'core_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('core_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_event_office_id'))


def downgrade() -> None:
    with op.batch_alter_table('core_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_event_office_id'), ['office_id'], unique=False)
