"""queue: indexes in the line's calling order (urgent, booked if first, then the longest waiting), so call-next
and the front of a long line read a few index entries instead of sorting every waiting ticket

Revision ID: queue_0005
Revises: queue_0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'queue_0005'
down_revision: str | Sequence[str] | None = 'queue_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINE = ['office_id', 'day', 'service', 'status']


def upgrade() -> None:
    op.create_index('ix_queue_ticket_calling_booked_first', 'queue_ticket',
                    [*LINE, sa.text('urgent DESC'), sa.text('booked DESC'), 'waiting_since', 'id'])
    op.create_index('ix_queue_ticket_calling', 'queue_ticket',
                    [*LINE, sa.text('urgent DESC'), 'waiting_since', 'id'])


def downgrade() -> None:
    op.drop_index('ix_queue_ticket_calling', table_name='queue_ticket')
    op.drop_index('ix_queue_ticket_calling_booked_first', table_name='queue_ticket')
