"""queue: the calling-order indexes also hold held_at, so the count of tickets ahead of one, asked on every ticket
issued, is read from the index alone instead of every waiting ticket's row

Revision ID: queue_0006
Revises: queue_0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'queue_0006'
down_revision: str | Sequence[str] | None = 'queue_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINE = ['office_id', 'day', 'service', 'status']
BOOKED_FIRST = [*LINE, sa.text('urgent DESC'), sa.text('booked DESC'), 'waiting_since', 'id']
PLAIN = [*LINE, sa.text('urgent DESC'), 'waiting_since', 'id']


def upgrade() -> None:
    _replace([*BOOKED_FIRST, 'held_at'], [*PLAIN, 'held_at'])


def downgrade() -> None:
    _replace(BOOKED_FIRST, PLAIN)


def _replace(booked_first: list[object], plain: list[object]) -> None:
    op.drop_index('ix_queue_ticket_calling', table_name='queue_ticket')
    op.drop_index('ix_queue_ticket_calling_booked_first', table_name='queue_ticket')
    op.create_index('ix_queue_ticket_calling_booked_first', 'queue_ticket', booked_first)
    op.create_index('ix_queue_ticket_calling', 'queue_ticket', plain)
