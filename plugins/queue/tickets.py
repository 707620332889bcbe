"""The waiting line: its calling order, a ticket's position, finding tickets, and the announcements the line
makes as it moves (a ticket called, a visitor near the front).

Every function works inside the caller's session and filters by office.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import locked, utcnow
from core.events import publish
from core.problems import NotFound
from plugins.queue.events import TicketCalled, TicketNear
from plugins.queue.i18n import translations
from plugins.queue.models import CALLED, SERVING, WAITING, Ticket
from plugins.queue.settings import QueueSettings, settings_of


def local_day(office: OfficeConfig, now: datetime) -> date:
    return now.astimezone(office.tz).date()


def line_order(settings: QueueSettings) -> list[Any]:
    order: list[Any] = [Ticket.booked.desc()] if settings.booked_first else []
    return [*order, Ticket.waiting_since, Ticket.id]


def waiting_in(office_id: str, services: Iterable[str], day: date) -> Any:
    """Tickets waiting in these lines on this local day (the lines start empty every morning)."""
    return and_(Ticket.office_id == office_id, Ticket.day == day, Ticket.service.in_(list(services)),
                Ticket.status == WAITING)


def position_of(session: Session, office: OfficeConfig, ticket: Ticket) -> int:
    """1 for the next to be called; 0 when the ticket no longer waits."""
    if ticket.status != WAITING:
        return 0
    earlier = or_(Ticket.waiting_since < ticket.waiting_since,
                  and_(Ticket.waiting_since == ticket.waiting_since, Ticket.id < ticket.id))
    if settings_of(office).booked_first:
        earlier = (and_(Ticket.booked.is_(True), earlier) if ticket.booked
                   else or_(Ticket.booked.is_(True), earlier))
    ahead = session.scalar(select(func.count()).select_from(Ticket)
                           .where(waiting_in(office.id, [ticket.service], ticket.day), earlier)) or 0
    return ahead + 1


def waiting_counts(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    rows = session.execute(select(Ticket.service, func.count()).where(
        Ticket.office_id == office.id, Ticket.day == local_day(office, now), Ticket.status == WAITING)
                           .group_by(Ticket.service)).all()
    return {service: count for service, count in rows}


def find_ticket(session: Session, office: OfficeConfig, public_id: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.office_id == office.id, Ticket.public_id == public_id)).first()


def get_ticket(session: Session, office: OfficeConfig, public_id: str, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.office_id == office.id, Ticket.public_id == public_id)
    ticket = session.scalars(locked(session, stmt) if lock else stmt).first()
    if ticket is None:
        raise NotFound("ticket_not_found", f"No ticket {public_id!r} at office {office.id!r}.")
    return ticket


def open_tickets(session: Session, office: OfficeConfig, services: Sequence[str] | None = None,
                 now: datetime | None = None) -> list[Ticket]:
    """Today's waiting, called and serving tickets (in calling order), for the guide console."""
    settings = settings_of(office)
    stmt = select(Ticket).where(Ticket.office_id == office.id, Ticket.day == local_day(office, now or utcnow()),
                                Ticket.status.in_((WAITING, CALLED, SERVING)))
    if services:
        stmt = stmt.where(Ticket.service.in_(list(services)))
    return list(session.scalars(stmt.order_by(*line_order(settings))))


def counter_name(office: OfficeConfig, counter_id: str | None, seat: int | None, language: str) -> str:
    if seat is not None:
        _ = translations.gettext(language)
        return _("Computer %(seat)s", seat=seat)
    counter = settings_of(office).counter(counter_id) if counter_id else None
    return counter.name.get_text(language) if counter else (counter_id or "")


def publish_called(session: Session, office: OfficeConfig, ticket: Ticket, recall: bool) -> None:
    publish(session, office.id, TicketCalled(
        ticket_id=ticket.public_id, number=ticket.label, service=ticket.service, counter=ticket.counter,
        counter_name=counter_name(office, ticket.counter, ticket.seat, ticket.language), recall=recall,
        language=ticket.language, seat=str(ticket.seat) if ticket.seat is not None else None))


def notify_near(session: Session, office: OfficeConfig, service_id: str, now: datetime) -> None:
    """Publish ``ticket.near`` once for each waiting ticket with a phone number that is now near the front."""
    settings = settings_of(office)
    front = session.scalars(select(Ticket).where(waiting_in(office.id, [service_id], local_day(office, now)))
                            .order_by(*line_order(settings)).limit(settings.near_position)).all()
    for position, ticket in enumerate(front, start=1):
        if ticket.phone and ticket.near_notified_at is None:
            ticket.near_notified_at = now
            publish(session, office.id, TicketNear(ticket_id=ticket.public_id, number=ticket.label,
                                                   service=service_id, position=position, phone=ticket.phone,
                                                   language=ticket.language))

