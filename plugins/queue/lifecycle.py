"""A ticket's life: issued, called (call-next, a chosen ticket, recall), started, held and resumed, flagged urgent,
closed (done with its outcome, no-show, cancelled), transferred, and the visitor's phone number.

Every function works inside the caller's session (one transaction) and filters by office. Call-next takes
the oldest waiting ticket with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, while SQLite runs every transaction
as ``BEGIN IMMEDIATE`` (one writer at a time).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from core.config import OfficeConfig
from core.db import is_postgres, utcnow
from core.events import publish
from core.hookspecs import TicketRequest
from core.problems import Conflict, Invalid, Refused
from plugins.queue.counters import known_counter, not_paused, require_open
from plugins.queue.estimates import estimate_for, forget_paces, pace
from plugins.queue.events import (
    TicketCancelled,
    TicketDone,
    TicketHeld,
    TicketIssued,
    TicketNoShow,
    TicketResumed,
    TicketStarted,
    TicketTransferred,
    TicketUrgent,
)
from plugins.queue.i18n import translations
from plugins.queue.models import CALLED, CANCELLED, DONE, NO_SHOW, OUTCOMES, REFERRED, SERVING, WAITING, Ticket
from plugins.queue.numbering import SET_WHEN_WRITTEN, write_numbered
from plugins.queue.seats import assign_seats, free_seat_of
from plugins.queue.settings import settings_of
from plugins.queue.tickets import (
    TICKET_ROWS,
    calling_order,
    get_ticket,
    local_day,
    notify_near,
    position_of,
    publish_called,
    untold_in_front,
    waiting_in,
)

CALL_RETRIES = 5
FRONT_UNTOLD = "front_untold"  # the claim's column that says whether its line may have a visitor to text
MAX_ANSWERS = 20
MAX_ANSWER_LENGTH = 500
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


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
    real_time = now is None
    now = now or utcnow()
    settings = settings_of(office)
    language = request.language if request.language in office.languages else office.default_language
    _ = translations.gettext(language)
    key = request.idempotency_key or None  # an empty key is none: stored, a second one would break its unique index
    if key:
        earlier = _by_idempotency_key(session, office.id, key)
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
    if request.interpreter is not None and not LANGUAGE_CODE.fullmatch(request.interpreter):
        raise Invalid("invalid_request", f"{request.interpreter!r} is not a language code (such as 'ti' or 'fa')",
                      field="interpreter")
    # Everything that only reads comes first, and the number last, just before the writes and the commit: the
    # service's counter row stays locked from the number to the commit, so tickets of one line are numbered one at
    # a time, and the shorter that stretch, the more tickets per second.
    day = local_day(office, now)
    row = {**_NEW_TICKET, "office_id": office.id, "public_id": secrets.token_urlsafe(16), "day": day,
           "issued_service": service.id, "service": service.id, "status": WAITING, "language": language,
           "source": request.source[:16], "booked": booked, "idempotency_key": key,
           "category": request.category,
           "category_title": request.category_title[:200] if request.category_title else None,
           "answers": answers or None, "phone": phone, "issued_at": now,
           "waiting_since": None if real_time else now,  # in real time: from its number (write_numbered says why)
           "urgent": request.urgent, "interpreter": request.interpreter}
    ticket = Ticket(**row)
    pace(session, office, service.id, now)  # when due, read now: estimate_for then finds it
    try:
        # Only an idempotency key can collide (a double tap committed meanwhile); the number cannot, so without a
        # key there is no savepoint to set and release while the counter is locked.
        with session.begin_nested() if key else nullcontext():
            numbered = write_numbered(session, service, settings.number_digits, row, settings.booked_first)
    except IntegrityError:
        # The same idempotency key committed by a concurrent request (a double tap): return that ticket.
        earlier = _by_idempotency_key(session, office.id, key) if key else None
        if earlier is None:
            raise
        return _issued(session, office, earlier, created=False, now=now)
    ticket.id, ticket.number, ticket.label, ticket.waiting_since = (numbered.id, numbered.number, numbered.label,
                                                                    numbered.waiting_since)
    make_transient_to_detached(ticket)  # written as it is: it joins the session as loaded, with nothing to flush
    session.add(ticket)
    # Its place is counted after its number was taken: a count that saw the line as it was before (on PostgreSQL a
    # statement's subquery sees it as the statement began) would miss a ticket that another kiosk committed while
    # this one waited for the line's counter, and both visitors would be told one place. PostgreSQL counts it in
    # the numbering statement (numbering.write_numbered says how), SQLite in a statement after it, from the line's
    # waiting counts (tickets.position_of).
    position = numbered.ahead + 1 if numbered.ahead is not None else position_of(session, office, ticket, newest=True)
    issued = _issued(session, office, ticket, created=True, now=now, position=position)
    publish(session, office.id, TicketIssued(ticket_id=ticket.public_id, number=ticket.label, service=service.id,
                                             category=ticket.category, language=language, position=issued.position,
                                             estimated_wait_minutes=issued.estimated_wait_minutes,
                                             urgent=ticket.urgent, interpreter=ticket.interpreter))
    if service.seats is not None and assign_seats(session, office, service, now):
        issued = _issued(session, office, ticket, created=True, now=now)
    if phone:  # a new ticket moves nobody forward: only its own visitor may already be near the front
        notify_near(session, office, service.id, now)
    return issued


# A new ticket is written as a row (numbering.write_numbered), not through the unit of work. Every column is
# written, those issue_ticket does not set with the model's defaults, so the ticket joins the session with nothing
# left to read.
_NEW_TICKET = {column.key: column.default.arg if column.default is not None and column.default.is_scalar else None
               for column in Ticket.__table__.columns if column.key not in SET_WHEN_WRITTEN}


def _by_idempotency_key(session: Session, office_id: str, key: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.office_id == office_id,
                                                Ticket.idempotency_key == key)).first()


def _issued(session: Session, office: OfficeConfig, ticket: Ticket, created: bool, now: datetime,
            position: int | None = None) -> IssuedTicket:
    """The ticket with its place (counted now unless given) and the wait estimated for it."""
    if position is None:
        position = position_of(session, office, ticket)
    return IssuedTicket(ticket, position, estimate_for(session, office, ticket.service, position, now), created)


def call_next(session: Session, office: OfficeConfig, counter_id: str, services: Sequence[str] | None = None,
              now: datetime | None = None) -> Ticket | None:
    """Call the next waiting ticket for a counter; None when nobody waits. Never hands one ticket to two guides."""
    now = now or utcnow()
    settings = settings_of(office)
    known_counter(office, counter_id)
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
        require_open(session, office, counter_id)
        return None
    day = local_day(office, now)
    claim = _claim_statement(settings.booked_first, is_postgres(session))
    params = {"at_office": office.id, "in_lines": wanted, "on_day": day, "to_counter": counter_id, "at": now,
              "near": settings.near_position}
    session.flush()  # as the ORM's autoflush would before a statement of its own
    for _attempt in range(CALL_RETRIES):
        row = session.execute(claim, params).first()
        if row is not None:
            forget_paces(office.id)  # an UPDATE statement, which the ORM's after_update does not see
            columns = dict(row._mapping)
            front_untold = columns.pop(FRONT_UNTOLD)
            ticket = Ticket(**columns)
            make_transient_to_detached(ticket)
            # The session's own Ticket for the row, with nothing to flush: this one, or the one it held already,
            # refreshed (a merge, which copies every column, only then).
            if session.identity_key(instance=ticket) in session.identity_map:
                ticket = session.merge(ticket, load=False)
            else:
                session.add(ticket)
            _announce_call(session, office, ticket, now, front_untold)
            return ticket
        require_open(session, office, counter_id)  # the claim passes over a paused counter: say so
        # With LIMIT 1, a row another guide took during this statement is dropped rather than replaced:
        # look again while anything still waits.
        if not session.scalar(select(func.count()).select_from(Ticket).where(waiting_in(office.id, wanted, day))):
            return None
    return None


@lru_cache(maxsize=8)
def _claim_statement(booked_first: bool, row_locks: bool) -> Any:
    """Call-next in one statement, built once per shape: the first waiting ticket of the lines, its row locked
    (PostgreSQL: skipping rows other guides hold), marked called to the counter, and answered whole; nothing when
    the counter is paused (its row locked as ``require_open`` locks it: a statement of its own cost as much as the
    claim). PostgreSQL tests that condition first, as a one-time filter: the counter's row is locked before the
    ticket's, the order in which ``call_ticket`` takes them too (EXPLAIN shows it so). A Core
    statement: through the ORM, loading the answered row cost more than the statement (py-spy at 8 guides). Its
    parameters are not named after columns: an UPDATE reserves those names for its SET clause. Its last column
    is ``FRONT_UNTOLD``: on PostgreSQL, whether the claimed ticket's line may have a visitor to text in front
    (``untold_in_front``), so that most calls skip the read of the front."""
    first = (select(TICKET_ROWS.id)
             .where(waiting_in(bindparam("at_office"), bindparam("in_lines", expanding=True), bindparam("on_day"),
                               TICKET_ROWS))
             .order_by(*calling_order(booked_first, TICKET_ROWS)).limit(1))
    if row_locks:  # PostgreSQL
        first = first.with_for_update(skip_locked=True)
    at = bindparam("at", type_=TICKET_ROWS.called_at.type)
    # SQLite's RETURNING names columns without their table, which a subquery there would take for its own: it
    # answers true, and the front is read as before.
    front_untold = (untold_in_front(bindparam("at_office"), TICKET_ROWS.service, bindparam("on_day"),
                                    bindparam("near"), booked_first) if row_locks else true())
    return (update(Ticket.__table__).where(TICKET_ROWS.id == first.scalar_subquery(),
                                           not_paused(bindparam("at_office"), bindparam("to_counter"), row_locks))
            .values(status=CALLED, held_at=None, counter=bindparam("to_counter"), called_at=at,
                    first_called_at=func.coalesce(TICKET_ROWS.first_called_at, at))
            .returning(*TICKET_ROWS, front_untold.label(FRONT_UNTOLD)))


def call_ticket(session: Session, office: OfficeConfig, public_id: str, counter_id: str,
                now: datetime | None = None) -> Ticket:
    """Call a ticket the guide chose (out of turn, or one on hold) to their counter. The ticket's row is locked,
    so when two guides choose the same ticket at once, the second finds it called and gets a Conflict."""
    now = now or utcnow()
    require_open(session, office, counter_id)
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING,), "called")
    service = settings_of(office).service(ticket.service)
    if service is not None and service.seats is not None:
        raise Conflict("wrong_state", f"ticket {ticket.label} waits for a public computer; it gets one by itself")
    _call(session, office, ticket, counter_id, now)
    return ticket


def _call(session: Session, office: OfficeConfig, ticket: Ticket, counter_id: str, now: datetime) -> None:
    # call_next makes the same change in SQL (_claim_statement): keep the two in step.
    ticket.status = CALLED
    ticket.held_at = None
    ticket.counter = counter_id
    ticket.called_at = now
    ticket.first_called_at = ticket.first_called_at or now
    _announce_call(session, office, ticket, now)


def _announce_call(session: Session, office: OfficeConfig, ticket: Ticket, now: datetime,
                   front_untold: bool = True) -> None:
    """``front_untold``: False when the caller knows nobody in the line's front has a phone number not yet told
    (call_next's claim says so), and the front need not be read."""
    publish_called(session, office, ticket, recall=False)
    if front_untold:
        notify_near(session, office, ticket.service, now)


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


def close(session: Session, office: OfficeConfig, ticket: Ticket, status: str, now: datetime) -> None:
    ticket.status = status
    ticket.finished_at = now
    ticket.held_at = None
    ticket.phone = None  # asked for only to text this visitor while waiting
    if status == DONE:
        publish(session, office.id, TicketDone(ticket_id=ticket.public_id, number=ticket.label,
                                               service=ticket.service, outcome=ticket.outcome,
                                               referred_to=ticket.referred_to))
    else:
        event = {NO_SHOW: TicketNoShow, CANCELLED: TicketCancelled}[status]
        publish(session, office.id, event(ticket_id=ticket.public_id, number=ticket.label, service=ticket.service))
    if ticket.seat is not None:
        service = settings_of(office).service(ticket.service)
        if service is not None and service.seats is not None:
            assign_seats(session, office, service, now)


def _check_outcome(office: OfficeConfig, outcome: str | None, referred_to: str | None) -> None:
    if outcome is not None and outcome not in OUTCOMES:
        raise Invalid("invalid_request", f"unknown outcome {outcome!r} (outcomes: {', '.join(OUTCOMES)})",
                      field="outcome")
    if outcome == REFERRED:
        known = [r.id for r in settings_of(office).referrals]
        if referred_to not in known:
            raise Invalid("invalid_request", f"a referral needs referred_to, one of: {', '.join(known) or 'none set'}"
                          f" (got {referred_to!r})", field="referred_to")
    elif referred_to is not None:
        raise Invalid("invalid_request", "referred_to goes only with the outcome 'referred'", field="referred_to")


def done(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None, *,
         outcome: str | None = None, referred_to: str | None = None) -> Ticket:
    """The visit is over; ``outcome`` (one of ``OUTCOMES``) says what came of it, ``referred_to`` to whom a
    referred visitor was sent (one of the office's ``referrals``)."""
    now = now or utcnow()
    _check_outcome(office, outcome, referred_to)
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED, SERVING), "marked done")
    ticket.outcome, ticket.referred_to = outcome, referred_to
    if ticket.started_at is None:  # served straight away without pressing start
        ticket.started_at = ticket.called_at
    close(session, office, ticket, DONE, now)
    return ticket


