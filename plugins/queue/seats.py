"""Public computers: a service with seats hands each waiting visitor the next free seat, for a time limit.

Seat rows are created on first use and locked while assigned (PostgreSQL: row locks; SQLite: one writer).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import insert_ignore, locked, utcnow
from core.events import publish
from plugins.queue.events import TicketDone
from plugins.queue.models import CALLED, DONE, SERVING, Seat, Ticket
from plugins.queue.settings import Service, settings_of
from plugins.queue.tickets import line_order, local_day, notify_near, publish_called, waiting_in


def _seat_rows(session: Session, office: OfficeConfig, service: Service) -> list[Seat]:
    """The service's seats, created on first use and locked for this transaction."""
    existing = session.scalar(select(func.count()).select_from(Seat).where(
        Seat.office_id == office.id, Seat.service == service.id)) or 0
    if existing < (service.seats or 0):
        insert_ignore(session, Seat, [{"office_id": office.id, "service": service.id, "seat": n}
                                      for n in range(1, (service.seats or 0) + 1)])
    stmt = (select(Seat).where(Seat.office_id == office.id, Seat.service == service.id,
                               Seat.seat <= (service.seats or 0)).order_by(Seat.seat))
    return list(session.scalars(locked(session, stmt)))


def free_seat_of(session: Session, office: OfficeConfig, ticket: Ticket) -> None:
    session.execute(update(Seat).where(Seat.office_id == office.id, Seat.service == ticket.service,
                                       Seat.seat == ticket.seat, Seat.ticket_id == ticket.id)
                    .values(ticket_id=None, since=None))


def free_seats(session: Session, office: OfficeConfig, service: Service) -> int:
    taken = session.scalar(select(func.count()).select_from(Seat).where(
        Seat.office_id == office.id, Seat.service == service.id, Seat.ticket_id.is_not(None),
        Seat.seat <= (service.seats or 0))) or 0
    return max(0, (service.seats or 0) - taken)


def assign_seats(session: Session, office: OfficeConfig, service: Service, now: datetime | None = None) -> int:
    """Free the seats whose visitor is done or over the time limit, then seat the longest-waiting visitors.

    Returns how many visitors were seated.
    """
    now = now or utcnow()
    settings = settings_of(office)
    limit = timedelta(minutes=settings.seat_time_limit_minutes)
    seated = 0
    for seat in _seat_rows(session, office, service):
        if seat.ticket_id is not None:
            holder = session.get(Ticket, seat.ticket_id)
            if holder is not None and holder.status in (CALLED, SERVING):
                if seat.since is not None and now - seat.since < limit:
                    continue
                holder.status = DONE
                holder.finished_at = now
                holder.phone = None
                publish(session, office.id, TicketDone(ticket_id=holder.public_id, number=holder.label,
                                                       service=holder.service))
            seat.ticket_id = None
            seat.since = None
        stmt = (select(Ticket).where(waiting_in(office.id, [service.id], local_day(office, now)))
                .order_by(*line_order(settings)).limit(1))
        ticket = session.scalars(locked(session, stmt, skip_locked=True)).first()
        if ticket is None:
            continue
        ticket.status = SERVING
        ticket.seat = seat.seat
        ticket.counter = None
        ticket.called_at = ticket.started_at = now
        ticket.first_called_at = ticket.first_called_at or now
        seat.ticket_id = ticket.id
        seat.since = now
        publish_called(session, office, ticket, recall=False)
        seated += 1
    if seated:
        notify_near(session, office, service.id, now)
    return seated

