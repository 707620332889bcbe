"""The queue's tables: tickets, the per-day number counters, and the public computers' seats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, SmallInteger, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, OfficeScoped, UTCDateTime, utcnow

WAITING, CALLED, SERVING, DONE, NO_SHOW, CANCELLED = "waiting", "called", "serving", "done", "no_show", "cancelled"
OPEN_STATUSES = (WAITING, CALLED, SERVING)
CLOSED_STATUSES = (DONE, NO_SHOW, CANCELLED)
# What came of a visit, recorded when the guide marks it done (helped_self_service: the office's egenmakt goal).
HELPED, HELPED_SELF_SERVICE, REFERRED, NO_ERRAND = "helped", "helped_self_service", "referred", "no_errand"
OUTCOMES = (HELPED, HELPED_SELF_SERVICE, REFERRED, NO_ERRAND)
OPEN, PAUSED = "open", "paused"


class Ticket(OfficeScoped, Base):
    __tablename__ = "queue_ticket"
    __table_args__ = (
        UniqueConstraint("office_id", "day", "issued_service", "number"),
        UniqueConstraint("office_id", "idempotency_key"),
        Index("ix_queue_ticket_line", "office_id", "service", "status", "waiting_since"),
    )

    # No index of its own (migration queue_0007): five others begin with it and serve a lookup by office as well,
    # and every index is one more page written for each ticket issued, while SQLite's one writer waits.
    office_id: Mapped[str] = mapped_column(String(64))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The id visitors and integrators see: unguessable, so the phone page needs no login.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    day: Mapped[date] = mapped_column(Date)  # the office's local day of issue
    issued_service: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(64))  # where it waits now (differs after a transfer)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(16))  # "A001"
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16), default="kiosk")
    booked: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Ticket details: erased by the retention purge.
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category_title: Mapped[str | None] = mapped_column(String(200), nullable=True)  # as the staff read it
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # the guide's transfer note
    near_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counter: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    # Stands out on the console and comes first (a guide's flag, or an answer the kiosk marks urgent).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # On hold (still WAITING, keeping its place by waiting_since, but not called by call-next) since then.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    interpreter: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the language asked for
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)  # one of OUTCOMES, set when done
    referred_to: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a referral id from the settings
    transferred_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # of the service going on now
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Service given before the ticket was put on hold (the time on hold is no service): a ticket's service time is
    # finished_at - started_at + served_seconds.
    served_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    details_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# The line in calling order (tickets.line_order, with and without booked visitors first): call-next and the front
# of the line read the first entries instead of sorting every waiting ticket. held_at last: the count of tickets
# ahead of one (tickets.ahead_of, asked for a waiting ticket's place) is then read from the index alone.
_LINE = (Ticket.office_id, Ticket.day, Ticket.service, Ticket.status)
Index("ix_queue_ticket_calling_booked_first", *_LINE, Ticket.urgent.desc(), Ticket.booked.desc(), Ticket.waiting_since,
      Ticket.id, Ticket.held_at)
Index("ix_queue_ticket_calling", *_LINE, Ticket.urgent.desc(), Ticket.waiting_since, Ticket.id, Ticket.held_at)


class WaitingCount(Base):
    """How many tickets wait to be called (not on hold) per line, local day and flags, so that a new ticket's place
    is read from a few rows instead of a count of its whole line. SQLite: kept by triggers on queue_ticket (migration
    queue_0009) and read by tickets.position_of. PostgreSQL: the triggers append to WaitingChange instead, folded in
    here when the line's next ticket is numbered (migration queue_0010), so these lack the changes since then."""

    __tablename__ = "queue_waiting"

    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    booked: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    waiting: Mapped[int] = mapped_column(Integer)


class WaitingChange(Base):
    """PostgreSQL: a change of a line's waiting tickets (+1, -1) not yet in its WaitingCount, appended by a trigger
    on queue_ticket and folded into the counts when the line's next ticket is numbered (migration queue_0010 says
    why). A count row updated by every change would be locked by each until commit, and the calls of one line would
    take turns; appending locks nothing. Empty on SQLite, whose writer has the database anyway."""

    __tablename__ = "queue_waiting_change"
    __table_args__ = (Index("ix_queue_waiting_change_line", "office_id", "day", "service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    service: Mapped[str] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean)
    booked: Mapped[bool] = mapped_column(Boolean)
    change: Mapped[int] = mapped_column(SmallInteger)


class NumberCounter(Base):
    """The last number given per office, service and local day; bumped with one atomic upsert."""

    __tablename__ = "queue_number"

    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Seat(Base):
    """A public computer; its row is locked while seats are handed out, so two processes never share one."""

    __tablename__ = "queue_seat"

    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    seat: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CounterState(Base):
    """Whether a counter is open or paused (a break, or its guide helping in the room); a paused counter is never
    called to. A counter without a row has not been opened or paused yet: it counts as open."""

    __tablename__ = "queue_counter"

    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # OPEN or PAUSED
    since: Mapped[datetime] = mapped_column(UTCDateTime)

