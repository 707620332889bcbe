"""The queue's pages: the display board, the visitor's phone page and printable ticket, the guide console."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from core import qr
from core.auth import Principal
from core.config import OfficeConfig
from core.context import AppContext
from core.hookspecs import TicketRequest
from core.i18n import language_info
from core.problems import Conflict, Invalid, NotFound, Problem
from core.web.deps import ContextDep, OfficeDep, SessionDep
from core.web.headers import embeddable
from core.web.security import check_csrf, staff_page
from plugins.queue import announce, lifecycle, tickets, views
from plugins.queue.i18n import OUTCOME_LABELS
from plugins.queue.settings import settings_of

pages = APIRouter()


def _ticket_or_404(request: Request, ctx: AppContext, session: Session, office: OfficeConfig,
                   ticket_id: str) -> tuple[Any, dict[str, Any]]:
    ticket = tickets.find_ticket(session, office, ticket_id)
    # The visitor's own language unless they pick another on the page.
    if ticket is not None and request.query_params.get("lang") not in office.languages:
        request.state.language = ticket.language
    language = ctx.language(request, office)
    if ticket is None:
        _ = ctx.translator.gettext(language)
        raise NotFound("ticket_not_found", _("This ticket does not exist (check the link)."))
    return ticket, views.public_ticket(session, office, ticket, language)


def _qr_data_uri(ctx: AppContext, path: str) -> str:
    return qr.svg_data_uri(ctx.settings.base_url.rstrip("/") + path)


def _board_texts(ctx: AppContext, office: OfficeConfig, language: str) -> dict[str, Any]:
    """Everything the board shows in one language (it may take turns in several)."""
    _ = ctx.translator.gettext(language)
    name = office.name.get_text(language)
    return {
        "dir": language_info(language).dir, "title": f"{_('Queue')} – {name}", "office": name,
        "nowCalling": _("Now calling"), "latestCalls": _("Latest calls"), "waitingTitle": _("Waiting"),
        "idle": _("Take a ticket and wait for your number"), "connection": _("Reconnecting…"),
        "sound": _("Turn on sound"), "waiting": _("waiting"), "closed": _("Closed now"),
        "minutes": _("about %(minutes)s min", minutes="{minutes}"), "recall": _("Called again"),
        "seats": _("%(free)s of %(seats)s free", free="{free}", seats="{seats}"),
        "services": {s.id: s.name.get_text(language) for s in settings_of(office).services},
    }


@pages.get("/board", dependencies=[Depends(embeddable)])
def board_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep) -> Response:
    language = ctx.language(request, office)
    settings = settings_of(office)
    state = views.board_state(session, office, language)
    shown = [language, *(lang for lang in settings.board_languages if lang != language)] \
        if settings.board_languages else [language]
    config = {
        "stateUrl": f"/api/v1/offices/{office.id}/queue/board?lang={language}",
        "eventsUrl": f"/api/v1/offices/{office.id}/queue/board/events?lang={language}",
        "announcementUrl": f"/api/v1/offices/{office.id}/queue/announcement.wav",
        "language": language,
        "languages": shown,
        "languageSeconds": settings.board_language_seconds,
        "state": state,
        "chime": settings.chime,
        # The office's clips where the language has a set; else the browser's voice says the text (filled in).
        "announcements": [{"language": spoken, "clips": ctx.speech.has_set(spoken),
                           "text": ctx.translator.gettext(spoken)(announce.ANNOUNCEMENT, number="{number}",
                                                                  counter="{counter}")}
                          for spoken in settings.announce_languages],
        "texts": {shown_language: _board_texts(ctx, office, shown_language) for shown_language in shown},
    }
    return ctx.render(request, "queue/board.html", office=office, config=config, state=state)


@pages.get("/console")
def console_page(request: Request, office: OfficeDep, ctx: ContextDep,
                 principal: Principal = Depends(staff_page("guide", "admin"))) -> Response:
    language = ctx.language(request, office)
    settings = settings_of(office)
    _ = ctx.translator.gettext(language)
    config = {
        "api": f"/api/v1/offices/{office.id}/queue",
        "office": office.id,
        "language": language,
        "counters": [{"id": c.id, "name": c.name.get_text(language),
                      "services": [s.id for s in settings.services_at(c.id)]} for c in settings.counters],
        "services": [{"id": s.id, "name": s.name.get_text(language), "seats": s.seats} for s in settings.services],
        "referrals": [{"id": r.id, "name": r.name.get_text(language)} for r in settings.referrals],
        "labels": {
            "nobody": _("Nobody is waiting."), "waiting": _("waiting"), "called": _("called"),
            "serving": _("being served"), "booked": _("booked"), "note": _("Note"),
            "failed": _("Something went wrong: %(detail)s", detail="{detail}"), "minutes": _("%(minutes)s min",
                                                                                              minutes="{minutes}"),
            "category": _("Errand"), "language": _("Language"),
            "transferredFrom": _("Transferred from %(service)s", service="{service}"), "textRequested":
            _("Wants a text message"), "done": _("Done"), "freeSeat": _("Free the computer"),
            "seat": _("Computer %(seat)s", seat="{seat}"), "noSeats": _("Nobody is at a computer."),
            "seatWaiting": _("%(count)s waiting for a computer", count="{count}"),
            "interpreter": _("Interpreter"), "urgent": _("Urgent"), "held": _("On hold"), "call": _("Call"),
            "hold": _("Put on hold"), "resume": _("Resume"), "markUrgent": _("Mark urgent"),
            "notUrgent": _("Not urgent"), "counterOpen": _("Counter open"), "counterPaused": _("Counter paused"),
            "pause": _("Pause counter"), "open": _("Open counter"),
            "chooseOutcome": _("Choose what came of the visit."),
        },
    }
    outcomes = [(outcome, _(label)) for outcome, label in OUTCOME_LABELS.items()]
    return ctx.render(request, "queue/console.html", office=office, config=config, settings=settings,
                      principal=principal, outcomes=outcomes)


@pages.get("/live")
def live_page(request: Request, office: OfficeDep, ctx: ContextDep,
              principal: Principal = Depends(staff_page("admin", "viewer"))) -> Response:
    """The manager's live view: the room now, updated as events come."""
    language = ctx.language(request, office)
    _ = ctx.translator.gettext(language)
    api = f"/api/v1/offices/{office.id}/queue"
    config = {
        "language": language, "stateUrl": f"{api}/live?lang={language}",
        "eventsUrl": f"{api}/live/events?lang={language}",
        # Every event type an installed plugin registers: any of them may change a figure.
        "eventTypes": sorted(ctx.plugins.event_types),
        "labels": {"minutes": _("%(minutes)s min", minutes="{minutes}"), "paused": _("Paused"),
                   "busy": _("With %(number)s", number="{number}"), "idle": _("Free"), "waiting": _("Waiting now"),
                   "issued": _("Tickets issued"), "served": _("Served"), "noShows": _("Did not come"),
                   "cancelled": _("Cancelled"), "urgent": _("Urgent"), "interpreter": _("Asked for an interpreter")},
    }
    return ctx.render(request, "queue/live.html", office=office, config=config, principal=principal)