def no_show(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (CALLED,), "marked as no-show")
    close(session, office, ticket, NO_SHOW, now or utcnow())
    return ticket


def cancel(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING, CALLED), "cancelled")
    close(session, office, ticket, CANCELLED, now)
    notify_near(session, office, ticket.service, now)
    return ticket


def hold(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    """Put a visitor on hold (e.g. filling in a form at a public computer): the ticket waits again in its old
    place, visible to guides, and call-next passes it by until it is resumed or called by choice."""
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING, CALLED, SERVING), "put on hold")
    if ticket.held_at is not None:
        raise Conflict("wrong_state", f"ticket {ticket.label} is already on hold")
    if ticket.seat is not None:
        raise Conflict("wrong_state", f"ticket {ticket.label} is at a public computer; free the computer instead")
    if ticket.status in (CALLED, SERVING):  # the service so far counts; the time on hold will not
        began = ticket.started_at or ticket.called_at  # (done without start counts from the call)
        if began is not None:
            ticket.served_seconds += max(0, int((now - began).total_seconds()))
        ticket.started_at = None
    ticket.status = WAITING
    ticket.held_at = now
    ticket.counter = None
    publish(session, office.id, TicketHeld(ticket_id=ticket.public_id, number=ticket.label, service=ticket.service))
    return ticket


