"""A ticket's life: issued, called (call-next, recall), started, closed (done, no-show, cancelled), transferred,
the visitor's phone number, and the nightly purge.

Every function works inside the caller's session (one transaction) and filters by office. Call-next takes
the oldest waiting ticket with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, while SQLite runs every transaction
as ``BEGIN IMMEDIATE`` (one writer at a time).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import locked, utcnow
from core.events import publish
from core.hookspecs import TicketRequest
from core.problems import Conflict, Invalid, Refused
from plugins.queue.estimates import estimate_for
from plugins.queue.events import (
    TicketCancelled,
    TicketDone,
    TicketIssued,
    TicketNoShow,
    TicketStarted,
    TicketTransferred,
)
from plugins.queue.i18n import translations
from plugins.queue.models import CALLED, CANCELLED, CLOSED_STATUSES, DONE, NO_SHOW, SERVING, WAITING, Ticket
from plugins.queue.numbering import format_number, next_number
from plugins.queue.seats import assign_seats, free_seat_of
from plugins.queue.settings import settings_of
from plugins.queue.tickets import (
    get_ticket,
    line_order,
    local_day,
    notify_near,
    position_of,
    publish_called,
    waiting_in,
)

CALL_RETRIES = 5
MAX_ANSWERS = 20
MAX_ANSWER_LENGTH = 500


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    position: int
    estimated_wait_minutes: int | None
    created: bool  # False when an idempotency key returned an earlier ticket


def normalize_phone(raw: str, country_code: str) -> str:
    """A phone number in E.164 (+46701234567); national numbers get the office's country code."""
    digits = re.sub(r"[\s\-().]", "", raw or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = f"+{country_code}{digits[1:]}"
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", digits):
        raise Invalid("invalid_request", "not a phone number (write it like 070 123 45 67 or +46 70 123 45 67)",
                      field="phone")
    return digits


def _clean_answers(answers: dict[str, Any] | None) -> dict[str, str]:
    if not answers:
        return {}
    if len(answers) > MAX_ANSWERS:
        raise Invalid("invalid_request", f"at most {MAX_ANSWERS} answers", field="errand.answers")
    return {str(k)[:64]: str(v)[:MAX_ANSWER_LENGTH] for k, v in answers.items()}


def issue_ticket(session: Session, office: OfficeConfig, request: TicketRequest, *, booked: bool = False,
                 can_text: bool = True, now: datetime | None = None) -> IssuedTicket:
    """Issue a ticket (or return the one an earlier request with the same idempotency key got).

    ``can_text`` is False when no enabled plugin can text this office's visitors: a phone number is then refused.
    (A plugin asking through ``mbk_issue_ticket`` asks ``mbk_message_reach`` itself before it sends a number.)"""
    now = now or utcnow()
    settings = settings_of(office)
    language = request.language if request.language in office.languages else office.default_language
    _ = translations.gettext(language)
    if request.idempotency_key:
        earlier = _by_idempotency_key(session, office.id, request.idempotency_key)
        if earlier is not None:
            return _issued(session, office, earlier, created=False, now=now)
    if request.service is not None:
        service = settings.service(request.service)
        if service is None:
            raise Refused("ticket_refused", _("There is no such service here."), field="service")
    else:
        service = settings.service_for(request.category)
    if not service.is_open(now.astimezone(office.tz)):
        raise Refused("ticket_refused", _("%(service)s is closed now.", service=service.name.get_text(language)),
                      field="service")
    if request.phone and not can_text:
        raise Refused("texts_unavailable", texts_unavailable(language), field="phone")
    phone = normalize_phone(request.phone, settings.phone_country_code) if request.phone else None
    answers = _clean_answers(request.answers)
    try:
        with session.begin_nested():
            day = local_day(office, now)
            number = next_number(session, office.id, service.id, day)
            ticket = Ticket(office_id=office.id, public_id=secrets.token_urlsafe(16), day=day,
                            issued_service=service.id, service=service.id, number=number,
                            label=format_number(service, number, settings.number_digits), status=WAITING,
                            language=language, source=request.source[:16], booked=booked,
                            idempotency_key=request.idempotency_key, category=request.category,
                            category_title=request.category_title[:200] if request.category_title else None,
                            answers=answers or None, phone=phone, issued_at=now, waiting_since=now)
            session.add(ticket)
            session.flush()
    except IntegrityError:
        # The same idempotency key committed by a concurrent request (a double tap): return that ticket.
        earlier = _by_idempotency_key(session, office.id, request.idempotency_key) if request.idempotency_key else None
        if earlier is None:
            raise
        return _issued(session, office, earlier, created=False, now=now)
    issued = _issued(session, office, ticket, created=True, now=now)
    publish(session, office.id, TicketIssued(ticket_id=ticket.public_id, number=ticket.label, service=service.id,
                                             category=ticket.category, language=language, position=issued.position,
                                             estimated_wait_minutes=issued.estimated_wait_minutes))
    if service.seats is not None and assign_seats(session, office, service, now):
        issued = _issued(session, office, ticket, created=True, now=now)
    if phone:  # a new ticket moves nobody forward: only its own visitor may already be near the front
        notify_near(session, office, service.id, now)
    return issued


def _by_idempotency_key(session: Session, office_id: str, key: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.office_id == office_id,
                                                Ticket.idempotency_key == key)).first()


