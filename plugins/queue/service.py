"""The queue's domain logic (no HTTP): numbering, the ticket lifecycle, call-next, seats, estimates, statistics.

Every function works inside the caller's session (one transaction) and filters by office. Concurrency:
numbers come from one atomic upsert per service and day (the counter row stays locked until commit, so
numbers are never duplicated, and a rolled-back issue gives its number back, so none is skipped);
call-next takes the oldest waiting ticket with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, while SQLite
runs every transaction as ``BEGIN IMMEDIATE`` (one writer at a time).
"""

from __future__ import annotations

import math
import re
import secrets
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import utcnow
from core.events import publish
from core.hookspecs import TicketRequest
from core.web.i18n import Translator
from plugins.queue.events import (
    TicketCalled,
    TicketCancelled,
    TicketDone,
    TicketIssued,
    TicketNear,
    TicketNoShow,
    TicketStarted,
    TicketTransferred,
)
from plugins.queue.models import (
    CALLED,
    CANCELLED,
    CLOSED_STATUSES,
    DONE,
    NO_SHOW,
    SERVING,
    WAITING,
    NumberCounter,
    Seat,
    Ticket,
)
from plugins.queue.settings import QueueSettings, Service

translations = Translator([Path(__file__).resolve().parent / "locale"])
ESTIMATE_HISTORY = timedelta(days=14)
ACTIVE_COUNTER_WINDOW = timedelta(hours=1)
CALL_RETRIES = 5
MAX_ANSWERS = 20
MAX_ANSWER_LENGTH = 500


class QueueError(Exception):
    """A refused request; ``status`` and ``code`` say how the API answers it."""

    status = 409
    code = "conflict"

    def __init__(self, detail: str, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class TicketNotFound(QueueError):
    status = 404
    code = "ticket_not_found"


class InvalidRequest(QueueError):
    status = 422
    code = "invalid_request"


class StateConflict(QueueError):
    status = 409
    code = "wrong_state"


class IssueRefused(QueueError, ValueError):
    """A ticket cannot be issued (closed, unknown service); the message is in the visitor's language."""

    status = 409
    code = "ticket_refused"


def settings_of(office: OfficeConfig) -> QueueSettings:
    return office.settings_for("queue")


def local_day(office: OfficeConfig, now: datetime) -> date:
    return now.astimezone(office.tz).date()


def format_number(service: Service, number: int, digits: int) -> str:
    return f"{service.prefix}{number:0{digits}d}"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- Numbering -------------------------------------------------------------------------------------------


def next_number(session: Session, office_id: str, service_id: str, day: date) -> int:
    """The next number for a service on a local day: one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING."""
    dialect = postgresql if _is_postgres(session) else sqlite
    stmt = dialect.insert(NumberCounter).values(office_id=office_id, service=service_id, day=day, last_number=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[NumberCounter.office_id, NumberCounter.service, NumberCounter.day],
        set_={"last_number": NumberCounter.last_number + 1},
    ).returning(NumberCounter.last_number)
    return int(session.execute(stmt).scalar_one())


# --- Issuing ---------------------------------------------------------------------------------------------


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
        raise InvalidRequest("not a phone number (write it like 070 123 45 67 or +46 70 123 45 67)", field="phone")
    return digits


def _clean_answers(answers: dict[str, Any] | None) -> dict[str, str]:
    if not answers:
        return {}
    if len(answers) > MAX_ANSWERS:
        raise InvalidRequest(f"at most {MAX_ANSWERS} answers", field="errand.answers")
    return {str(k)[:64]: str(v)[:MAX_ANSWER_LENGTH] for k, v in answers.items()}


def issue_ticket(session: Session, office: OfficeConfig, request: TicketRequest, *, booked: bool = False,
                 now: datetime | None = None) -> IssuedTicket:
    """Issue a ticket (or return the one an earlier request with the same idempotency key got)."""
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
            raise IssueRefused(_("There is no such service here."), field="service")
    else:
        service = settings.service_for(request.category)
    if not service.is_open(now.astimezone(office.tz)):
        raise IssueRefused(_("%(service)s is closed now.", service=service.name.get_text(language)), field="service")
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


# --- Position and estimates ------------------------------------------------------------------------------


def _line_order(settings: QueueSettings) -> list[Any]:
    order: list[Any] = [Ticket.booked.desc()] if settings.booked_first else []
    return [*order, Ticket.waiting_since, Ticket.id]


def _waiting_in(office_id: str, services: Iterable[str], day: date) -> Any:
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
                           .where(_waiting_in(office.id, [ticket.service], ticket.day), earlier)) or 0
    return ahead + 1


