"""Ticket numbers: one counter per service and local day (the lines start empty every morning).

Numbers come from one atomic upsert per service and day: the counter row stays locked until commit, so
numbers are never duplicated, and a rolled-back issue gives its number back, so none is skipped.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from core.db import upsert_increment
from plugins.queue.models import NumberCounter
from plugins.queue.settings import Service


def format_number(service: Service, number: int, digits: int) -> str:
    return f"{service.prefix}{number:0{digits}d}"


def next_number(session: Session, office_id: str, service_id: str, day: date) -> int:
    """The next number for a service on a local day: one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING."""
    return upsert_increment(session, NumberCounter, {"office_id": office_id, "service": service_id, "day": day,
                                                     "last_number": 1},
                            ["office_id", "service", "day"], "last_number")