def _phone_page(request: Request, ctx: AppContext, office: OfficeConfig, view: dict[str, Any],
                status_code: int = 200, **values: Any) -> Response:
    language = ctx.language(request, office)
    config = {"eventsUrl": f"/api/v1/offices/{office.id}/queue/tickets/{view['id']}/events",
              "statusUrl": f"/{office.id}/queue/t/{view['id']}/status?lang={language}"}
    values.setdefault("sent", None)
    return ctx.render(request, "queue/phone.html", office=office, ticket=view, config=config, status_code=status_code,
                      near_position=settings_of(office).near_position,
                      texting=views.texting_offered(ctx.hooks(office), office),
                      qr=_qr_data_uri(ctx, view["status_path"]), **values)


@pages.get("/t/{ticket_id}")
def phone_page(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
               sent: str | None = None) -> Response:
    _ticket, view = _ticket_or_404(request, ctx, session, office, ticket_id)
    return _phone_page(request, ctx, office, view, sent=sent)


@pages.get("/t/{ticket_id}/status")
def phone_status(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep
                 ) -> Response:
    """The live part of the phone page, re-rendered in the visitor's language when the line moves."""
    _ticket, view = _ticket_or_404(request, ctx, session, office, ticket_id)
    return ctx.render(request, "queue/_status.html", office=office, ticket=view)