@dataclass(frozen=True)
class Pace:
    """How fast a service moves now: median minutes per visitor and how many counters serve in parallel."""

    minutes_per_visitor: float | None
    parallel: int
    median_wait_minutes: float | None

    def estimate(self, position: int) -> int | None:
        """Minutes until a ticket at ``position`` is called."""
        if self.minutes_per_visitor is not None:
            return math.ceil((position - 1) * self.minutes_per_visitor / self.parallel)
        if self.median_wait_minutes is not None:
            return math.ceil(self.median_wait_minutes)
        return None


def pace(session: Session, office: OfficeConfig, service_id: str, now: datetime) -> Pace:
    settings = settings_of(office)
    service = settings.service(service_id)
    since = now - ESTIMATE_HISTORY
    served = session.execute(
        select(Ticket.started_at, Ticket.finished_at)
        .where(Ticket.office_id == office.id, Ticket.service == service_id, Ticket.status == DONE,
               Ticket.started_at.is_not(None), Ticket.finished_at >= since)
        .order_by(Ticket.finished_at.desc()).limit(settings.estimate_sample)).all()
    durations = [(end - start).total_seconds() / 60 for start, end in served if end >= start]
    waits = session.execute(
        select(Ticket.waiting_since, Ticket.first_called_at)
        .where(Ticket.office_id == office.id, Ticket.service == service_id, Ticket.first_called_at >= since)
        .order_by(Ticket.first_called_at.desc()).limit(settings.estimate_sample)).all()
    wait_minutes = [max(0.0, (called - queued).total_seconds() / 60) for queued, called in waits]
    if service is not None and service.seats is not None:
        parallel = service.seats
    else:
        counters = session.scalar(
            select(func.count(func.distinct(Ticket.counter)))
            .where(Ticket.office_id == office.id, Ticket.service == service_id,
                   Ticket.called_at >= now - ACTIVE_COUNTER_WINDOW)) or 0
        parallel = max(1, min(counters, len(service.counters) if service else counters))
    return Pace(statistics.median(durations) if durations else None, parallel,
                statistics.median(wait_minutes) if wait_minutes else None)


def estimate_for(session: Session, office: OfficeConfig, service_id: str, position: int,
                 now: datetime) -> int | None:
    if position <= 0:
        return None
    service = settings_of(office).service(service_id)
    if service is not None and service.seats is not None and position <= free_seats(session, office, service):
        return 0
    return pace(session, office, service_id, now).estimate(position)


def waiting_counts(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    rows = session.execute(select(Ticket.service, func.count()).where(
        Ticket.office_id == office.id, Ticket.day == local_day(office, now), Ticket.status == WAITING)
                           .group_by(Ticket.service)).all()
    return {service: count for service, count in rows}


@dataclass(frozen=True)
class ServiceLoad:
    service: Service
    waiting: int
    estimated_wait_minutes: int | None
    open: bool
    seats_free: int | None


def service_loads(session: Session, office: OfficeConfig, now: datetime | None = None) -> list[ServiceLoad]:
    """Every service with its line length and the wait a ticket taken now would have."""
    now = now or utcnow()
    counts = waiting_counts(session, office, now)
    loads = []
    for service in settings_of(office).services:
        waiting = counts.get(service.id, 0)
        seats_free = free_seats(session, office, service) if service.seats is not None else None
        loads.append(ServiceLoad(service, waiting, estimate_for(session, office, service.id, waiting + 1, now),
                                 service.is_open(now.astimezone(office.tz)), seats_free))
    return loads


# --- Finding tickets -------------------------------------------------------------------------------------


def find_ticket(session: Session, office: OfficeConfig, public_id: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.office_id == office.id, Ticket.public_id == public_id)).first()


def get_ticket(session: Session, office: OfficeConfig, public_id: str, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.office_id == office.id, Ticket.public_id == public_id)
    if lock and _is_postgres(session):
        stmt = stmt.with_for_update()
    ticket = session.scalars(stmt).first()
    if ticket is None:
        raise TicketNotFound(f"No ticket {public_id!r} at office {office.id!r}.")
    return ticket


def open_tickets(session: Session, office: OfficeConfig, services: Sequence[str] | None = None,
                 now: datetime | None = None) -> list[Ticket]:
    """Today's waiting, called and serving tickets (in calling order), for the guide console."""
    settings = settings_of(office)
    stmt = select(Ticket).where(Ticket.office_id == office.id, Ticket.day == local_day(office, now or utcnow()),
                                Ticket.status.in_((WAITING, CALLED, SERVING)))
    if services:
        stmt = stmt.where(Ticket.service.in_(list(services)))
    return list(session.scalars(stmt.order_by(*_line_order(settings))))


# --- Calling and the lifecycle ---------------------------------------------------------------------------


def _counter_name(office: OfficeConfig, counter_id: str | None, seat: int | None, language: str) -> str:
    if seat is not None:
        _ = translations.gettext(language)
        return _("Computer %(seat)s", seat=seat)
    counter = settings_of(office).counter(counter_id) if counter_id else None
    return counter.name.get_text(language) if counter else (counter_id or "")