def _issued(session: Session, office: OfficeConfig, ticket: Ticket, created: bool, now: datetime) -> IssuedTicket:
    position = position_of(session, office, ticket)
    return IssuedTicket(ticket, position, estimate_for(session, office, ticket.service, position, now), created)


def call_next(session: Session, office: OfficeConfig, counter_id: str, services: Sequence[str] | None = None,
              now: datetime | None = None) -> Ticket | None:
    """Call the next waiting ticket for a counter; None when nobody waits. Never hands one ticket to two guides."""
    now = now or utcnow()
    settings = settings_of(office)
    if settings.counter(counter_id) is None:
        raise Invalid("invalid_request", f"unknown counter {counter_id!r}", field="counter")
    served_here = [s.id for s in settings.services_at(counter_id)]
    if services:
        wrong = [s for s in services if s not in served_here]
        if wrong:
            raise Invalid("invalid_request", f"counter {counter_id!r} does not serve {', '.join(map(repr, wrong))} "
                                             f"(it serves: {', '.join(served_here) or 'nothing'})", field="services")
        wanted = list(services)
    else:
        wanted = served_here
    if not wanted:
        return None
    line = waiting_in(office.id, wanted, local_day(office, now))
    stmt = select(Ticket).where(line).order_by(*line_order(settings)).limit(1)
    stmt = locked(session, stmt, skip_locked=True)
    ticket = None
    for _attempt in range(CALL_RETRIES):
        ticket = session.scalars(stmt).first()
        if ticket is not None:
            break
        # With LIMIT 1, a row another guide took during this statement is dropped rather than replaced:
        # look again while anything still waits.
        if not session.scalar(select(func.count()).select_from(Ticket).where(line)):
            return None
    if ticket is None:
        return None
    ticket.status = CALLED
    ticket.counter = counter_id
    ticket.called_at = now
    ticket.first_called_at = ticket.first_called_at or now
    publish_called(session, office, ticket, recall=False)
    notify_near(session, office, ticket.service, now)
    return ticket


def _require(ticket: Ticket, allowed: Sequence[str], action: str) -> None:
    if ticket.status not in allowed:
        raise Conflict("wrong_state", f"ticket {ticket.label} is {ticket.status}; it cannot be {action} "
                                      f"(only when {' or '.join(allowed)})")


def recall(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED,), "recalled")
    ticket.recalls += 1
    ticket.called_at = now or utcnow()
    publish_called(session, office, ticket, recall=True)
    return ticket


def start(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED,), "started")
    ticket.status = SERVING
    ticket.started_at = now or utcnow()
    publish(session, office.id, TicketStarted(ticket_id=ticket.public_id, number=ticket.label,
                                              service=ticket.service, counter=ticket.counter))
    return ticket


