"""Tables of the notify plugin: the message queue (also the delivery log) and visitors' phone numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, OfficeScoped, UTCDateTime, utcnow

# pending → sending → sent (→ delivered, from the SMS provider's report); a failure goes back to pending
# until the attempts run out (failed). cancelled: the visitor's ticket ended before the message went.
STATUSES = ("pending", "sending", "sent", "delivered", "failed", "cancelled")


class NotifyMessage(OfficeScoped, Base):
    """One message to one recipient. Address and content are cleared once sent (the log keeps the rest)."""

    __tablename__ = "notify_message"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_notify_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # event id : rule index : recipient: the same event handled twice never makes a second message.
    idempotency_key: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_type: Mapped[str] = mapped_column(String(64))
    rule_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(64))
    # "officer:<id>", "unit:<id>" or "visitor": who, without their address.
    recipient: Mapped[str] = mapped_column(String(100))
    ticket_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # The arrival the message is about (from the event): its outcome is published as message.sent/failed.
    arrival_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The booked appointment a message to its visitor is about (confirmation, reminder): cancelled if still queued
    # when the appointment is cancelled or moved.
    appointment_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    language: Mapped[str] = mapped_column(String(16))
    # What an e-mail about a booking shows as a QR code (its booking code, for the kiosk's scanner); cleared with
    # the text once sent.
    qr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The booking's .ics file (iCalendar text from the event) an e-mail confirmation attaches; cleared likewise.
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Never personal data: an HTTP status, an SMTP code, an exception class.
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotifyContact(OfficeScoped, Base):
    """A visitor's phone number for a ticket, deleted when the ticket ends (or by retention)."""

    __tablename__ = "notify_contact"
    __table_args__ = (UniqueConstraint("office_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
