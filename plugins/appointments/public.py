"""The visitor's pages under /{office}/appointments (no account): book a time for a service, the confirmation
with the booking code, the .ics file, and cancelling through the link. Thin: the work is in booking.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from babel.dates import format_date
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from core import qr
from core.config import OfficeConfig
from core.context import AppContext
from core.db import utcnow
from core.problems import Problem
from core.web.deps import ContextDep, LanguageDep, OfficeDep
from core.web.errors import status_of
from core.web.security import check_csrf
from plugins.appointments import booking, ratelimit
from plugins.appointments.service import ics, settings_of, translations

public = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _local(office: OfficeConfig, moment: datetime, language: str) -> dict[str, str]:
    local = moment.astimezone(office.tz)
    return {"date": format_date(local.date(), format="full", locale=language), "time": f"{local:%H:%M}",
            "value": local.isoformat()}


@public.get("/book")
def services_page(request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep) -> Response:
    services = [(s.id, s.name.get_text(language)) for s in booking.online_services(office)]
    return ctx.render(request, "appointments/book.html", office=office, services=services)


def _form(request: Request, ctx: AppContext, office: OfficeConfig, service_id: str, day: date | None, language: str,
          status_code: int = 200, error: str = "", values: dict[str, str] | None = None) -> Response:
    now = utcnow()
    service = booking.online_service(office, service_id, language)
    days = booking.bookable_days(office, service, now)
    chosen = day if day in days else (days[0] if days else None)
    with ctx.db.session() as session:
        slots = booking.free_slots(session, office, service, chosen, now) if chosen else []
    return ctx.render(request, "appointments/slots.html", office=office, status_code=status_code, headers=NO_STORE,
                      service_id=service.id, service_name=service.name.get_text(language),
                      bring=service.bring.get_text(language) if service.bring else "",
                      days=[(d.isoformat(), format_date(d, format="EEEE d MMMM", locale=language)) for d in days],
                      chosen=chosen.isoformat() if chosen else "",
                      slots=[{**_local(office, s.start, language), "free": s.free} for s in slots],
                      error=error, values=values or {})


@public.get("/book/{service_id}")
def slots_page(service_id: str, request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep,
               day: Annotated[date | None, Query()] = None) -> Response:
    return _form(request, ctx, office, service_id, day, language)


@public.post("/book/{service_id}")
def book(service_id: str, request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep,
         start: Annotated[str, Form()] = "", first_name: Annotated[str, Form(max_length=200)] = "",
         email: Annotated[str, Form(max_length=254)] = "", phone: Annotated[str, Form(max_length=40)] = "",
         csrf_token: Annotated[str, Form()] = "") -> Response:
    """Book the chosen time; a refusal shows the form again with what to do."""
    check_csrf(request, csrf_token)
    _ = translations.gettext(language)
    values = {"start": start, "first_name": first_name, "email": email, "phone": phone}
    try:
        moment = datetime.fromisoformat(start)
        day = moment.astimezone(office.tz).date()
    except ValueError:
        return _form(request, ctx, office, service_id, None, language, 422, _("Please choose a time."), values)
    client = request.client.host if request.client else "unknown"
    try:
        with ctx.db.session() as session:
            ratelimit.count_booking(session, office, ctx.secret_key, client, utcnow(),
                                    settings_of(office).bookings_per_hour, language)
        with ctx.db.session() as session:
            made = booking.book(session, office, booking.Booking(
                service_id=service_id, start=moment, first_name=first_name, language=language,
                email=email.strip() or None, phone=phone.strip() or None), utcnow(), ctx.settings.base_url)
            token = made.cancel_token
    except Problem as exc:
        if exc.code == "unknown_service":
            raise
        return _form(request, ctx, office, service_id, day, language, status_of(exc), exc.message, values)
    return RedirectResponse(f"/{office.id}/appointments/booking/{token}?lang={language}", status_code=303)


def _booking_values(ctx: AppContext, office: OfficeConfig, token: str, language: str) -> dict[str, object]:
    with ctx.db.session() as session:
        found = booking.by_token(session, office, token, language)
        service = settings_of(office).service(found.service_id or "")
        return {"code": found.code, "status": found.status, "token": token,
                "service_name": service.name.get_text(language) if service else "",
                "bring": service.bring.get_text(language) if service and service.bring else "",
                **_local(office, found.start, language)}


@public.get("/booking/{token}.ics")
def booking_ics(token: str, office: OfficeDep, ctx: ContextDep, language: LanguageDep) -> Response:
    with ctx.db.session() as session:
        body = ics(office, booking.by_token(session, office, token, language), language)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        **NO_STORE, "Content-Disposition": 'attachment; filename="booking.ics"'})


@public.get("/booking/{token}")
def confirmation(token: str, request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep) -> Response:
    """The booking, with its code also as a QR code: the kiosk's scanner types what it holds (the code)."""
    values = _booking_values(ctx, office, token, language)
    return ctx.render(request, "appointments/confirmation.html", office=office, headers=NO_STORE,
                      qr=qr.svg_data_uri(str(values["code"]), scale=5), **values)


@public.get("/cancel/{token}")
def cancel_page(token: str, request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep) -> Response:
    return ctx.render(request, "appointments/cancel.html", office=office, headers=NO_STORE,
                      **_booking_values(ctx, office, token, language))


@public.post("/cancel/{token}")
def cancel(token: str, request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep,
           csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    with ctx.db.session() as session:
        booking.cancel(session, office, token, language, utcnow())
    return RedirectResponse(f"/{office.id}/appointments/cancel/{token}?lang={language}", status_code=303)
