"""Domain events the appointments plugin publishes: its public contract (payload keys are what consumers such
as notify rely on). Visitors' contacts travel only in the events that send them something (confirmation,
reminder), never in the others."""

from __future__ import annotations

from typing import ClassVar

from core.events import DomainEvent
from core.i18n import N_


class AppointmentBooked(DomainEvent):
    """A new appointment (staff, import or online). ``email``/``phone`` set when the visitor wants a confirmation."""

    type = "appointment.booked"
    label: ClassVar[str] = N_("Appointment booked")
    appointment_id: str
    code: str
    officer_id: str | None
    unit_id: str | None
    service_id: str | None
    start: str  # ISO 8601, UTC
    end: str
    source: str
    language: str | None
    first_name: str | None
    email: str | None = None
    phone: str | None = None
    # For the confirmation: what to bring (in the visitor's language), the cancel link, the .ics link, and the
    # .ics file itself (iCalendar text, METHOD:PUBLISH) when the visitor gave an e-mail address, to attach.
    bring: str | None = None
    cancel_url: str | None = None
    ics_url: str | None = None
    ics: str | None = None


class AppointmentMoved(DomainEvent):
    type = "appointment.moved"
    label: ClassVar[str] = N_("Appointment moved")
    appointment_id: str
    officer_id: str | None
    unit_id: str | None
    start: str
    end: str


class AppointmentCancelled(DomainEvent):
    type = "appointment.cancelled"
    label: ClassVar[str] = N_("Appointment cancelled")
    appointment_id: str
    officer_id: str | None
    unit_id: str | None
    start: str


class AppointmentArrived(DomainEvent):
    """The visitor of an appointment registered at the kiosk."""

    type = "appointment.arrived"
    label: ClassVar[str] = N_("Arrived for an appointment")
    appointment_id: str
    officer_id: str | None
    unit_id: str | None
    start: str
    arrival_id: str | None


class AppointmentClosed(DomainEvent):
    """The officer marked the meeting seen or no-show (or the day ended with it unmarked: no-show)."""

    type = "appointment.closed"
    label: ClassVar[str] = N_("Appointment closed")
    appointment_id: str
    officer_id: str | None
    unit_id: str | None
    status: str


class AppointmentReminder(DomainEvent):
    """Time to remind the visitor (``minutes_before`` the start), in their language, with what to bring and the
    meeting for their calendar."""

    type = "appointment.reminder"
    label: ClassVar[str] = N_("Appointment reminder")
    appointment_id: str
    code: str
    start: str
    minutes_before: int
    language: str | None
    first_name: str | None
    email: str | None
    phone: str | None
    bring: str | None
    cancel_url: str | None = None  # for a booking made online (it has a cancel page)
    # The booking's .ics file (as in AppointmentBooked, at the time it now has) when the visitor gave an e-mail.
    ics: str | None = None


EVENT_TYPES: list[type[DomainEvent]] = [AppointmentBooked, AppointmentMoved, AppointmentCancelled,
                                        AppointmentArrived, AppointmentClosed, AppointmentReminder]