def _close(session: Session, office: OfficeConfig, ticket: Ticket, status: str, now: datetime) -> None:
    ticket.status = status
    ticket.finished_at = now
    ticket.phone = None  # asked for only to text this visitor while waiting
    event = {DONE: TicketDone, NO_SHOW: TicketNoShow, CANCELLED: TicketCancelled}[status]
    publish(session, office.id, event(ticket_id=ticket.public_id, number=ticket.label, service=ticket.service))
    if ticket.seat is not None:
        service = settings_of(office).service(ticket.service)
        if service is not None and service.seats is not None:
            assign_seats(session, office, service, now)


def done(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED, SERVING), "marked done")
    if ticket.started_at is None:  # served straight away without pressing start
        ticket.started_at = ticket.called_at
    _close(session, office, ticket, DONE, now)
    return ticket


def no_show(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED,), "marked as no-show")
    _close(session, office, ticket, NO_SHOW, now or utcnow())
    return ticket


def cancel(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING, CALLED), "cancelled")
    _close(session, office, ticket, CANCELLED, now)
    notify_near(session, office, ticket.service, now)
    return ticket


def transfer(session: Session, office: OfficeConfig, public_id: str, to_service: str, note: str | None = None,
             now: datetime | None = None) -> Ticket:
    """Send a ticket to another service's line, keeping its place by issue time, with a note for the next guide."""
    now = now or utcnow()
    settings = settings_of(office)
    target = settings.service(to_service)
    if target is None:
        raise Invalid("invalid_request", f"unknown service {to_service!r}", field="to_service")
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING, CALLED, SERVING), "transferred")
    if ticket.service == to_service:
        raise Invalid("invalid_request", f"ticket {ticket.label} is already in {to_service!r}", field="to_service")
    from_service = ticket.service
    if ticket.seat is not None:
        free_seat_of(session, office, ticket)
    ticket.transferred_from = from_service
    ticket.service = to_service
    ticket.status = WAITING
    ticket.counter = None
    ticket.seat = None
    ticket.started_at = None
    ticket.note = (note or "").strip()[:1000] or None
    publish(session, office.id, TicketTransferred(ticket_id=ticket.public_id, number=ticket.label,
                                                  service=from_service, to_service=to_service))
    if target.seats is not None:
        assign_seats(session, office, target, now)
    notify_near(session, office, from_service, now)
    notify_near(session, office, to_service, now)
    return ticket


def texts_unavailable(language: str) -> str:
    _ = translations.gettext(language)
    return _("This office cannot send text messages. Keep this page open to follow your place in line.")


def set_phone(session: Session, office: OfficeConfig, public_id: str, phone: str | None, *, can_text: bool,
              now: datetime | None = None) -> Ticket:
    """The visitor asks to be texted when near the front (or withdraws the number with None). ``can_text``:
    whether any enabled plugin can text this office's visitors (``views.texting_offered``); a number is refused
    when none can, rather than kept for a message that never comes."""
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING,), "given a phone number")
    if phone and not can_text:
        raise Refused("texts_unavailable", texts_unavailable(ticket.language), field="phone")
    if phone:
        ticket.phone = normalize_phone(phone, settings_of(office).phone_country_code)
        ticket.near_notified_at = None
        notify_near(session, office, ticket.service, now)
    else:
        ticket.phone = None
    return ticket


def purge(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    """Close tickets left open on earlier days, erase phone numbers of closed tickets and of earlier days, and
    errand details past retention.

    Ticket rows stay (number, service, times), so statistics are unchanged.
    """
    settings = settings_of(office)
    today = local_day(office, now)
    left_over = session.scalars(select(Ticket).where(Ticket.office_id == office.id, Ticket.day < today,
                                                     Ticket.status.in_((WAITING, CALLED, SERVING)))).all()
    phones_of_left_over = sum(1 for ticket in left_over if ticket.phone)
    for ticket in left_over:  # still open when the office closed: the visitor has gone home
        served = ticket.status == SERVING
        _close(session, office, ticket, DONE if served else CANCELLED, now)
        if served:
            ticket.finished_at = None  # nobody marked it done: the service time is unknown, not overnight
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

