"""queue: the tickets waiting per line, day and flags (queue_waiting), kept by triggers on SQLite, so that a new
ticket's place is read from a few rows instead of a count of its whole line; on PostgreSQL the table stays empty (see
plugins.queue.models.WaitingCount)

Revision ID: queue_0009
Revises: queue_0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'queue_0009'
down_revision: str | Sequence[str] | None = 'queue_0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "office_id, day, service, urgent, booked"
WAITING = "{row}.status = 'waiting' AND {row}.held_at IS NULL"
# Every column of the key and of WAITING: an update of any other column leaves the counts as they are. A later
# migration that rebuilds queue_ticket on SQLite (batch "move and copy") drops these triggers: it must create them
# again.
COUNTED_COLUMNS = "office_id, day, service, urgent, booked, status, held_at"


def _add_one(row: str) -> str:
    return (f"INSERT INTO queue_waiting ({KEY}, waiting) VALUES ({row}.office_id, {row}.day, {row}.service, "
            f"{row}.urgent, {row}.booked, 1) ON CONFLICT ({KEY}) DO UPDATE SET waiting = waiting + 1;")


def _take_one(row: str) -> str:
    return (f"UPDATE queue_waiting SET waiting = waiting - 1 WHERE office_id = {row}.office_id AND day = {row}.day "
            f"AND service = {row}.service AND urgent = {row}.urgent AND booked = {row}.booked;")


TRIGGERS = {
    "queue_waiting_issued": f"AFTER INSERT ON queue_ticket WHEN {WAITING.format(row='NEW')} "
                            f"BEGIN {_add_one('NEW')} END",
    "queue_waiting_left": f"AFTER UPDATE OF {COUNTED_COLUMNS} ON queue_ticket WHEN {WAITING.format(row='OLD')} "
                          f"BEGIN {_take_one('OLD')} END",
    "queue_waiting_joined": f"AFTER UPDATE OF {COUNTED_COLUMNS} ON queue_ticket WHEN {WAITING.format(row='NEW')} "
                            f"BEGIN {_add_one('NEW')} END",
    "queue_waiting_deleted": f"AFTER DELETE ON queue_ticket WHEN {WAITING.format(row='OLD')} "
                             f"BEGIN {_take_one('OLD')} END",
}


def upgrade() -> None:
    op.create_table('queue_waiting',
                    sa.Column('office_id', sa.String(length=64), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('service', sa.String(length=64), nullable=False),
                    sa.Column('urgent', sa.Boolean(), nullable=False),
                    sa.Column('booked', sa.Boolean(), nullable=False),
                    sa.Column('waiting', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('office_id', 'day', 'service', 'urgent', 'booked',
                                            name=op.f('pk_queue_waiting')))
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute(f"INSERT INTO queue_waiting ({KEY}, waiting) SELECT {KEY}, count(*) FROM queue_ticket "
               f"WHERE {WAITING.format(row='queue_ticket')} GROUP BY {KEY}")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('queue_waiting')
