"""The waiting line: its calling order, a ticket's position, finding tickets, and the announcements the line
makes as it moves (a ticket called, a visitor near the front).

Every function works inside the caller's session and filters by office.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from core.config import OfficeConfig
from core.db import is_postgres, locked, utcnow
from core.events import publish
from core.problems import NotFound
from plugins.queue.events import TicketCalled, TicketNear
from plugins.queue.i18n import translations
from plugins.queue.models import CALLED, SERVING, WAITING, Ticket, WaitingCount
from plugins.queue.settings import QueueSettings, settings_of


def local_day(office: OfficeConfig, now: datetime) -> date:
    return now.astimezone(office.tz).date()


def _flags_first(settings: QueueSettings) -> list[Any]:
    """The flags that put a ticket before others, most important first: urgent, then booked (if the office
    calls booked visitors first)."""
    return _line_flags(settings.booked_first)


# The ticket table's columns, for statements built once for the hot paths and run as Core statements: they skip
# the ORM's work on every execution (py-spy: a select through the ORM cost about twice as much there). Such a
# caller flushes first, as the ORM's autoflush would. ``columns`` below: these, or the Ticket entity.
TICKET_ROWS = Ticket.__table__.c


def _line_flags(booked_first: bool, columns: Any = Ticket) -> list[Any]:
    return [columns.urgent, *([columns.booked] if booked_first else [])]


def line_order(settings: QueueSettings) -> list[Any]:
    return calling_order(settings.booked_first)


def calling_order(booked_first: bool, columns: Any = Ticket) -> list[Any]:
    """``line_order`` by the one setting it depends on, for statements built once per shape."""
    return [*(flag.desc() for flag in _line_flags(booked_first, columns)), columns.waiting_since, columns.id]


def waiting_in(office_id: Any, services: Iterable[Any] | BindParameter[Any], day: Any, columns: Any = Ticket) -> Any:
    """Tickets waiting to be called in these lines on this local day (the lines start empty every morning);
    tickets on hold keep their place but are not called, so they are not in it. ``services`` may be an expanding
    bind parameter."""
    lines = services if isinstance(services, BindParameter) else list(services)
    return and_(columns.office_id == office_id, columns.day == day, columns.service.in_(lines),
                columns.status == WAITING, columns.held_at.is_(None))


def position_of(session: Session, office: OfficeConfig, ticket: Ticket, *, newest: bool = False) -> int:
    """1 for the next to be called; 0 when the ticket no longer waits. ``line_order`` as a condition. The ticket
    may be one not written yet: then its place if it were written now. ``newest``: a ticket just written and
    waiting (issued), at or near the back of its line: on SQLite its place is read from the line's waiting counts
    (models.WaitingCount) less the few tickets behind it, instead of counting every ticket ahead."""
    if ticket.status != WAITING:
        return 0
    session.flush()
    values = {"office_id": office.id, "service": ticket.service, "day": ticket.day,
              "waiting_since": ticket.waiting_since, "id": ticket.id}
    if newest and ticket.id is not None and ticket.held_at is None and not is_postgres(session):
        flags = tuple(flag.key for flag in _flags_first(settings_of(office)))
        statement = _place_from_counts(flags, tuple(bool(getattr(ticket, flag)) for flag in flags))
        return session.scalar(statement, {**values, **{flag: getattr(ticket, flag) for flag in flags}})
    return (session.scalar(ahead_of(office, ticket), values) or 0) + 1


def ahead_of(office: OfficeConfig, ticket: Ticket) -> Any:
    """The count of tickets ahead of a waiting one, as a statement built once per shape: its parameters are the
    ticket's office_id, service, day, waiting_since and (once written) id."""
    flags = tuple(flag.key for flag in _flags_first(settings_of(office)))
    return _ahead_statement(flags, tuple(bool(getattr(ticket, flag)) for flag in flags), ticket.id is not None)


@functools.lru_cache(maxsize=32)
def _ahead_statement(flags: tuple[str, ...], flagged: tuple[bool, ...], written: bool) -> Any:
    """The count of tickets ahead of one, built once per shape (it is asked on every ticket issued). A sum of counts
    of ranges of the calling-order index, one per way to be ahead (a flag the ticket lacks, then the same flags and
    an earlier wait): each range is counted from the index alone, instead of testing every waiting ticket against
    one condition (SQLite, 4,000 waiting: 0.5 against 1.5 ms of CPU)."""
    since = bindparam("waiting_since", type_=TICKET_ROWS.waiting_since.type)
    ways, same_flags = [], []
    for flag, is_set in zip(flags, flagged, strict=True):
        column = TICKET_ROWS[flag]
        if not is_set:  # every ticket with this flag (and the same more important ones) is ahead of it
            ways.append(and_(*same_flags, column.is_(True)))
        same_flags.append(column.is_(is_set))
    if written:
        ways += [and_(*same_flags, TICKET_ROWS.waiting_since < since),
                 and_(*same_flags, TICKET_ROWS.waiting_since == since, TICKET_ROWS.id < bindparam("id"))]
    else:  # a ticket not written yet (no id) would come after every ticket that waits since the same moment
        ways.append(and_(*same_flags, TICKET_ROWS.waiting_since <= since))
    line = waiting_in(bindparam("office_id"), [bindparam("service")], bindparam("day"), TICKET_ROWS)
    counts = [select(func.count()).select_from(Ticket.__table__).where(line, way).scalar_subquery() for way in ways]
    return select(functools.reduce(operator.add, counts))


