"""The appointments plugin's tables: appointments (with their booking codes), calendar feeds' sync state,
online-booking slot counters and the reminders already sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, OfficeScoped, UTCDateTime, utcnow
from core.i18n import N_

BOOKED, ARRIVED, SEEN, NO_SHOW, CANCELLED = "booked", "arrived", "seen", "no_show", "cancelled"
STATUSES = (BOOKED, ARRIVED, SEEN, NO_SHOW, CANCELLED)
# what staff read for each (translated where shown)
STATUS_LABELS = {BOOKED: N_("expected"), ARRIVED: N_("arrived"), SEEN: N_("seen"), NO_SHOW: N_("no-show"),
                 CANCELLED: N_("cancelled")}
STAFF, IMPORT, ICS, CALDAV, ONLINE = "staff", "import", "ics", "caldav", "online"
SOURCES = (STAFF, IMPORT, ICS, CALDAV, ONLINE)


class Appointment(OfficeScoped, Base):
    """A booked meeting with an officer, a unit or a service. A private calendar event is kept as busy time
    (``busy``): no code, no title, nobody arrives for it. Visitors' names and contacts are erased by the purge."""

    __tablename__ = "appointments_appointment"
    __table_args__ = (
        UniqueConstraint("office_id", "code"),
        UniqueConstraint("office_id", "calendar", "external_id"),
        Index("ix_appointments_appointment_day", "office_id", "start"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str | None] = mapped_column(String(12), nullable=True)  # None for busy time
    officer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=BOOKED)
    source: Mapped[str] = mapped_column(String(16), default=STAFF)
    busy: Mapped[bool] = mapped_column(Boolean, default=False)
    # Imported events: which configured calendar, and the event's UID plus its occurrence (stable across syncs).
    calendar: Mapped[str | None] = mapped_column(String(140), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # The visitor (purged the day after the meeting): a first name, a contact for confirmations and reminders.
    first_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # A secret for the visitor's cancel link (online bookings only).
    cancel_token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # seen, no-show or cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Feed(OfficeScoped, Base):
    """The sync state of one configured calendar: when it last answered, and why it did not."""

    __tablename__ = "appointments_feed"
    __table_args__ = (UniqueConstraint("office_id", "calendar"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    calendar: Mapped[str] = mapped_column(String(140))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Who syncs now (several processes): a lease, so that one feed is fetched by one process at a time.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # An ICS feed's validators from its last applied copy (ETag, Last-Modified), and the import window that copy
    # was applied to: the next fetch asks "changed since?" only while the window is the same.
    etag: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SlotCount(OfficeScoped, Base):
    """How many online bookings one slot of a service holds: bumped only while below the capacity, in one
    conditional UPDATE, so that the last place of a slot is never given twice."""

    __tablename__ = "appointments_slot"
    __table_args__ = (UniqueConstraint("office_id", "service_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class ReminderSent(OfficeScoped, Base):
    """A reminder published for an appointment at one offset: each is sent once."""

    __tablename__ = "appointments_reminder"
    __table_args__ = (UniqueConstraint("appointment_id", "minutes_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appointment_id: Mapped[str] = mapped_column(String(32), index=True)
    minutes_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateCount(OfficeScoped, Base):
    """Online booking attempts per visitor address and hour, for the public page's rate limit. The address is
    kept only as a keyed hash, and rows are purged the next day."""

    __tablename__ = "appointments_rate"
    __table_args__ = (UniqueConstraint("office_id", "client", "hour"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
