"""Ticket numbers: one counter per service and local day (the lines start empty every morning).

Numbers come from one atomic upsert per service and day: the counter row stays locked until commit, so
numbers are never duplicated, and a rolled-back issue gives its number back, so none is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Boolean, Integer, String, bindparam, cast, func, insert, select
from sqlalchemy.orm import Session

from core.db import increment_cte, is_postgres, turn_cte, upsert_increment, utcnow
from plugins.queue.models import NumberCounter, Ticket
from plugins.queue.settings import Service

TICKET_COLUMNS = Ticket.__table__.c
COUNTER_KEYS = ("office_id", "service", "day")
SET_WHEN_WRITTEN = ("id", "number", "label")  # the columns write_numbered gives a new ticket
# queue_tickets_ahead_of_new's arguments but the last (booked_first), from the ticket's own columns.
AHEAD_KEYS = ("office_id", "day", "service", "urgent", "booked", "waiting_since", "id")


def format_number(service: Service, number: int, digits: int) -> str:
    return f"{service.prefix}{number:0{digits}d}"


def next_number(session: Session, office_id: str, service_id: str, day: date) -> int:
    """The next number for a service on a local day: one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING."""
    return upsert_increment(session, NumberCounter, {"office_id": office_id, "service": service_id, "day": day,
                                                     "last_number": 1},
                            list(COUNTER_KEYS), "last_number")


class Numbered(NamedTuple):
    id: int
    number: int
    label: str
    ahead: int | None  # PostgreSQL: the waiting tickets ahead of it, counted once its number was taken
    waiting_since: datetime


def write_numbered(session: Session, service: Service, digits: int, row: Mapping[str, Any],
                   booked_first: bool) -> Numbered:
    """Take the next number of the ticket's line and write the ticket (``row``: every column but
    ``SET_WHEN_WRITTEN``) with it; answers what was written (``Numbered``). PostgreSQL does both in one statement,
    SQLite (in-process, where a statement costs no round trip) in two. PostgreSQL's statement also counts the
    tickets ahead of the new one in its line's calling order (``booked_first``: the office's).

    A ``waiting_since`` of None is the moment the number is taken, read once the line's counter is this
    transaction's (PostgreSQL: the database's clock), so that tickets of a line wait in the order of their numbers:
    a kiosk that read the clock before another but took its number after it would otherwise come before it."""
    if is_postgres(session):
        return Numbered(*session.execute(_numbered_insert(), {
            **row, "last_number": 1, "prefix": service.prefix, "digits": digits, "booked_first": booked_first}).one())
    number = next_number(session, row["office_id"], row["issued_service"], row["day"])
    label = format_number(service, number, digits)
    since = row["waiting_since"] or utcnow()  # SQLite: the writer has the database until commit
    return Numbered(session.execute(_WRITE_TICKET, {**row, "number": number, "label": label,
                                                    "waiting_since": since}).scalar_one(), number, label, None, since)


# A new ticket is written with one INSERT … RETURNING id, not through the unit of work: its flush of one object
# cost more than the statement (py-spy at 8 kiosks: 9 % of the server's CPU on ticket issue).
_WRITE_TICKET = insert(Ticket.__table__).returning(TICKET_COLUMNS.id)


@lru_cache(maxsize=1)
def _numbered_insert() -> Any:
    """PostgreSQL: WITH turn AS (the line's advisory lock), taken AS (the counter's upsert) INSERT INTO queue_ticket
    VALUES (…, the number, its label) RETURNING id, number, label and the count of tickets ahead of it. The counter's
    key parameters are the ticket's own (office_id, service, day: a ticket is numbered in the line it is issued to).
    The label is ``format_number`` in SQL: the prefix, then the number zero-padded to ``digits`` (never cut: a longer
    number keeps every digit)."""
    # The line's turn first (core.db.turn_cte says why): tickets of a line are numbered in the order they asked,
    # so none waits many turns (8 kiosks on one line: p99 110–121 → 39–62 ms, p50 27 → 32–34 ms).
    line = func.concat_ws("/", "queue.number", *(bindparam(key, type_=TICKET_COLUMNS[key].type)
                                                  for key in ("office_id", "service")),
                          cast(bindparam("day", type_=TICKET_COLUMNS.day.type), String))
    taken = increment_cte(NumberCounter, (*COUNTER_KEYS, "last_number"), COUNTER_KEYS, "last_number",
                          after=turn_cte(line))
    number = select(taken.c.last_number).scalar_subquery()
    digits = cast(number, String)
    label = bindparam("prefix", type_=String) + func.lpad(digits, func.greatest(bindparam("digits", type_=Integer),
                                                                                 func.length(digits)), "0")
    values = {column.key: bindparam(column.key) for column in TICKET_COLUMNS if column.key not in SET_WHEN_WRITTEN}
    # The clock read in a row of ``taken``: only once the upsert has locked the counter's row.
    taken_at = select(func.clock_timestamp()).select_from(taken).scalar_subquery()
    since = TICKET_COLUMNS.waiting_since.type
    values["waiting_since"] = func.coalesce(bindparam("waiting_since", type_=since), taken_at, type_=since)
    # The count is queue_tickets_ahead_of_new (migration queue_0010), not a subquery: the statement may wait for the
    # counter's lock, and a subquery would see the line as it was before that wait, missing a ticket another kiosk
    # committed meanwhile; the function, volatile, reads with a snapshot taken when it runs, after the wait.
    ahead = func.queue_tickets_ahead_of_new(*(TICKET_COLUMNS[key] for key in AHEAD_KEYS),
                                            bindparam("booked_first", type_=Boolean), type_=Integer)
    return (insert(Ticket.__table__).values({**values, "number": number, "label": label}).add_cte(taken)
            .returning(TICKET_COLUMNS.id, TICKET_COLUMNS.number, TICKET_COLUMNS.label, ahead,
                       TICKET_COLUMNS.waiting_since))
