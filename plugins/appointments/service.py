"""Appointments domain logic (no HTTP): booking codes, staff-entered appointments, the day's list, moving,
cancelling and closing, and the settings checks. Calendar import is in sync.py, online booking in booking.py."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import OfficeConfig, env_secret
from core.db import utcnow
from core.events import publish
from core.i18n import Translator
from core.people import Gettext, untranslated
from core.problems import Conflict, Invalid, NotFound, Unavailable
from plugins.appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentClosed,
    AppointmentMoved,
)
from plugins.appointments.models import (
    ARRIVED,
    BOOKED,
    CANCELLED,
    NO_SHOW,
    SEEN,
    SOURCES,
    STAFF,
    STATUS_LABELS,
    Appointment,
    ReminderSent,
)
from plugins.appointments.settings import AppointmentsSettings

HERE = Path(__file__).resolve().parent
translations = Translator([HERE / "locale"])
CODE_DIGITS = 6
CODE_ATTEMPTS = 20
MAX_MEETING = timedelta(hours=12)
# Which status may follow which (staff marks; arrivals come from the kiosk).
TRANSITIONS = {BOOKED: {ARRIVED, SEEN, NO_SHOW, CANCELLED}, ARRIVED: {SEEN, NO_SHOW, CANCELLED},
               SEEN: set(), NO_SHOW: {SEEN}, CANCELLED: set()}


def settings_of(office: OfficeConfig) -> AppointmentsSettings:
    return office.settings_for("appointments") or AppointmentsSettings()


def local_day_bounds(office: OfficeConfig, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the office's local day begins and ends (23 or 25 hours on a DST change)."""
    try:
        start = datetime.combine(day, time(0), tzinfo=office.tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=office.tz).astimezone(UTC)
    except OverflowError:  # the first and last days of the calendar (year 1, year 9999) reach past it in UTC
        raise Invalid("invalid_date", f"{day.isoformat()}: no day so far from today is kept") from None
    return start, end


