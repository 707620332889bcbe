"""Staff pages under /{office}/appointments: the officer's (or unit's) day, with marks for seen and no-show,
the calendars that are stale, and the upload of a case-management system's file. Thin: the work is in
service.py, sync.py and importer.py."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from core import auth
from core.auth import Principal
from core.config import OfficeConfig
from core.db import utcnow
from core.i18n import language_label
from core.people import Gettext
from core.problems import Invalid, Problem
from core.web.deps import ContextDep, LanguageDep, OfficeDep, PrincipalDep, SessionDep
from core.web.errors import status_of
from core.web.security import authorize, check_csrf, staff_page
from plugins.appointments import booking, importer, service, sync
from plugins.appointments.public import public
from plugins.appointments.views import day_rows

pages = APIRouter()
pages.include_router(public)
READERS = ("admin", "officer", "guide", "viewer")
EDITORS = ("admin", "officer", "guide")


@pages.get("/day")
def day_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep, language: LanguageDep,
             principal: Principal = Depends(staff_page(*READERS)),
             day: Annotated[date | None, Query()] = None, officer: Annotated[str | None, Query()] = None,
             unit: Annotated[str | None, Query()] = None) -> Response:
    """Today's (or ``day``'s) meetings of an officer, a unit or the whole office: expected, arrived (since
    when), seen, no-show."""
    shown = day or service.local_today(office)
    rows = day_rows(office, service.day_list(session, office, shown, officer_id=officer, unit_id=unit), language)
    stale = [state for state in sync.feed_states(session, office, utcnow()) if state.stale]
    query = f"day={shown.isoformat()}" + (f"&officer={officer}" if officer else "") + (f"&unit={unit}" if unit else "")
    return ctx.render(request, "appointments/day.html", office=office, rows=rows, day=shown, stale=stale,
                      officers=office.directory.officers, units=office.directory.units, chosen_officer=officer,
                      chosen_unit=unit, query=query, can_mark=principal.has_role(office.id, *EDITORS),
                      services=[(s.id, s.name.get_text(language)) for s in service.settings_of(office).services],
                      message_languages=[(code, language_label(code, language)) for code in office.languages])


@pages.post("/day/{appointment_id}/status")
def mark(appointment_id: str, request: Request, status: Annotated[Literal["seen", "no_show", "cancelled"], Form()],
         office: OfficeDep, session: SessionDep, principal: PrincipalDep, language: LanguageDep,
         back: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    """The officer marks a meeting seen or no-show (or cancels it), and is back on the day's page (or told why
    not, in the page's language, as for every form of the day)."""
    check_csrf(request, csrf_token)
    allowed = authorize(office, principal, EDITORS, ())
    service.set_status(session, office, appointment_id, status, _=service.translations.gettext(language))
    auth.audit(session, allowed, f"appointment.{status}", office.id, appointment=appointment_id)
    return _back_to_day(office.id, back)


def _back_to_day(office_id: str, back: str) -> Response:
    safe_back = back if back.startswith("day=") and "//" not in back else ""
    return RedirectResponse(f"/{office_id}/appointments/day?{safe_back}", status_code=303)


def _local_times(office: OfficeConfig, day: date, starts: str, ends: str, _: Gettext) -> tuple[datetime, datetime]:
    """The office's local ``day`` at the two times (HH:MM) as aware instants."""
    try:
        return (datetime.combine(day, time.fromisoformat(starts), tzinfo=office.tz),
                datetime.combine(day, time.fromisoformat(ends), tzinfo=office.tz))
    except ValueError:
        raise Invalid("invalid_time", _("give the start and the end as HH:MM")) from None


@pages.post("/day/new")
def create(request: Request, office: OfficeDep, session: SessionDep, principal: PrincipalDep,
           page_language: LanguageDep, day: Annotated[date, Form()], starts: Annotated[str, Form()],
           ends: Annotated[str, Form()],
           with_: Annotated[str, Form(alias="with")], first_name: Annotated[str, Form(max_length=60)] = "",
           email: Annotated[str, Form(max_length=254)] = "", phone: Annotated[str, Form(max_length=20)] = "",
           language: Annotated[str, Form(max_length=8)] = "", back: Annotated[str, Form()] = "",
           csrf_token: Annotated[str, Form()] = "") -> Response:
    """Staff enter a meeting with an officer, a unit or a service (``with`` is ``officer:ID``, ``unit:ID`` or
    ``service:ID``); it gets its booking code, shown on the day's page to give the visitor. ``language`` is the
    visitor's (for their messages); problems are in the page's."""
    check_csrf(request, csrf_token)
    allowed = authorize(office, principal, EDITORS, ())
    _ = service.translations.gettext(page_language)
    kind, _sep, owner = with_.partition(":")
    if kind not in ("officer", "unit", "service") or not owner:
        raise Invalid("no_owner", _("name the officer, the unit or the service the meeting is with"))
    email, phone = email.strip(), phone.strip()
    booking.check_contact(email, phone, _)
    start, end = _local_times(office, day, starts, ends, _)
    row = service.create(session, office, service.NewAppointment(
        start=start, end=end, first_name=first_name or None, email=email or None, phone=phone or None,
        language=language or None, **{f"{kind}_id": owner}), _=_)
    auth.audit(session, allowed, "appointment.create", office.id, appointment=row.id)
    return _back_to_day(office.id, back or f"day={day.isoformat()}")


@pages.post("/day/{appointment_id}/move")
def move(appointment_id: str, request: Request, office: OfficeDep, session: SessionDep, principal: PrincipalDep,
         language: LanguageDep, day: Annotated[date, Form()], starts: Annotated[str, Form()],
         ends: Annotated[str, Form()], back: Annotated[str, Form()] = "",
         csrf_token: Annotated[str, Form()] = "") -> Response:
    """Staff move a booked meeting (not one from a calendar: that is moved in the calendar)."""
    check_csrf(request, csrf_token)
    allowed = authorize(office, principal, EDITORS, ())
    _ = service.translations.gettext(language)
    start, end = _local_times(office, day, starts, ends, _)
    service.move(session, office, appointment_id, start, end, _=_)
    auth.audit(session, allowed, "appointment.move", office.id, appointment=appointment_id)
    return _back_to_day(office.id, back)


@pages.post("/import")
def import_file(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep, principal: PrincipalDep,
                language: LanguageDep, file: Annotated[UploadFile, File()],
                csrf_token: Annotated[str, Form()] = "") -> Response:
    """Staff upload a case-management system's CSV or JSON file; the page says what was imported, or names every
    bad row (and nothing was written), in the page's language."""
    check_csrf(request, csrf_token)
    allowed = authorize(office, principal, EDITORS, ())
    try:
        report = importer.import_data(session, office, allowed, file.filename, file.content_type,
                                      file.file.read(importer.MAX_BYTES + 1), service.translations.gettext(language))
    except Problem as problem:
        return ctx.render(request, "appointments/import.html", office=office, status_code=status_of(problem),
                          report=None, problems=problem.message.splitlines(), can_import=True)
    return ctx.render(request, "appointments/import.html", office=office, report=report, problems=[],
                      can_import=True)
