"""Ticket numbers: one counter per service and local day (the lines start empty every morning).

Numbers come from one atomic upsert per service and day: the counter row stays locked until commit, so
numbers are never duplicated, and a rolled-back issue gives its number back, so none is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func, insert, select
from sqlalchemy.orm import Session

from core.db import increment_cte, is_postgres, upsert_increment
from plugins.queue.models import NumberCounter, Ticket
from plugins.queue.settings import Service

TICKET_COLUMNS = Ticket.__table__.c
COUNTER_KEYS = ("office_id", "service", "day")
SET_WHEN_WRITTEN = ("id", "number", "label")  # the columns write_numbered gives a new ticket


def format_number(service: Service, number: int, digits: int) -> str:
    return f"{service.prefix}{number:0{digits}d}"


def next_number(session: Session, office_id: str, service_id: str, day: date) -> int:
    """The next number for a service on a local day: one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING."""
    return upsert_increment(session, NumberCounter, {"office_id": office_id, "service": service_id, "day": day,
                                                     "last_number": 1},
                            list(COUNTER_KEYS), "last_number")


def write_numbered(session: Session, service: Service, digits: int, row: Mapping[str, Any]) -> tuple[int, int, str]:
    """Take the next number of the ticket's line and write the ticket (``row``: every column but
    ``SET_WHEN_WRITTEN``) with it; answers its id, number and label. PostgreSQL does both in one statement, SQLite
    (in-process, where a statement costs no round trip) in two."""
    if is_postgres(session):
        written = session.execute(_numbered_insert(), {**row, "last_number": 1, "prefix": service.prefix,
                                                       "digits": digits}).one()
        return written.id, written.number, written.label
    number = next_number(session, row["office_id"], row["issued_service"], row["day"])
    label = format_number(service, number, digits)
    return session.execute(_WRITE_TICKET, {**row, "number": number, "label": label}).scalar_one(), number, label


# A new ticket is written with one INSERT … RETURNING id, not through the unit of work: its flush of one object
# cost more than the statement (py-spy at 8 kiosks: 9 % of the server's CPU on ticket issue).
_WRITE_TICKET = insert(Ticket.__table__).returning(TICKET_COLUMNS.id)


@lru_cache(maxsize=1)
def _numbered_insert() -> Any:
    """PostgreSQL: WITH taken AS (the counter's upsert) INSERT INTO queue_ticket VALUES (…, the number, its label)
    RETURNING id, number, label. The counter's key parameters are the ticket's own (office_id, service, day: a
    ticket is numbered in the line it is issued to). The label is ``format_number`` in SQL: the prefix, then the
    number zero-padded to ``digits`` (never cut: a longer number keeps every digit)."""
    taken = increment_cte(NumberCounter, (*COUNTER_KEYS, "last_number"), COUNTER_KEYS, "last_number")
    number = select(taken.c.last_number).scalar_subquery()
    digits = cast(number, String)
    label = bindparam("prefix", type_=String) + func.lpad(digits, func.greatest(bindparam("digits", type_=Integer),
                                                                                 func.length(digits)), "0")
    values = {column.key: bindparam(column.key) for column in TICKET_COLUMNS if column.key not in SET_WHEN_WRITTEN}
    return (insert(Ticket.__table__).values({**values, "number": number, "label": label}).add_cte(taken)
            .returning(TICKET_COLUMNS.id, TICKET_COLUMNS.number, TICKET_COLUMNS.label))
