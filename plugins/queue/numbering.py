"""Ticket numbers: one counter per service and local day (the lines start empty every morning).

Numbers come from one atomic upsert per service and day: the counter row stays locked until commit, so
numbers are never duplicated, and a rolled-back issue gives its number back, so none is skipped.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugins.queue.models import NumberCounter
from plugins.queue.settings import Service
from plugins.queue.tickets import is_postgres


def format_number(service: Service, number: int, digits: int) -> str:
    return f"{service.prefix}{number:0{digits}d}"


def next_number(session: Session, office_id: str, service_id: str, day: date) -> int:
    """The next number for a service on a local day: one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING."""
    dialect = postgresql if is_postgres(session) else sqlite
    stmt = dialect.insert(NumberCounter).values(office_id=office_id, service=service_id, day=day, last_number=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[NumberCounter.office_id, NumberCounter.service, NumberCounter.day],
        set_={"last_number": NumberCounter.last_number + 1},
    ).returning(NumberCounter.last_number)
    return int(session.execute(stmt).scalar_one())
