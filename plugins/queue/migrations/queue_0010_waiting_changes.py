"""queue: PostgreSQL keeps the waiting counts too, so that a new ticket's place is read from a few rows instead of a
count of its whole line, which it made under the line's number counter's lock (4,000 waiting: 1.6 ms, every
ticket of the line waiting its turn behind it).

A count row that every change of a line updated would be locked by each until its commit, and calls of one line
would take turns. Here a trigger only appends each change of a line's waiting tickets to queue_waiting_change (+1
or -1; appending locks nothing), and queue_tickets_ahead_of_new, called when a ticket is numbered (while the line's
counter is its transaction's, so one at a time per line), folds the line's changes into queue_waiting and reads the
place from it. It is VOLATILE, as queue_tickets_ahead was: its queries see what was committed while the numbering
waited for the lock. The new ticket's own change is appended by its AFTER trigger when its statement ends, after
the place was read: the count it reads is of the others.

Revision ID: queue_0010
Revises: queue_0009
"""
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'queue_0010'
down_revision: str | Sequence[str] | None = 'queue_0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sibling(file_name: str) -> Any:
    """An earlier migration's module, for what this one shares with it (migrations are files, not a package)."""
    spec = importlib.util.spec_from_file_location(file_name.removesuffix(".py"), Path(__file__).with_name(file_name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WAITING_COUNTS = _sibling("queue_0009_waiting_counts.py")
KEY, COUNTED_COLUMNS = WAITING_COUNTS.KEY, WAITING_COUNTS.COUNTED_COLUMNS  # the counts' key; key and waiting

APPEND_CHANGE = f"""
CREATE FUNCTION queue_waiting_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_waiting boolean := TG_OP <> 'INSERT' AND OLD.status = 'waiting' AND OLD.held_at IS NULL;
    is_waiting boolean := TG_OP <> 'DELETE' AND NEW.status = 'waiting' AND NEW.held_at IS NULL;
BEGIN
    IF was_waiting AND is_waiting AND (OLD.office_id, OLD.day, OLD.service, OLD.urgent, OLD.booked)
                                      = (NEW.office_id, NEW.day, NEW.service, NEW.urgent, NEW.booked) THEN
        RETURN NULL;
    END IF;
    IF was_waiting THEN
        INSERT INTO queue_waiting_change ({KEY}, change)
        VALUES (OLD.office_id, OLD.day, OLD.service, OLD.urgent, OLD.booked, -1);
    END IF;
    IF is_waiting THEN
        INSERT INTO queue_waiting_change ({KEY}, change)
        VALUES (NEW.office_id, NEW.day, NEW.service, NEW.urgent, NEW.booked, 1);
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGER = (f"CREATE TRIGGER queue_waiting_changed AFTER INSERT OR UPDATE OF {COUNTED_COLUMNS} OR DELETE "
           "ON queue_ticket FOR EACH ROW EXECUTE FUNCTION queue_waiting_changed()")

# The calling order is tickets.calling_order's (urgent first, then booked when ``booked_first``, then the earliest
# waiting_since, then the lowest id). Ahead of a new ticket: every waiting ticket whose flags come first or are the
# same, less those with the same flags behind it (none or a few: a range at the end of the calling-order index).
TICKETS_AHEAD_OF_NEW = f"""
CREATE FUNCTION queue_tickets_ahead_of_new(of_office varchar, of_day date, of_service varchar, of_urgent boolean,
                                           of_booked boolean, of_waiting_since timestamptz, of_id integer,
                                           booked_first boolean) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    first_or_same integer;
    behind integer;
BEGIN
    WITH folded AS (DELETE FROM queue_waiting_change
                    WHERE office_id = of_office AND day = of_day AND service = of_service
                    RETURNING urgent, booked, change)
    INSERT INTO queue_waiting AS counted ({KEY}, waiting)
    SELECT of_office, of_day, of_service, urgent, booked, sum(change) FROM folded GROUP BY urgent, booked
    ON CONFLICT ({KEY}) DO UPDATE SET waiting = counted.waiting + excluded.waiting;
    IF booked_first THEN
        SELECT coalesce(sum(waiting), 0) INTO first_or_same FROM queue_waiting
        WHERE office_id = of_office AND day = of_day AND service = of_service
          AND (urgent, booked) >= (of_urgent, of_booked);
        SELECT count(*) INTO behind FROM queue_ticket
        WHERE office_id = of_office AND day = of_day AND service = of_service AND status = 'waiting'
          AND held_at IS NULL AND urgent = of_urgent AND booked = of_booked
          AND (waiting_since, id) > (of_waiting_since, of_id);
    ELSE
        SELECT coalesce(sum(waiting), 0) INTO first_or_same FROM queue_waiting
        WHERE office_id = of_office AND day = of_day AND service = of_service AND urgent >= of_urgent;
        SELECT count(*) INTO behind FROM queue_ticket
        WHERE office_id = of_office AND day = of_day AND service = of_service AND status = 'waiting'
          AND held_at IS NULL AND urgent = of_urgent AND (waiting_since, id) > (of_waiting_since, of_id);
    END IF;
    RETURN first_or_same - behind;
END
$$
"""


def upgrade() -> None:
    op.create_table('queue_waiting_change',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('office_id', sa.String(length=64), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('service', sa.String(length=64), nullable=False),
                    sa.Column('urgent', sa.Boolean(), nullable=False),
                    sa.Column('booked', sa.Boolean(), nullable=False),
                    sa.Column('change', sa.SmallInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_waiting_change')))
    op.create_index('ix_queue_waiting_change_line', 'queue_waiting_change', ['office_id', 'day', 'service'])
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f"INSERT INTO queue_waiting ({KEY}, waiting) SELECT {KEY}, count(*) FROM queue_ticket "
               "WHERE status = 'waiting' AND held_at IS NULL GROUP BY " + KEY)
    op.execute(APPEND_CHANGE)
    op.execute(TRIGGER)
    op.execute(TICKETS_AHEAD_OF_NEW)
    op.execute("DROP FUNCTION queue_tickets_ahead")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_sibling("queue_0008_tickets_ahead_function.py").TICKETS_AHEAD)
        op.execute("DROP FUNCTION queue_tickets_ahead_of_new")
        op.execute("DROP TRIGGER queue_waiting_changed ON queue_ticket")
        op.execute("DROP FUNCTION queue_waiting_changed")
        op.execute("DELETE FROM queue_waiting")  # queue_0009 left it empty on PostgreSQL
    op.drop_index('ix_queue_waiting_change_line', table_name='queue_waiting_change')
    op.drop_table('queue_waiting_change')