def resume(session: Session, office: OfficeConfig, public_id: str, now: datetime | None = None) -> Ticket:
    """Back in line from hold, in the place it had (its waiting_since never changed)."""
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    if ticket.status != WAITING or ticket.held_at is None:
        raise Conflict("wrong_state", f"ticket {ticket.label} is not on hold; only a ticket on hold is resumed")
    ticket.held_at = None
    publish(session, office.id, TicketResumed(ticket_id=ticket.public_id, number=ticket.label,
                                              service=ticket.service))
    notify_near(session, office, ticket.service, now)
    return ticket


def set_urgent(session: Session, office: OfficeConfig, public_id: str, urgent: bool,
               now: datetime | None = None) -> Ticket:
    """A guide flags a ticket urgent (it comes first and stands out) or takes the flag off."""
    now = now or utcnow()
    ticket = get_ticket(session, office, public_id, lock=True)
    _require(ticket, (WAITING, CALLED, SERVING), "flagged")
    if ticket.urgent != urgent:
        ticket.urgent = urgent
        publish(session, office.id, TicketUrgent(ticket_id=ticket.public_id, number=ticket.label,
                                                 service=ticket.service, urgent=urgent))
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
    ticket.held_at = None
    ticket.counter = None
    ticket.seat = None
    ticket.started_at = None
    ticket.served_seconds = 0  # service times belong to the service that serves the visitor
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