def _publish_called(session: Session, office: OfficeConfig, ticket: Ticket, recall: bool) -> None:
    publish(session, office.id, TicketCalled(
        ticket_id=ticket.public_id, number=ticket.label, service=ticket.service, counter=ticket.counter,
        counter_name=_counter_name(office, ticket.counter, ticket.seat, ticket.language), recall=recall,
        language=ticket.language, seat=str(ticket.seat) if ticket.seat is not None else None))


def call_next(session: Session, office: OfficeConfig, counter_id: str, services: Sequence[str] | None = None,
              now: datetime | None = None) -> Ticket | None:
    """Call the next waiting ticket for a counter; None when nobody waits. Never hands one ticket to two guides."""
    now = now or utcnow()
    settings = settings_of(office)
    if settings.counter(counter_id) is None:
        raise InvalidRequest(f"unknown counter {counter_id!r}", field="counter")
    served_here = [s.id for s in settings.services_at(counter_id)]
    if services:
        wrong = [s for s in services if s not in served_here]
        if wrong:
            raise InvalidRequest(f"counter {counter_id!r} does not serve {', '.join(map(repr, wrong))} "
                                 f"(it serves: {', '.join(served_here) or 'nothing'})", field="services")
        wanted = list(services)
    else:
        wanted = served_here
    if not wanted:
        return None
    line = _waiting_in(office.id, wanted, local_day(office, now))
    stmt = select(Ticket).where(line).order_by(*_line_order(settings)).limit(1)
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
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
    _publish_called(session, office, ticket, recall=False)
    notify_near(session, office, ticket.service, now)
    return ticket


def _require(ticket: Ticket, allowed: Sequence[str], action: str) -> None:
    if ticket.status not in allowed:
        raise StateConflict(f"ticket {ticket.label} is {ticket.status}; it cannot be {action} "
                            f"(only when {' or '.join(allowed)})")


def recall(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED,), "recalled")
    ticket.recalls += 1
    ticket.called_at = now or utcnow()
    _publish_called(session, office, ticket, recall=True)
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
        raise InvalidRequest(f"unknown service {to_service!r}", field="to_service")
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING, CALLED, SERVING), "transferred")
    if ticket.service == to_service:
        raise InvalidRequest(f"ticket {ticket.label} is already in {to_service!r}", field="to_service")
    from_service = ticket.service
    if ticket.seat is not None:
        _free_seat_of(session, office, ticket)
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


def set_phone(session: Session, office: OfficeConfig, public_id: str, phone: str | None,
              now: datetime | None = None) -> Ticket:
    """The visitor asks to be texted when near the front (or withdraws the number with None)."""
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING,), "given a phone number")
    if phone:
        ticket.phone = normalize_phone(phone, settings_of(office).phone_country_code)
        ticket.near_notified_at = None
        notify_near(session, office, ticket.service, now)
    else:
        ticket.phone = None
    return ticket


def notify_near(session: Session, office: OfficeConfig, service_id: str, now: datetime) -> None:
    """Publish ``ticket.near`` once for each waiting ticket with a phone number that is now near the front."""
    settings = settings_of(office)
    front = session.scalars(select(Ticket).where(_waiting_in(office.id, [service_id], local_day(office, now)))
                            .order_by(*_line_order(settings)).limit(settings.near_position)).all()
    for position, ticket in enumerate(front, start=1):
        if ticket.phone and ticket.near_notified_at is None:
            ticket.near_notified_at = now
            publish(session, office.id, TicketNear(ticket_id=ticket.public_id, number=ticket.label,
                                                   service=service_id, position=position, phone=ticket.phone,
                                                   language=ticket.language))


# --- Public computers ------------------------------------------------------------------------------------


def _seat_rows(session: Session, office: OfficeConfig, service: Service) -> list[Seat]:
    """The service's seats, created on first use and locked for this transaction."""
    dialect = postgresql if _is_postgres(session) else sqlite
    existing = session.scalar(select(func.count()).select_from(Seat).where(
        Seat.office_id == office.id, Seat.service == service.id)) or 0
    if existing < (service.seats or 0):
        session.execute(dialect.insert(Seat).values(
            [{"office_id": office.id, "service": service.id, "seat": n} for n in range(1, (service.seats or 0) + 1)]
        ).on_conflict_do_nothing())
    stmt = (select(Seat).where(Seat.office_id == office.id, Seat.service == service.id,
                               Seat.seat <= (service.seats or 0)).order_by(Seat.seat))
    if _is_postgres(session):
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def _free_seat_of(session: Session, office: OfficeConfig, ticket: Ticket) -> None:
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
        stmt = (select(Ticket).where(_waiting_in(office.id, [service.id], local_day(office, now)))
                .order_by(*_line_order(settings)).limit(1))
        if _is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        ticket = session.scalars(stmt).first()
        if ticket is None:
            continue
        ticket.status = SERVING
        ticket.seat = seat.seat
        ticket.counter = None
        ticket.called_at = ticket.started_at = now
        ticket.first_called_at = ticket.first_called_at or now
        seat.ticket_id = ticket.id
        seat.since = now
        _publish_called(session, office, ticket, recall=False)
        seated += 1
    if seated:
        notify_near(session, office, service.id, now)
    return seated