def local_today(office: OfficeConfig, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(office.tz).date()


# --- Booking codes ------------------------------------------------------------------------------------


def _code_candidates() -> Iterator[str]:
    """Six digits: typed on the kiosk's number pad, read over the phone, never an O mistaken for a 0."""
    for _ in range(CODE_ATTEMPTS):
        yield f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def add_with_code(session: Session, appointment: Appointment, _: Gettext = untranslated) -> Appointment:
    """Add an appointment with a booking code not used at its office. The unique index settles a race between
    two processes picking the same code: the loser tries another inside its own savepoint. ``_``: the language
    of the problem when no code is free."""
    for code in _code_candidates():
        taken = session.scalar(select(Appointment.id).where(Appointment.office_id == appointment.office_id,
                                                            Appointment.code == code))
        if taken is not None:
            continue
        appointment.code = code
        try:
            with session.begin_nested():
                session.add(appointment)
                session.flush()
            return appointment
        except IntegrityError:  # the savepoint's rollback took the pending row out of the session
            continue
    raise Unavailable("no_code", _("No free booking code was found; try again."))


def add_all_with_codes(session: Session, office_id: str, rows: list[Appointment], _: Gettext = untranslated) -> None:
    """Add many appointments at once (a calendar import): the office's codes read in one query, new ones drawn
    in memory, one flush. If a concurrent process took one of the drawn codes meanwhile (the unique index says
    so), each row is added on its own instead."""
    if not rows:
        return
    taken = set(session.scalars(select(Appointment.code).where(Appointment.office_id == office_id,
                                                               Appointment.code.is_not(None))))
    for row in rows:
        code = next((c for c in _code_candidates() if c not in taken), None)
        if code is None:
            raise Unavailable("no_code", _("No free booking code was found; try again."))
        row.code = code
        taken.add(code)
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        for row in rows:
            add_with_code(session, row, _)


def find_by_code(session: Session, office: OfficeConfig, code: str) -> Appointment | None:
    code = "".join(code.split())
    if not code.isdigit() or len(code) != CODE_DIGITS:
        return None
    return session.scalar(select(Appointment).where(Appointment.office_id == office.id, Appointment.code == code))


# --- Staff-entered appointments -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewAppointment:
    start: datetime
    end: datetime
    officer_id: str | None = None
    unit_id: str | None = None
    service_id: str | None = None
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    source: str = STAFF
    cancel_token: str | None = None  # the visitor's cancel link (online bookings)


def check_times(start: datetime, end: datetime, _: Gettext = untranslated) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("invalid_time", _("start and end need a time zone (e.g. 2026-05-04T10:00+02:00)"))
    if end <= start:
        raise Invalid("invalid_time", _("end must be after start"))
    if end - start > MAX_MEETING:
        raise Invalid("invalid_time", _("a meeting lasts at most 12 hours"))


def check_owner(office: OfficeConfig, officer_id: str | None, unit_id: str | None, service_id: str | None,
                _: Gettext = untranslated) -> None:
    """The officer, unit or service a meeting is with exists at the office (``_``: the reader's translation)."""
    if officer_id is None and unit_id is None and service_id is None:
        raise Invalid("no_owner", _("name the officer, the unit or the service the meeting is with"))
    if officer_id is not None and office.directory.officer(officer_id) is None:
        known = ", ".join(o.id for o in office.directory.officers) or _("none")
        raise Invalid("unknown_officer", _("no officer %(officer)s at this office (officers: %(known)s)",
                                           officer=repr(officer_id), known=known))
    if unit_id is not None and office.directory.unit(unit_id) is None:
        known = ", ".join(u.id for u in office.directory.units) or _("none")
        raise Invalid("unknown_unit", _("no unit %(unit)s at this office (units: %(known)s)",
                                        unit=repr(unit_id), known=known))
    if service_id is not None and settings_of(office).service(service_id) is None:
        known = ", ".join(s.id for s in settings_of(office).services) or _("none")
        raise Invalid("unknown_service", _("no service %(service)s at this office (services: %(known)s)",
                                           service=repr(service_id), known=known))


def visitor_links(base_url: str | None, office: OfficeConfig, token: str | None,
                  language: str) -> dict[str, str | None]:
    """The links a visitor's messages carry for a booking made online (it has a cancel token): the cancel page
    and the .ics file, under the platform's public ``base_url``."""
    if not base_url or not token:
        return {"cancel_url": None, "ics_url": None}
    root = f"{base_url.rstrip('/')}/{office.id}/appointments"
    return {"cancel_url": f"{root}/cancel/{token}?lang={language}", "ics_url": f"{root}/booking/{token}.ics"}


def clean_first_name(raw: str | None) -> str | None:
    name = " ".join((raw or "").split())[:60]
    return name or None


def create(session: Session, office: OfficeConfig, new: NewAppointment, now: datetime | None = None,
           _: Gettext = untranslated, **links: str | None) -> Appointment:
    """A new appointment with its booking code; publishes ``appointment.booked`` (``links``: what the visitor's
    confirmation carries, for online bookings). Problems are in the reader's language (``_``)."""
    check_times(new.start, new.end, _)
    if new.source not in SOURCES:
        raise Invalid("invalid_source", f"unknown source {new.source!r}")
    service = settings_of(office).service(new.service_id) if new.service_id else None
    officer_id = new.officer_id or (service.officer if service else None)
    unit_id = new.unit_id or (service.unit if service else None)
    check_owner(office, officer_id, unit_id, new.service_id, _)
    if unit_id is None and officer_id is not None:
        unit_id = office.directory.officer(officer_id).unit  # type: ignore[union-attr]
    now = now or utcnow()
    language = new.language if new.language in office.languages else None
    appointment = add_with_code(session, Appointment(
        id=uuid.uuid4().hex, office_id=office.id, officer_id=officer_id, unit_id=unit_id, service_id=new.service_id,
        start=new.start, end=new.end, status=BOOKED, source=new.source, busy=False,
        first_name=clean_first_name(new.first_name), email=new.email or None, phone=new.phone or None,
        language=language, cancel_token=new.cancel_token, created_at=now, updated_at=now), _)
    bring = service.bring.get_text(language or office.default_language) if service and service.bring else None
    publish(session, office.id, AppointmentBooked(
        appointment_id=appointment.id, code=appointment.code or "", officer_id=officer_id, unit_id=unit_id,
        service_id=new.service_id, start=new.start.isoformat(), end=new.end.isoformat(), source=new.source,
        language=language, first_name=appointment.first_name, email=appointment.email, phone=appointment.phone,
        bring=bring, ics=ics_to_attach(office, appointment, language or office.default_language), **links))
    return appointment


def ics(office: OfficeConfig, appointment: Appointment, language: str) -> bytes:
    """The booking as an iCalendar file for the visitor's own calendar (written by icalendar): served on the
    booking's page and attached to the confirmation e-mail."""
    _ = translations.gettext(language)
    service = settings_of(office).service(appointment.service_id or "")
    name = service.name.get_text(language) if service else office.name.get_text(language)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//medborgarkontor//appointments//EN")
    calendar.add("VERSION", "2.0")
    calendar.add("METHOD", "PUBLISH")
    event = icalendar.Event()
    event.add("UID", f"{appointment.id}@{office.id}.medborgarkontor")
    event.add("DTSTAMP", appointment.created_at)
    event.add("DTSTART", appointment.start)
    event.add("DTEND", appointment.end)
    event.add("SUMMARY", f"{name} · {office.name.get_text(language)}")
    lines = [_("Booking code: %(code)s", code=appointment.code)]
    if service and service.bring:
        lines.append(_("Bring: %(what)s", what=service.bring.get_text(language)))
    event.add("DESCRIPTION", "\n".join(lines))
    if office.address:
        event.add("LOCATION", office.address)
    if appointment.status == CANCELLED:
        event.add("STATUS", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def ics_to_attach(office: OfficeConfig, appointment: Appointment, language: str) -> str | None:
    """The booking's .ics file (text) for the messages that tell its visitor the time (confirmation, reminders):
    attached to an e-mail, so there is one only for a visitor who gave an e-mail address."""
    return ics(office, appointment, language).decode() if appointment.email else None


def get(session: Session, office: OfficeConfig, appointment_id: str, _: Gettext = untranslated) -> Appointment:
    found = session.scalar(select(Appointment).where(Appointment.office_id == office.id,
                                                     Appointment.id == appointment_id))
    if found is None:
        raise NotFound("unknown_appointment", _("no appointment %(appointment)s at this office",
                                                appointment=repr(appointment_id)))
    return found


def day_list(session: Session, office: OfficeConfig, day: date, *, officer_id: str | None = None,
             unit_id: str | None = None, include_busy: bool = False) -> list[Appointment]:
    """The office's appointments starting on its local ``day``, by start time."""
    start, end = local_day_bounds(office, day)
    query = select(Appointment).where(Appointment.office_id == office.id, Appointment.start >= start,
                                      Appointment.start < end)
    if not include_busy:
        query = query.where(Appointment.busy.is_(False))
    if officer_id is not None:
        query = query.where(Appointment.officer_id == officer_id)
    if unit_id is not None:
        query = query.where(Appointment.unit_id == unit_id)
    return list(session.scalars(query.order_by(Appointment.start, Appointment.id)))


def _imported(appointment: Appointment) -> bool:
    return appointment.calendar is not None


def move(session: Session, office: OfficeConfig, appointment_id: str, start: datetime, end: datetime,
         now: datetime | None = None, _: Gettext = untranslated) -> Appointment:
    """Staff move a booked meeting to a new time (problems in the reader's language, ``_``)."""
    appointment = get(session, office, appointment_id, _)
    check_times(start, end, _)
    if _imported(appointment):
        raise Conflict("imported", _("this meeting comes from a calendar: move it in the calendar"))
    if appointment.status != BOOKED:
        raise Conflict("not_booked", _("a meeting that is %(status)s cannot be moved",
                                       status=_(STATUS_LABELS[appointment.status])))
    appointment.start, appointment.end, appointment.updated_at = start, end, now or utcnow()
    # reminders are due again for the new time (notify cancels what is still queued with the old one)
    session.execute(delete(ReminderSent).where(ReminderSent.office_id == office.id,
                                               ReminderSent.appointment_id == appointment.id))
    publish(session, office.id, AppointmentMoved(appointment_id=appointment.id, officer_id=appointment.officer_id,
                                                 unit_id=appointment.unit_id, start=start.isoformat(),
                                                 end=end.isoformat()))
    return appointment


def set_status(session: Session, office: OfficeConfig, appointment_id: str, status: str,
               now: datetime | None = None, _: Gettext = untranslated) -> Appointment:
    """Cancel, or mark seen or no-show (staff); the kiosk's arrival goes through ``arrival.mark_arrived``.
    Problems are in the reader's language (``_``)."""
    appointment = get(session, office, appointment_id, _)
    if status == appointment.status:
        return appointment
    if status not in TRANSITIONS.get(appointment.status, set()) or status == ARRIVED:
        raise Conflict("invalid_transition", _("a meeting that is %(status)s cannot become %(new)s",
                                               status=_(STATUS_LABELS[appointment.status]),
                                               new=_(STATUS_LABELS.get(status, status))))
    if status == CANCELLED and _imported(appointment):
        raise Conflict("imported", _("this meeting comes from a calendar: cancel it in the calendar"))
    now = now or utcnow()
    appointment.status, appointment.closed_at, appointment.updated_at = status, now, now
    if status == CANCELLED:
        publish(session, office.id, AppointmentCancelled(appointment_id=appointment.id,
                                                         officer_id=appointment.officer_id,
                                                         unit_id=appointment.unit_id,
                                                         start=appointment.start.isoformat()))
    else:
        publish(session, office.id, AppointmentClosed(appointment_id=appointment.id, officer_id=appointment.officer_id,
                                                      unit_id=appointment.unit_id, status=status))
    return appointment


# --- Settings checks that the model cannot make alone -------------------------------------------------


def validate(office: OfficeConfig) -> list[tuple[str, str]]:
    """(key path under plugins.appointments, problem): unknown officers and units, credentials unnamed or unset."""
    settings = settings_of(office)
    officers = {o.id for o in office.directory.officers}
    units = {u.id for u in office.directory.units}
    problems: list[tuple[str, str]] = []

    def owner(path: str, officer: str | None, unit: str | None) -> None:
        if officer is not None and officer not in officers:
            problems.append((f"{path}.officer", f"unknown officer {officer!r} (directory: "
                                                f"{', '.join(sorted(officers)) or 'no officers'})"))
        if unit is not None and unit not in units:
            problems.append((f"{path}.unit", f"unknown unit {unit!r} (directory: "
                                             f"{', '.join(sorted(units)) or 'no units'})"))

    seen: dict[str, int] = {}
    for i, calendar in enumerate(settings.calendars):
        owner(f"calendars[{i}]", calendar.officer, calendar.unit)
        if calendar.key in seen:
            problems.append((f"calendars[{i}].url", f"the same calendar as calendars[{seen[calendar.key]}]"))
        seen.setdefault(calendar.key, i)
        if calendar.password_env and not env_secret(calendar.password_env):
            problems.append((f"calendars[{i}].password_env",
                             f"environment variable {calendar.password_env} is not set"))
    for i, service in enumerate(settings.services):
        owner(f"services[{i}]", service.officer, service.unit)
    return [(f"plugins.appointments.{path}", message) for path, message in problems]
