"""Arrival at the kiosk: find today's appointment by booking code (or officer and time) within the office's
arrival window, and mark it arrived when the kiosk's ``visitor.arrived`` event names it. No HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.events import Event, publish
from core.hookspecs import AppointmentMatch, AppointmentQuery
from plugins.appointments.events import AppointmentArrived
from plugins.appointments.models import ARRIVED, BOOKED, CANCELLED, Appointment
from plugins.appointments.service import (
    day_list,
    find_by_code,
    local_today,
    settings_of,
    translations,
)


def _local_time(office: OfficeConfig, moment: datetime) -> str:
    return moment.astimezone(office.tz).strftime("%H:%M")


def _match(office: OfficeConfig, appointment: Appointment) -> AppointmentMatch:
    service = settings_of(office).service(appointment.service_id) if appointment.service_id else None
    return AppointmentMatch(appointment_id=appointment.id, officer_id=appointment.officer_id,
                            unit_id=appointment.unit_id, start=appointment.start, end=appointment.end,
                            ticket_service=service.queue_service if service else None)


def _window(office: OfficeConfig, appointment: Appointment) -> tuple[datetime, datetime]:
    arrival = settings_of(office).arrival
    return (appointment.start - timedelta(minutes=arrival.early_minutes),
            appointment.start + timedelta(minutes=arrival.late_minutes))


def by_code(session: Session, office: OfficeConfig, code: str, language: str, now: datetime) -> AppointmentMatch:
    """The meeting a booking code belongs to, if the visitor may arrive for it now; else why not."""
    _ = translations.gettext(language)
    appointment = find_by_code(session, office, code)
    if appointment is None or appointment.busy:
        return AppointmentMatch(reason="unknown", refusal=_(
            "No meeting has that booking code. Check the code, or choose the person you are meeting."))
    if appointment.status == CANCELLED:
        return AppointmentMatch(reason="cancelled", refusal=_(
            "That meeting was cancelled. Please ask at the information desk."))
    at = _local_time(office, appointment.start)
    day = appointment.start.astimezone(office.tz).date()
    if day != local_today(office, now):
        return AppointmentMatch(reason="other_day", refusal=_(
            "That booking code is for a meeting on %(date)s at %(time)s, not today.",
            date=format_date(day, format="long", locale=language), time=at))
    opens, closes = _window(office, appointment)
    if appointment.status in (BOOKED, ARRIVED) and now < opens:
        return AppointmentMatch(reason="too_early", refusal=_(
            "Your meeting is at %(time)s. You can register your arrival from %(from)s.",
            time=at, **{"from": _local_time(office, opens)}))
    if appointment.status not in (BOOKED, ARRIVED) or now > closes:
        return AppointmentMatch(reason="too_late", refusal=_(
            "Your meeting was at %(time)s and it is too late to register for it here. "
            "Please ask at the information desk.", time=at))
    return _match(office, appointment)


def by_person(session: Session, office: OfficeConfig, query: AppointmentQuery, now: datetime) -> AppointmentMatch:
    """The officer's (or unit's) meetings today whose arrival window holds ``now``: without a chosen ``start``,
    their times to choose from (``choices``); with one, that meeting. An empty match when there is none, since a
    visitor without a booking may still be expected, and never a meeting the visitor did not choose: a walk-in
    must not mark somebody else's meeting arrived."""
    candidates = [a for a in day_list(session, office, local_today(office, now), officer_id=query.officer_id,
                                      unit_id=None if query.officer_id else query.unit_id)
                  if a.status == BOOKED and _window(office, a)[0] <= now <= _window(office, a)[1]]
    if query.start is None:
        return AppointmentMatch(choices=tuple(sorted({a.start for a in candidates})))
    chosen = [a for a in candidates if a.start == query.start]
    return _match(office, chosen[0]) if chosen else AppointmentMatch()


def find(session: Session, office: OfficeConfig, query: AppointmentQuery, language: str,
         now: datetime) -> AppointmentMatch:
    if query.code:
        return by_code(session, office, query.code, language, now)
    return by_person(session, office, query, now)


def mark_arrived(session: Session, office: OfficeConfig, event: Event) -> None:
    """The kiosk's ``visitor.arrived`` named one of our appointments: mark it arrived (once; a redelivered event
    or a second tap changes nothing)."""
    appointment_id = event.payload.get("appointment_id")
    if not appointment_id:
        return
    appointment = session.scalar(select(Appointment).where(Appointment.office_id == office.id,
                                                           Appointment.id == appointment_id).with_for_update())
    if appointment is None or appointment.status != BOOKED:
        return
    appointment.status, appointment.arrived_at, appointment.updated_at = ARRIVED, event.created_at, event.created_at
    publish(session, office.id, AppointmentArrived(appointment_id=appointment.id, officer_id=appointment.officer_id,
                                                   unit_id=appointment.unit_id,
                                                   start=appointment.start.isoformat(),
                                                   arrival_id=event.payload.get("arrival_id")))
