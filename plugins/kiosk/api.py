"""The kiosk screen's JSON endpoints (under /api/v1/offices/{office}/kiosk): arrivals and their state, booking
codes, tickets and their printing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from core.auth import Principal
from core.context import AppContext
from core.problems import NotFound
from core.web.deps import ContextDep, OfficeDep, SessionDep
from core.web.security import require
from plugins.kiosk import arrivals, printing, service
from plugins.kiosk.web import KIOSK_DEVICES, KIOSK_STAFF_ROLES, acknowledge_links

router = APIRouter()
kiosk_or_staff = require(*KIOSK_STAFF_ROLES, devices=KIOSK_DEVICES)


class ArrivalIn(BaseModel):
    language: str
    idempotency_key: str = Field(min_length=8, max_length=64)
    officer_id: str | None = None
    unit_id: str | None = None
    first_name: str | None = Field(default=None, max_length=100)
    booking_code: str | None = Field(default=None, max_length=20)
    # The start of the chosen officer's meeting, as the visitor picked it from /meeting-times.
    start: datetime | None = None


class TicketIn(BaseModel):
    language: str
    idempotency_key: str = Field(min_length=8, max_length=64)
    service: str | None = None
    category: str | None = None
    answers: dict[str, str] = {}
    interpreter: str | None = Field(default=None, max_length=16)


class ArrivalOut(BaseModel):
    """An arrival as the kiosk shows it, with what to tell the visitor now (in their language)."""

    id: str
    notification: str = Field(description="pending, sent, failed, acknowledged or none")
    escalated: bool
    officer: str | None
    unit: str | None
    told: str
    advice: str
    ticket: str | None = Field(description="the booked queue number of a meeting with the guides")
    final: bool = Field(description="nothing more will change: the kiosk stops asking")


class MeetingTimeOut(BaseModel):
    start: str = Field(description="the start (ISO 8601): send it with the arrival")
    label: str = Field(description="the local time, e.g. 14:30")


class MeetingTimesOut(BaseModel):
    times: list[MeetingTimeOut]


class BookingOut(BaseModel):
    """Whom a booking code's meeting is with; ``time``, ``label`` and ``appointment`` only for a booked
    appointment (not for a fixed code of the directory)."""

    officer_id: str | None
    name: str | None
    unit_id: str | None
    unit: str | None
    time: str | None = Field(default=None, description="the meeting's local time")
    label: str | None = None
    appointment: bool | None = None


class KioskTicketOut(BaseModel):
    """A ticket the kiosk took, with what its screen says."""

    id: str
    number: str
    service: str
    service_name: str
    position: int
    estimated_wait_minutes: int | None
    status_path: str
    called_to: str | None = Field(default=None, description="where to go now, when called at once")
    position_text: str
    wait_text: str
    phone_url: str
    qr: str = Field(description="the QR code to the phone page, an SVG data URI")


class PrintOut(BaseModel):
    printer: str = Field(description="paper, or browser where no printer is set for this device")
    printed: bool
    state: str | None = Field(description="the printer's state after the attempt")
    message: str = Field(description="what to tell the visitor")


@router.post("/arrivals", status_code=201, response_model=ArrivalOut)
def register_arrival(body: ArrivalIn, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                     _principal: Principal = Depends(kiosk_or_staff)) -> dict[str, Any]:
    """A visitor with a booked meeting has arrived: publishes ``visitor.arrived`` once per screen key.

    Answers the arrival's ``id`` and its ``notification`` state (``pending`` while the officer is being told,
    ``none`` when nothing can reach them), with what to tell the visitor now."""
    language = service.visitor_language(office, body.language)
    hooks = ctx.hooks(office)
    done = arrivals.register_arrival(session, office, reach=hooks.mbk_message_reach, links=acknowledge_links(ctx),
                                     language=language, key=body.idempotency_key, officer_id=body.officer_id,
                                     unit_id=body.unit_id, first_name=body.first_name,
                                     booking_code=body.booking_code, start=body.start,
                                     find=hooks.mbk_find_appointment,
                                     issue=hooks.mbk_issue_ticket)
    return arrivals.arrival_view(office, done.arrival, language, done.ticket)


@router.get("/arrivals/{arrival_id}", response_model=ArrivalOut)
def arrival_state(arrival_id: str, office: OfficeDep, session: SessionDep, lang: str = "sv",
                  _principal: Principal = Depends(kiosk_or_staff)) -> dict[str, Any]:
    """An arrival's current ``notification`` state (pending, sent, failed, acknowledged, none), whether it
    escalated, and what the kiosk tells the visitor now (in ``lang``). The kiosk polls it."""
    language = service.visitor_language(office, lang)
    return arrivals.arrival_view(office, arrivals.get_arrival(session, office, arrival_id, language), language)


@router.get("/meeting-times", response_model=MeetingTimesOut)
def meeting_times(office: OfficeDep, ctx: ContextDep, session: SessionDep, officer_id: str | None = None,
                  unit_id: str | None = None, lang: str = "sv", _principal: Principal = Depends(kiosk_or_staff)
                  ) -> dict[str, Any]:
    """The times of the chosen officer's (or unit's) meetings a visitor may arrive for now: ``times`` with
    ``start`` (send it with the arrival) and ``label`` (local time). Never whose meetings they are."""
    language = service.visitor_language(office, lang)
    return {"times": arrivals.meeting_times(session, office, ctx.hooks(office).mbk_find_appointment, language,
                                            officer_id, unit_id)}


@router.get("/booking-codes/{code}", response_model=BookingOut, response_model_exclude_unset=True)
def booking_code(code: str, office: OfficeDep, ctx: ContextDep, session: SessionDep, lang: str = "sv",
                 _principal: Principal = Depends(kiosk_or_staff)) -> dict[str, Any]:
    """Who the meeting of a booking code is with (the officer's name and unit, never the visitor's): today's
    appointment through the office's appointments, else the directory's fixed codes."""
    language = service.visitor_language(office, lang)
    match = arrivals.find_booking(session, office, ctx.hooks(office).mbk_find_appointment, code, language)
    if match is not None:
        return arrivals.booking_answer(office, match, language)
    officer = service.officer_by_code(office, code)
    if officer is None:
        _ = service.translations.gettext(language)
        raise NotFound("unknown_booking_code",
                       _("No meeting has that booking code. Check the code or choose the person's name."))
    return {"officer_id": officer.id, "name": officer.name, "unit_id": officer.unit,
            "unit": service.unit_name(office, officer.unit, language)}


@router.post("/tickets", status_code=201, response_model=KioskTicketOut)
def take_ticket(body: TicketIn, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                _principal: Principal = Depends(kiosk_or_staff)) -> dict[str, Any]:
    """A queue ticket for a service (a tile) or an errand category with the visitor's answers, once per key."""
    language = service.visitor_language(office, body.language)
    stored = service.issue_ticket(session, office, ctx.hooks(office).mbk_issue_ticket, language=language,
                                  key=body.idempotency_key, service=body.service, category=body.category,
                                  answers=body.answers, interpreter=body.interpreter)
    phone_url = _phone_url(ctx, stored, language)
    return {**stored, **service.ticket_texts(stored, language), "phone_url": phone_url,
            "qr": service.qr_data_uri(phone_url)}