@functools.lru_cache(maxsize=32)
def _place_from_counts(flags: tuple[str, ...], flagged: tuple[bool, ...]) -> Any:
    """A waiting ticket's place, as a statement built once per shape: every ticket waiting in its line whose flags
    come first or are the same (the waiting counts, which count the ticket itself), less those with the same flags
    that wait since later or, since the same moment, were written later (a range at the end of the calling-order
    index: none or a few behind a ticket just issued)."""
    counts = WaitingCount.__table__.c
    first_or_same = tuple_(*(counts[flag] for flag in flags)) >= tuple_(*(bindparam(flag) for flag in flags))
    counted_first_or_same = and_(counts.office_id == bindparam("office_id"), counts.day == bindparam("day"),
                                 counts.service == bindparam("service"), first_or_same)
    since = bindparam("waiting_since", type_=TICKET_ROWS.waiting_since.type)
    same_flags = [TICKET_ROWS[flag].is_(is_set) for flag, is_set in zip(flags, flagged, strict=True)]
    line = waiting_in(bindparam("office_id"), [bindparam("service")], bindparam("day"), TICKET_ROWS)
    behind = [select(func.count()).select_from(Ticket.__table__).where(line, *same_flags, way).scalar_subquery()
              for way in (TICKET_ROWS.waiting_since > since,
                          and_(TICKET_ROWS.waiting_since == since, TICKET_ROWS.id > bindparam("id")))]
    waiting = select(func.coalesce(func.sum(counts.waiting), 0)).where(counted_first_or_same).scalar_subquery()
    return select(waiting - behind[0] - behind[1])


def waiting_counts(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    """Tickets waiting to be called per service (not those on hold)."""
    rows = session.execute(select(Ticket.service, func.count()).where(
        Ticket.office_id == office.id, Ticket.day == local_day(office, now), Ticket.status == WAITING,
        Ticket.held_at.is_(None)).group_by(Ticket.service)).all()
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
    """Today's waiting (on hold too), called and serving tickets in calling order, for the guide console."""
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
    """Publish ``ticket.near`` once for each waiting ticket with a phone number that is now near the front.

    The front is read as a few columns with a Core statement, not as tickets (it is read on every call); those
    to tell are marked told with one UPDATE that passes by a ticket a concurrent transaction marked first
    (PostgreSQL checks the condition again once that one commits), so nobody is told twice. The mark is not
    synchronised into the session: nothing reads ``near_notified_at`` back in the same transaction."""
    settings = settings_of(office)
    session.flush()
    front = session.execute(_front_statement(settings.booked_first), {
        "office_id": office.id, "service": service_id, "day": local_day(office, now),
        "near": settings.near_position}).all()
    to_tell = {row.id: (position, row) for position, row in enumerate(front, start=1)
               if row.phone and row.near_notified_at is None}
    if not to_tell:
        return
    told = session.scalars(update(Ticket.__table__).where(TICKET_ROWS.id.in_(list(to_tell)),
                                                          TICKET_ROWS.near_notified_at.is_(None))
                           .values(near_notified_at=now).returning(TICKET_ROWS.id)).all()
    for position, row in sorted(to_tell[ticket_id] for ticket_id in told):
        publish(session, office.id, TicketNear(ticket_id=row.public_id, number=row.label, service=service_id,
                                               position=position, phone=row.phone, language=row.language))


def untold_in_front(office_id: Any, service: Any, day: Any, near: Any, booked_first: bool) -> Any:
    """Whether a waiting ticket with a phone number not yet told is among the first ``near`` + 1 of a line: a
    condition for a statement of the caller's (the values may be bind parameters or the caller's columns), which
    ``notify_near`` need not run without (it is none in most lines, and the read of the front cost a round trip
    on every call). One more than ``near``: a statement that moves the line (a call) may see the line as it was
    before its change, with the called ticket still at the front; so it may say yes where the front has nobody
    to tell, never no where it has."""
    front_rows = Ticket.__table__.alias("front_ticket")
    front = (select(front_rows.c.phone, front_rows.c.near_notified_at)
             .where(waiting_in(office_id, [service], day, front_rows.c))
             .order_by(*calling_order(booked_first, front_rows.c)).limit(near + 1)
             .correlate_except(front_rows).subquery("front"))
    return exists().select_from(front).where(front.c.phone.is_not(None), front.c.near_notified_at.is_(None))


@functools.lru_cache(maxsize=4)
def _front_statement(booked_first: bool) -> Any:
    """The first ``near`` tickets of a line, in calling order, as the columns ``notify_near`` needs; built once
    per line order."""
    line = waiting_in(bindparam("office_id"), [bindparam("service")], bindparam("day"), TICKET_ROWS)
    return (select(TICKET_ROWS.id, TICKET_ROWS.public_id, TICKET_ROWS.label, TICKET_ROWS.phone, TICKET_ROWS.language,
                   TICKET_ROWS.near_notified_at)
            .where(line).order_by(*calling_order(booked_first, TICKET_ROWS)).limit(bindparam("near")))