# --- Statistics ------------------------------------------------------------------------------------------


@dataclass
class DayStats:
    day: date
    service: str
    issued: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0
    wait_median_minutes: float | None = None
    wait_p90_minutes: float | None = None
    service_median_minutes: float | None = None
    service_p90_minutes: float | None = None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (what PostgreSQL's percentile_cont computes)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _seconds_between(session: Session, start: Any, end: Any) -> Any:
    if _is_postgres(session):
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def statistics_by_day(session: Session, office: OfficeConfig, first: date, last: date) -> list[DayStats]:
    """Per service and local day: issued, served, no-shows, cancelled; wait and service time median and p90.

    Counts in SQL everywhere; the percentiles too on PostgreSQL (percentile_cont), in Python on SQLite,
    which has no ordered-set aggregates. Waits belong to the service a ticket was issued for, service
    times to the one that served it.
    """
    rows: dict[tuple[date, str], DayStats] = {}

    def row(day: date, service: str) -> DayStats:
        return rows.setdefault((day, service), DayStats(day, service))

    in_range = and_(Ticket.office_id == office.id, Ticket.day >= first, Ticket.day <= last)
    counted = session.execute(
        select(Ticket.day, Ticket.issued_service, func.count())
        .where(in_range).group_by(Ticket.day, Ticket.issued_service)).all()
    for day, service, issued in counted:
        row(day, service).issued = issued
    outcomes = session.execute(
        select(Ticket.day, Ticket.service,
               func.sum(case((Ticket.status == DONE, 1), else_=0)),
               func.sum(case((Ticket.status == NO_SHOW, 1), else_=0)),
               func.sum(case((Ticket.status == CANCELLED, 1), else_=0)))
        .where(in_range, Ticket.status.in_(CLOSED_STATUSES)).group_by(Ticket.day, Ticket.service)).all()
    for day, service, served, no_shows, cancelled in outcomes:
        stats = row(day, service)
        stats.served, stats.no_shows, stats.cancelled = int(served or 0), int(no_shows or 0), int(cancelled or 0)

    wait = _seconds_between(session, Ticket.issued_at, Ticket.first_called_at) / 60.0
    serve = _seconds_between(session, Ticket.started_at, Ticket.finished_at) / 60.0
    waited = and_(in_range, Ticket.first_called_at.is_not(None))
    served_ok = and_(in_range, Ticket.status == DONE, Ticket.started_at.is_not(None), Ticket.finished_at.is_not(None))
    if _is_postgres(session):
        for (day, service, median, p90) in session.execute(
                select(Ticket.day, Ticket.issued_service, func.percentile_cont(0.5).within_group(wait),
                       func.percentile_cont(0.9).within_group(wait))
                .where(waited).group_by(Ticket.day, Ticket.issued_service)).all():
            row(day, service).wait_median_minutes, row(day, service).wait_p90_minutes = median, p90
        for (day, service, median, p90) in session.execute(
                select(Ticket.day, Ticket.service, func.percentile_cont(0.5).within_group(serve),
                       func.percentile_cont(0.9).within_group(serve))
                .where(served_ok).group_by(Ticket.day, Ticket.service)).all():
            row(day, service).service_median_minutes, row(day, service).service_p90_minutes = median, p90
    else:
        waits: dict[tuple[date, str], list[float]] = defaultdict(list)
        for day, service, minutes in session.execute(select(Ticket.day, Ticket.issued_service, wait).where(waited)):
            waits[(day, service)].append(float(minutes))
        for key, values in waits.items():
            row(*key).wait_median_minutes, row(*key).wait_p90_minutes = percentile(values, .5), percentile(values, .9)
        serves: dict[tuple[date, str], list[float]] = defaultdict(list)
        for day, service, minutes in session.execute(select(Ticket.day, Ticket.service, serve).where(served_ok)):
            serves[(day, service)].append(float(minutes))
        for key, values in serves.items():
            row(*key).service_median_minutes, row(*key).service_p90_minutes = (percentile(values, .5),
                                                                               percentile(values, .9))
    return [rows[key] for key in sorted(rows)]


# --- Retention -------------------------------------------------------------------------------------------


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

