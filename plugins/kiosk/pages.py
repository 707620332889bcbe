"""The kiosk's screens (under /{office}/kiosk): thin handlers over service.py, rendered in the visitor's language."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.context import AppContext
from core.i18n import language_info
from core.problems import NotFound, Problem
from core.web.deps import ContextDep, OfficeDep, SessionDep
from core.web.errors import status_of
from core.web.security import check_csrf
from plugins.kiosk import arrivals, service
from plugins.kiosk.guides import FALLBACK_LANGUAGE
from plugins.kiosk.guides import pages as guide_pages
from plugins.kiosk.icons import ICONS
from plugins.kiosk.web import ScreenRoute, acknowledge_links, screen_language

router = APIRouter(route_class=ScreenRoute)
# How long a finished screen (arrival told, ticket taken) stays before it starts over for the next visitor.
DONE_SECONDS = 30


def _screen(request: Request, ctx: AppContext, office: OfficeConfig, template: str, language: str,
            status_code: int = 200, **values: Any) -> Response:
    settings = service.settings(office)
    start = service.start_language(office)
    is_start = template == "kiosk/start.html"
    return ctx.render(
        request, template, office=office, status_code=status_code, headers={"Cache-Control": "no-store"},
        languages=[language_info(code) for code in service.languages(office)],
        start_url=f"/{office.id}/kiosk?lang={start}", is_start=is_start,
        # The start screen in the start language holds nothing to forget; every other screen starts over.
        idle=not (is_start and language == start),
        inactivity_seconds=settings.inactivity_seconds, warning_seconds=settings.warning_seconds,
        done_seconds=min(DONE_SECONDS, settings.inactivity_seconds), request_key=uuid.uuid4().hex,
        office_id=office.id, icons=ICONS, **values)


def _problem_screen(request: Request, ctx: AppContext, office: OfficeConfig, language: str,
                    exc: Problem) -> Response:
    """A refusal on the kiosk stays a kiosk screen (in the visitor's language, with "start over" and the
    inactivity reset), never a bare error page that would stay on the screen for the next visitor."""
    return _screen(request, ctx, office, "kiosk/problem.html", language, status_code=status_of(exc),
                   message=exc.message)


def _start_tiles(ctx: AppContext, session: Session, office: OfficeConfig, language: str) -> list[Any]:
    hooks = ctx.hooks(office)
    services = [s for group in hooks.mbk_ticket_services(office=office, session=session, language=language)
                for s in group]
    return service.start_tiles(office, language, hooks.mbk_kiosk_tiles(office=office, language=language), services)


@router.get("")
def start(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
          language: str = Depends(screen_language)) -> Response:
    return _screen(request, ctx, office, "kiosk/start.html", language,
                   tiles=_start_tiles(ctx, session, office, language))


@router.get("/choose/{tile_id}")
def choose(tile_id: str, request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
           language: str = Depends(screen_language)) -> Response:
    """A tap on a start tile: counted (choice and language only), then on to the tile's screen."""
    tile = next((t for t in _start_tiles(ctx, session, office, language) if t.id == tile_id), None)
    if tile is None:
        _ = ctx.translator.gettext(language)
        return _problem_screen(request, ctx, office, language,
                               NotFound("unknown_tile", _("This choice is not available right now.")))
    service.record_usage(session, office, language, tile.id)
    return RedirectResponse(service.tile_target(office, tile), status_code=303)


@router.get("/meeting")
def meeting(request: Request, office: OfficeDep, ctx: ContextDep, language: str = Depends(screen_language)) -> Response:
    directory = office.directory
    officers = sorted(directory.officers, key=lambda o: o.name)
    units = [(u.id, u.name.get_text(language)) for u in directory.units]
    people = [{"id": o.id, "name": o.name, "unit": service.unit_name(office, o.unit, language) or "",
               "initials": " ".join(sorted({part[0].upper() for part in o.name.split()}))} for o in officers]
    letters = sorted({letter for p in people for letter in p["initials"].split()})
    return _screen(request, ctx, office, "kiosk/meeting.html", language, people=people, units=units,
                   letters=letters, name_letters=list("ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ"))


