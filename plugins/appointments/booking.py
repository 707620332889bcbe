"""Online booking (no HTTP): the free slots of a bookable service from its booking hours and capacity, booking
one, cancelling through the visitor's link (a booking's .ics file is ``service.ics``). The last place of a slot goes
to exactly one visitor: one conditional UPDATE takes it (PostgreSQL re-checks the condition after a concurrent
writer commits; SQLite has one writer at a time)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.config import WEEKDAYS, OfficeConfig
from core.events import publish
from core.people import Gettext
from core.problems import Conflict, Invalid, NotFound
from plugins.appointments.events import AppointmentCancelled
from plugins.appointments.models import BOOKED, CANCELLED, ONLINE, Appointment, SlotCount
from plugins.appointments.service import NewAppointment, create, settings_of, translations, visitor_links
from plugins.appointments.settings import BookableService

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    free: int


def online_services(office: OfficeConfig) -> list[BookableService]:
    return [s for s in settings_of(office).services if s.online]


def online_service(office: OfficeConfig, service_id: str, language: str) -> BookableService:
    found = next((s for s in online_services(office) if s.id == service_id), None)
    if found is None:
        _ = translations.gettext(language)
        raise NotFound("unknown_service", _("This service cannot be booked online here."))
    return found


def slot_starts(office: OfficeConfig, service: BookableService, day: date) -> list[datetime]:
    """Every slot start of the service on the office's local ``day``, from its booking hours."""
    length = timedelta(minutes=service.slot_minutes)
    starts = []
    for hours in service.hours:
        if WEEKDAYS[day.weekday()] not in hours.days:
            continue
        moment = datetime.combine(day, hours.opens, tzinfo=office.tz)
        closes = datetime.combine(day, hours.closes, tzinfo=office.tz)
        while moment + length <= closes:
            starts.append(moment)
            moment += length
    return sorted(set(starts))


def bookable_days(office: OfficeConfig, service: BookableService, now: datetime) -> list[date]:
    today = now.astimezone(office.tz).date()
    return [day for day in (today + timedelta(days=n) for n in range(service.days_ahead + 1))
            if any(start > now for start in slot_starts(office, service, day))]


def free_slots(session: Session, office: OfficeConfig, service: BookableService, day: date,
               now: datetime) -> list[Slot]:
    """The day's slots still ahead of ``now``, with how many places each has left."""
    starts = [s for s in slot_starts(office, service, day) if s > now]
    if not starts or day not in bookable_days(office, service, now):
        return []
    taken = dict(session.execute(select(SlotCount.start, SlotCount.booked).where(
        SlotCount.office_id == office.id, SlotCount.service_id == service.id, SlotCount.start.in_(starts))).all())
    length = timedelta(minutes=service.slot_minutes)
    slots = [Slot(start, start + length, service.capacity - taken.get(start, 0)) for start in starts]
    return [slot for slot in slots if slot.free > 0]


def _take_place(session: Session, office: OfficeConfig, service: BookableService, start: datetime) -> bool:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(SlotCount).values(office_id=office.id, service_id=service.id, start=start, booked=0)
                    .on_conflict_do_nothing(index_elements=["office_id", "service_id", "start"]))
    taken = session.execute(update(SlotCount).where(
        SlotCount.office_id == office.id, SlotCount.service_id == service.id, SlotCount.start == start,
        SlotCount.booked < service.capacity).values(booked=SlotCount.booked + 1))
    return taken.rowcount == 1


@dataclass(frozen=True)
class Booking:
    service_id: str
    start: datetime
    first_name: str
    language: str
    email: str | None = None
    phone: str | None = None


def check_contact(email: str | None, phone: str | None, _: Gettext) -> None:
    """The e-mail address and the phone number, each where given, look like one (``_``: the reader's language)."""
    if email and not EMAIL.match(email) or phone and not PHONE.match(phone):
        raise Invalid("contact", _("Please check the phone number or the e-mail address."))


def book(session: Session, office: OfficeConfig, booking: Booking, now: datetime, base_url: str) -> Appointment:
    """Book a place in a slot for a visitor (no account): a first name and a phone number or e-mail address for
    the confirmation, which ``appointment.booked`` carries with the cancel and .ics links and what to bring."""
    _ = translations.gettext(booking.language)
    service = online_service(office, booking.service_id, booking.language)
    first_name = " ".join(booking.first_name.split())
    if not first_name or len(first_name) > 60:
        raise Invalid("first_name", _("Please write your first name."))
    if not (booking.email or booking.phone):
        raise Invalid("contact", _("Please give a phone number or an e-mail address for the "
                                                 "confirmation."))
    check_contact(booking.email, booking.phone, _)
    start = booking.start.astimezone(office.tz)
    day = start.date()
    if start <= now or start not in slot_starts(office, service, day) or day not in bookable_days(office, service,
                                                                                                  now):
        raise Invalid("not_a_slot", _("That time cannot be booked. Please choose one of the times "
                                                    "shown."))
    if not _take_place(session, office, service, start):
        raise Conflict("slot_full", _("Someone else just booked the last place at that time. "
                                                   "Please choose another time."))
    token = secrets.token_urlsafe(24)
    return create(session, office, NewAppointment(
        start=start, end=start + timedelta(minutes=service.slot_minutes), service_id=service.id,
        first_name=first_name, email=booking.email, phone=booking.phone, language=booking.language, source=ONLINE,
        cancel_token=token), now=now, _=_, **visitor_links(base_url, office, token, booking.language))


def by_token(session: Session, office: OfficeConfig, token: str, language: str) -> Appointment:
    found = session.scalar(select(Appointment).where(Appointment.office_id == office.id,
                                                     Appointment.cancel_token == token)) if token else None
    if found is None:
        _ = translations.gettext(language)
        raise NotFound("unknown_booking", _("We cannot find that booking. It may already have "
                                                         "passed."))
    return found


def cancel(session: Session, office: OfficeConfig, token: str, language: str, now: datetime) -> Appointment:
    """The visitor cancels through the link in the confirmation: the place is given back to the slot."""
    appointment = by_token(session, office, token, language)
    if appointment.status == CANCELLED:
        return appointment
    if appointment.status != BOOKED or appointment.start <= now:
        _ = translations.gettext(language)
        raise Conflict("not_cancellable", _("This booking can no longer be cancelled here. Please "
                                                         "call or ask at the office."))
    appointment.status, appointment.closed_at, appointment.updated_at = CANCELLED, now, now
    session.execute(update(SlotCount).where(
        SlotCount.office_id == office.id, SlotCount.service_id == appointment.service_id,
        SlotCount.start == appointment.start, SlotCount.booked > 0).values(booked=SlotCount.booked - 1))
    publish(session, office.id, AppointmentCancelled(appointment_id=appointment.id, officer_id=appointment.officer_id,
                                                     unit_id=appointment.unit_id, start=appointment.start.isoformat()))
    return appointment
