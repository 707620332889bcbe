"""queue: PostgreSQL gets queue_tickets_ahead(), the count of tickets ahead of a waiting one in its line, so that a
new ticket's place comes back with its number in the statement that writes it, a statement less while the line's
counter is locked. It is VOLATILE on purpose: a volatile function's queries each take a snapshot of their own when
they run, so a count made after the counter's lock was won sees every ticket committed while the statement waited
for it, where a subquery of the statement sees the line as it was when the statement began. SQLite needs none (its
writer has the database from BEGIN).

The calling order is tickets.calling_order's: urgent first, then booked (when ``booked_first``), then the earliest
waiting_since, then the lowest id; tickets on hold keep their place but are not in the line.

Revision ID: queue_0008
Revises: queue_0007
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'queue_0008'
down_revision: str | Sequence[str] | None = 'queue_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# plpgsql, not sql: it keeps its count's plan for the session instead of planning it on every call.
TICKETS_AHEAD = """
CREATE FUNCTION queue_tickets_ahead(of_office varchar, of_day date, of_service varchar, of_urgent boolean,
                                    of_booked boolean, of_waiting_since timestamptz, of_id integer,
                                    booked_first boolean) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT count(*) FROM queue_ticket AS other
            WHERE other.office_id = of_office AND other.day = of_day AND other.service = of_service
              AND other.status = 'waiting' AND other.held_at IS NULL
              AND (NOT other.urgent, booked_first AND NOT other.booked, other.waiting_since, other.id)
                  < (NOT of_urgent, booked_first AND NOT of_booked, of_waiting_since, of_id));
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TICKETS_AHEAD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION queue_tickets_ahead")