@router.get("/guides")
def guide_list(request: Request, office: OfficeDep, ctx: ContextDep, language: str = Depends(screen_language)
               ) -> Response:
    return _screen(request, ctx, office, "kiosk/guides.html", language, guides=service.guides(office, language))


def _guide_values(ctx: AppContext, office: OfficeConfig, guide_id: str, language: str) -> dict[str, Any]:
    guide = service.guide(office, guide_id, language)
    phone_url = f"{ctx.settings.base_url.rstrip('/')}/{office.id}/kiosk/phone/guides/{guide.id}?lang={language}"
    return {"guide": guide, "phone_url": phone_url, "fallback": language_info(FALLBACK_LANGUAGE)}


@router.get("/guides/{guide_id}")
def guide_page(guide_id: str, request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
               language: str = Depends(screen_language)) -> Response:
    try:
        values = _guide_values(ctx, office, guide_id, language)
    except Problem as exc:
        return _problem_screen(request, ctx, office, language, exc)
    talk = any(g.id == guide_id for g in service.talk_categories(office, language)) and any(
        t.id == "talk" for t in _start_tiles(ctx, session, office, language))
    service.record_usage(session, office, language, "guide-read", guide_id)
    return _screen(request, ctx, office, "kiosk/guide.html", language, qr=service.qr_data_uri(values["phone_url"]),
                   talk=talk, pages=guide_pages(values["guide"]), **values)


@router.get("/phone/guides/{guide_id}")
def phone_guide(guide_id: str, request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep
                ) -> Response:
    """The public copy of a guide that the kiosk's QR code opens on the visitor's phone (no device needed)."""
    language = ctx.language(request, office)
    values = _guide_values(ctx, office, guide_id, language)
    service.record_usage(session, office, language, "guide-phone", guide_id)
    return ctx.render(request, "kiosk/phone_guide.html", office=office, icons=ICONS, **values)


def _coming(request: Request, ctx: AppContext, office: OfficeConfig, outcome: str) -> Response:
    status = {"ask": 200, "done": 200, "used": 409}.get(outcome, 404)
    return ctx.render(request, "kiosk/coming.html", office=office, outcome=outcome, status_code=status,
                      headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@router.get("/coming/{token}")
def coming(token: str, request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep) -> Response:
    """The officer's "I am coming" link from the arrival message: one button, nothing about the visitor.

    Opening the link changes nothing (mail scanners open every link they see); the button does."""
    outcome = arrivals.link_state(session, office, acknowledge_links(ctx), token)
    return _coming(request, ctx, office, outcome)


@router.post("/coming/{token}")
def coming_confirmed(token: str, request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                     csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    outcome = arrivals.acknowledge(session, office, acknowledge_links(ctx), token)
    return _coming(request, ctx, office, outcome)


@router.get("/talk")
def talk(request: Request, office: OfficeDep, ctx: ContextDep, language: str = Depends(screen_language)) -> Response:
    return _screen(request, ctx, office, "kiosk/talk.html", language,
                   categories=service.talk_categories(office, language))


@router.get("/talk/{guide_id}")
def talk_questions(guide_id: str, request: Request, office: OfficeDep, ctx: ContextDep,
                   language: str = Depends(screen_language)) -> Response:
    guide = next((g for g in service.talk_categories(office, language) if g.id == guide_id), None)
    if guide is None:
        _ = ctx.translator.gettext(language)
        return _problem_screen(request, ctx, office, language, NotFound(
            "unknown_category", _("There is no errand category called %(c)s.", c=guide_id)))
    return _screen(request, ctx, office, "kiosk/talk_questions.html", language, guide=guide,
                   interpreters=service.interpreter_choices(office))


@router.get("/tickets/{service_id}")
def ticket(service_id: str, request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
           language: str = Depends(screen_language)) -> Response:
    services = [s for group in ctx.hooks(office).mbk_ticket_services(office=office, session=session,
                                                                     language=language) for s in group]
    found = next((s for s in services if s.id == service_id), None)
    if found is None:
        _ = ctx.translator.gettext(language)
        return _problem_screen(request, ctx, office, language, NotFound(
            "unknown_service", _("This service does not take tickets right now.")))
    return _screen(request, ctx, office, "kiosk/ticket.html", language, ticket_service=found)
