"""The nightly purge of the queue's personal data and of tickets left open when the office closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from plugins.queue.lifecycle import close
from plugins.queue.models import (
    CALLED,
    CANCELLED,
    CLOSED_STATUSES,
    DONE,
    SERVING,
    WAITING,
    Ticket,
    WaitingChange,
    WaitingCount,
)
from plugins.queue.settings import settings_of
from plugins.queue.tickets import local_day


def purge(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    """Close tickets left open on earlier days, erase phone numbers of closed tickets and of earlier days, and
    errand details past retention; forget the waiting counts of earlier days.

    Ticket rows stay (number, service, times), so statistics are unchanged.
    """
    settings = settings_of(office)
    today = local_day(office, now)
    left_over = session.scalars(select(Ticket).where(Ticket.office_id == office.id, Ticket.day < today,
                                                     Ticket.status.in_((WAITING, CALLED, SERVING)))).all()
    phones_of_left_over = sum(1 for ticket in left_over if ticket.phone)
    for ticket in left_over:  # still open when the office closed: the visitor has gone home
        served = ticket.status == SERVING
        close(session, office, ticket, DONE if served else CANCELLED, now)
        if served:
            ticket.finished_at = None  # nobody marked it done: the service time is unknown, not overnight
    # The lines' waiting counts of earlier days: their lines have closed, and nothing reads them.
    for counts in (WaitingCount, WaitingChange):
        session.execute(delete(counts).where(counts.office_id == office.id, counts.day < today))
    phones = session.execute(
        update(Ticket).where(Ticket.office_id == office.id, Ticket.phone.is_not(None),
                             or_(Ticket.status.in_(CLOSED_STATUSES), Ticket.day < today))
        .values(phone=None)).rowcount
    cutoff = today - timedelta(days=settings.detail_retention_days)
    details = session.execute(
        update(Ticket).where(Ticket.office_id == office.id, Ticket.day < cutoff, Ticket.details_purged_at.is_(None))
        .values(answers=None, category=None, category_title=None, note=None, details_purged_at=now)
    ).rowcount
    return {"queue_open_tickets_closed": len(left_over), "queue_phone_numbers": phones_of_left_over + (phones or 0),
            "queue_ticket_details": details or 0}

