"""queue: queue_ticket loses its index on office_id alone: five other indexes begin with office_id and serve the same
lookups (EXPLAIN on both databases: the plans that used it use one of those, at the same cost), and every index is one
more page written for each ticket issued

Revision ID: queue_0007
Revises: queue_0006
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'queue_0007'
down_revision: str | Sequence[str] | None = 'queue_0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_queue_ticket_office_id', table_name='queue_ticket')


def downgrade() -> None:
    op.create_index('ix_queue_ticket_office_id', 'queue_ticket', ['office_id'])