def _phone_url(ctx: AppContext, stored: dict[str, Any], language: str) -> str:
    path = stored["status_path"]
    return f"{ctx.settings.base_url.rstrip('/')}{path}{'&' if '?' in path else '?'}lang={language}"


class PrintIn(BaseModel):
    language: str
    idempotency_key: str = Field(min_length=8, max_length=64)


@router.post("/tickets/print", response_model=PrintOut)
def print_ticket(body: PrintIn, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                 principal: Principal = Depends(kiosk_or_staff)) -> dict[str, Any]:
    """Print the ticket this screen took (named by its request key) on the receipt printer beside this kiosk.

    ``printer`` is ``paper`` (with ``printed``, the printer's ``state`` and the ``message`` for the visitor) or
    ``browser`` where no printer is set for this device: the screen then prints through the browser. Takes a
    few seconds at most, however the printer fails."""
    language = service.visitor_language(office, body.language)
    printer = (service.settings(office).printer_for(principal.name)
               if principal.is_device(office.id, *KIOSK_DEVICES) else None)
    stored = printing.stored_ticket(session, office, body.idempotency_key, language)
    if printer is None:
        return {"printer": "browser", "printed": False, "state": None, "message": ""}
    ticket = printing.paper_ticket(office, stored, service.ticket_texts(stored, language),
                                   _phone_url(ctx, stored, language), language)
    session.commit()  # the paper waits outside any transaction: no row (nor SQLite's writer lock) waits on it
    status = printing.send(printer, printing.compose(ticket))
    printing.record(session, office, printer.device, status)
    return {"printer": "paper", "printed": status in printing.PRINTED, "state": status.value,
            "message": printing.visitor_message(status, stored["number"], language)}
