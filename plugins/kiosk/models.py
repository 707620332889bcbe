"""The kiosk's tables: arrivals (minimal, purged), anonymous usage counts, idempotency keys, printer states."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, OfficeScoped, UTCDateTime, utcnow


class Arrival(OfficeScoped, Base):
    """A visitor announced for a booked meeting. Deleted after the office's retention period."""

    __tablename__ = "kiosk_arrival"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    officer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # What became of the message to the officer: pending | sent | failed | acknowledged | none (nobody can tell
    # them). Learnt from other plugins' message events, never from their tables.
    notification: Mapped[str] = mapped_column(String(16), default="pending")
    # Set once when nobody was told in time: the fallback was asked and guides see the visitor waiting.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # The officer answered "I am coming" (the link works once).
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UsageCount(OfficeScoped, Base):
    """How often a choice (and guide) was used on a day in a language. No person, device or time of day."""

    __tablename__ = "kiosk_usage"
    __table_args__ = (UniqueConstraint("office_id", "day", "language", "choice", "guide"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    choice: Mapped[str] = mapped_column(String(64))
    guide: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(OfficeScoped, Base):
    """A request key a kiosk screen sent with its POST: the same key always gets the first answer."""

    __tablename__ = "kiosk_idempotency"
    __table_args__ = (UniqueConstraint("office_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PrinterState(OfficeScoped, Base):
    """What the receipt printer beside a kiosk device answered last time a ticket was printed on it (in the
    database, so that every server process and the staff pages see the same)."""

    __tablename__ = "kiosk_printer_state"
    __table_args__ = (UniqueConstraint("office_id", "device"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device: Mapped[str] = mapped_column(String(100))
    # ready | paper_low | paper_out | offline (see printing.PrinterStatus)
    state: Mapped[str] = mapped_column(String(16))
    # When the printer came into this state, and when it was last asked.
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