@pages.post("/t/{ticket_id}/phone")
def phone_submit(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                 phone: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
                 withdraw: Annotated[str, Form()] = "") -> Response:
    """The "text me when I am near the front" form (works without JavaScript)."""
    check_csrf(request, csrf_token)
    language = ctx.language(request, office)
    _ = ctx.translator.gettext(language)
    try:
        with session.begin_nested():  # a refused number leaves nothing behind
            lifecycle.set_phone(session, office, ticket_id, None if withdraw else phone,
                                can_text=views.texting_offered(ctx.hooks(office), office))
    except Invalid:
        _ticket, view = _ticket_or_404(request, ctx, session, office, ticket_id)
        return _phone_page(request, ctx, office, view, status_code=422, phone=phone,
                           phone_error=_("That does not look like a phone number. Write it like 070 123 45 67."))
    except Problem as exc:
        if exc.code == "texts_unavailable":  # its message already says why, in the visitor's language
            raise
        raise Problem(exc.code, _("Your ticket no longer waits in line."), kind=exc.kind) from None
    sent = "withdrawn" if withdraw else "yes"
    return RedirectResponse(f"/{office.id}/queue/t/{ticket_id}?lang={language}&sent={sent}", status_code=303)


@pages.get("/t/{ticket_id}/ticket")
def printable_ticket(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep
                     ) -> Response:
    """The ticket as a kiosk shows or prints it: the number and a QR code to the phone page."""
    _ticket, view = _ticket_or_404(request, ctx, session, office, ticket_id)
    return ctx.render(request, "queue/ticket.html", office=office, ticket=view,
                      qr=_qr_data_uri(ctx, view["status_path"]))


@pages.get("/t/{ticket_id}/qr.svg")
def ticket_qr(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep
              ) -> Response:
    """The QR code to the phone page, for a kiosk that draws its own ticket."""
    _ticket, view = _ticket_or_404(request, ctx, session, office, ticket_id)
    base = ctx.settings.base_url.rstrip("/")
    return HTMLResponse(qr.svg(base + view["status_path"], title=view["number"]), media_type="image/svg+xml")


@pages.post("/t/{ticket_id}/cancel")
def phone_cancel(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    """The visitor leaves the line from their phone, so that the others move up."""
    check_csrf(request, csrf_token)
    language = ctx.language(request, office)
    _ = ctx.translator.gettext(language)
    try:
        lifecycle.cancel(session, office, ticket_id)
    except NotFound:
        raise NotFound("ticket_not_found", _("This ticket does not exist (check the link).")) from None
    except Problem:
        raise Conflict("wrong_state", _("Your ticket no longer waits in line.")) from None
    return RedirectResponse(f"/{office.id}/queue/t/{ticket_id}?lang={language}", status_code=303)


def _remote_join_or_404(request: Request, ctx: AppContext, office: OfficeConfig) -> None:
    if not settings_of(office).remote_join:
        _ = ctx.translator.gettext(ctx.language(request, office))
        raise NotFound("remote_join_disabled", _("At this office you take a ticket at the entrance."))


@pages.get("/join")
def join_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep) -> Response:
    """Take a ticket from your own phone (offices that allow it): the lines, their waits, one button each."""
    _remote_join_or_404(request, ctx, office)
    language = ctx.language(request, office)
    services = [s for s in views.services_view(session, office, language) if s["seats"] is None and s["open"]]
    # One key per page view: pressing twice (or reloading the POST) gives the same ticket.
    return ctx.render(request, "queue/join.html", office=office, services=services,
                      idempotency_key=secrets.token_urlsafe(16))


@pages.post("/join")
def join_submit(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                service: Annotated[str, Form()] = "",
                idempotency_key: Annotated[str, Form(max_length=100)] = "", csrf_token: Annotated[str, Form()] = ""
                ) -> Response:
    _remote_join_or_404(request, ctx, office)
    check_csrf(request, csrf_token)
    language = ctx.language(request, office)
    issued = lifecycle.issue_ticket(session, office, TicketRequest(
        language=language, service=service, idempotency_key=f"join:{idempotency_key}" if idempotency_key
        else None, source="remote"))
    path = views.status_path(office, issued.ticket)
    return RedirectResponse(path, status_code=303)
