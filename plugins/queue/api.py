"""The queue's public API, under /api/v1/offices/{office}/queue (thin: the work is in the service modules)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core import auth
from core.auth import Principal
from core.config import OfficeConfig
from core.db import utcnow
from core.hookspecs import TicketRequest
from core.problems import Invalid, NotFound, Problem, Unavailable
from core.speech import SpeechError
from core.web.deps import ContextDep, Day, LanguageDep, OfficeDep, SessionDep, current_principal, office_of
from core.web.security import permitted, require
from core.web.sse import sse_response
from plugins.queue import announce, counters, lifecycle, tickets, views
from plugins.queue.live import live_projection, live_state
from plugins.queue.schemas import (
    AlertOut,
    BoardOut,
    CounterStateOut,
    CsvFile,
    EventStream,
    LiveOut,
    PublicTicketOut,
    ServiceOut,
    StaffTicketOut,
    StatsRowOut,
)
from plugins.queue.settings import settings_of
from plugins.queue.stats import statistics_by_day

api = APIRouter()
STAFF = require("guide", "admin")
VIEWERS = require("guide", "admin", "viewer")
MANAGERS = require("admin", "viewer")
ISSUER_ROLES, ISSUER_DEVICES = ("guide", "admin"), ("kiosk",)
MAX_STATS_DAYS = 366


class Errand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str | None = Field(default=None, max_length=64)
    answers: dict[str, str] = Field(default_factory=dict)
    interpreter: str | None = Field(default=None, max_length=16, description="language code of an interpreter "
                                    "the visitor asks for")


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str | None = Field(default=None, description="service id; omitted: the service for the errand")
    language: str | None = Field(default=None, description="the visitor's language (default: the office's)")
    errand: Errand = Field(default_factory=Errand)
    phone: str | None = Field(default=None, max_length=40, description="text the visitor when near the front")
    booked: bool = False
    idempotency_key: str | None = Field(default=None, max_length=100)


class CallNextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counter: str
    services: list[str] = Field(default_factory=list, description="empty: every service the counter serves")


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counter: str


class CounterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["open", "paused"]


class UrgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urgent: bool = True


class DoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["helped", "helped_self_service", "referred", "no_errand"] | None = Field(
        default=None, description="what came of the visit; referred needs referred_to")
    referred_to: str | None = Field(default=None, max_length=64, description="one of the office's referrals")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_service: str
    note: str | None = Field(default=None, max_length=1000)


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, max_length=40)


async def ticket_issuer(request: Request, session: SessionDep) -> Principal | None:
    """An enrolled kiosk or staff; anyone when the office lets visitors join from their own phone (then a
    visitor who happens to be logged in elsewhere joins like any other visitor). Run in the event loop. Like core's
    ``require``, it calls current_principal and reads the path's office (office_of) instead of declaring them:
    each dependency declared is one more for FastAPI to solve on every ticket issued."""
    office_config = office_of(request)
    principal = await current_principal(request, session)
    if not settings_of(office_config).remote_join:
        return permitted(request, office_config, principal, ISSUER_ROLES, ISSUER_DEVICES)
    if principal is None:
        return None
    try:
        return permitted(request, office_config, principal, ISSUER_ROLES, ISSUER_DEVICES)
    except Problem:
        return None


@api.get("/services", response_model=list[ServiceOut])
def list_services(session: SessionDep, request: Request, office: OfficeDep,
                  language: LanguageDep) -> list[dict[str, Any]]:
    """Services with their waiting count and estimated wait."""
    return views.services_view(session, office, language)


@api.post("/tickets", status_code=201, response_model=PublicTicketOut,
          responses={200: {"model": PublicTicketOut, "description": "the ticket this idempotency key already took"}})
def issue(session: SessionDep, request: Request, body: TicketIn, office: OfficeDep, ctx: ContextDep,
          principal: Principal | None = Depends(ticket_issuer),
          idempotency_key: Annotated[str | None, Header(max_length=100)] = None) -> JSONResponse:
    """Take a ticket. The same idempotency key (body or Idempotency-Key header) always gives the same ticket."""
    language = body.language or office.default_language
    if language not in office.languages:
        raise Invalid("invalid_request", f"{language!r} is not one of {list(office.languages)}", field="language")
    source = "remote" if principal is None else ("kiosk" if principal.kind == "device" else "staff")
    ticket_request = TicketRequest(language=language, service=body.service, category=body.errand.category,
                                   answers=body.errand.answers, interpreter=body.errand.interpreter,
                                   phone=body.phone,
                                   idempotency_key=body.idempotency_key or idempotency_key, source=source)
    issued = lifecycle.issue_ticket(session, office, ticket_request, booked=body.booked,
                                    can_text=views.texting_offered(ctx.hooks(office), office))
    if principal is not None and principal.kind == "user":
        auth.audit(session, principal, "queue.issue", office.id, ticket=issued.ticket.label)
    session.commit()  # at once: the line's number counter stays locked until then, holding back the next ticket
    view = views.public_ticket(session, office, issued.ticket, language, issued)
    return JSONResponse(view, status_code=201 if issued.created else 200)


@api.get("/tickets", response_model=list[StaffTicketOut])
def list_open_tickets(session: SessionDep, office: OfficeDep, language: LanguageDep,
                      services: Annotated[list[str] | None, Query()] = None,
                      _: Principal = Depends(STAFF)) -> list[dict[str, Any]]:
    """Waiting, called and serving tickets with their errands (staff only), in calling order."""
    return [views.staff_ticket(office, t, language) for t in tickets.open_tickets(session, office, services)]


def _visitor_language(request: Request, office: OfficeConfig, ticket: Any) -> str:
    """The language asked for (?lang=), else the one the visitor chose when taking the ticket."""
    asked = request.query_params.get("lang")
    return asked if asked in office.languages else ticket.language


@api.get("/tickets/{ticket_id}", response_model=PublicTicketOut)
def ticket_status(session: SessionDep, request: Request, ticket_id: str, office: OfficeDep) -> dict[str, Any]:
    """A ticket's public status: position, estimated wait, where to go when called. The id is the key."""
    ticket = tickets.get_ticket(session, office, ticket_id)
    return views.public_ticket(session, office, ticket, _visitor_language(request, office, ticket))


@api.get("/tickets/{ticket_id}/events", response_class=EventStream)
def ticket_events(request: Request, ticket_id: str, office: OfficeDep, ctx: ContextDep) -> Response:
    """Live hints for the visitor's page: refresh when the ticket or its line changes."""
    # In a session of its own, ended here: the request's would end in a further threadpool call, queued behind the
    # handlers of a crowd of phones opening their streams at once, each holding a pooled connection till then.
    with ctx.db.session() as session:
        line = tickets.get_ticket(session, office, ticket_id).service
    return sse_response(request, office.id, views.ticket_projection(ticket_id, line))


@api.post("/tickets/{ticket_id}/phone", response_model=PublicTicketOut)
def ticket_phone(session: SessionDep, request: Request, ticket_id: str, body: PhoneIn,
                 office: OfficeDep, ctx: ContextDep) -> dict[str, Any]:
    """The visitor asks for a text message when near the front (phone null withdraws it)."""
    ticket = lifecycle.set_phone(session, office, ticket_id, body.phone,
                                 can_text=views.texting_offered(ctx.hooks(office), office))
    return views.public_ticket(session, office, ticket, _visitor_language(request, office, ticket))


@api.post("/tickets/{ticket_id}/cancel", response_model=PublicTicketOut)
def ticket_cancel(session: SessionDep, request: Request, ticket_id: str, office: OfficeDep) -> dict[str, Any]:
    """Leave the line (the visitor, with the ticket's id, or staff)."""
    ticket = lifecycle.cancel(session, office, ticket_id)
    return views.public_ticket(session, office, ticket, _visitor_language(request, office, ticket))


@api.post("/call-next", response_model=StaffTicketOut, responses={204: {"description": "nobody waits"}})
def call_next(session: SessionDep, request: Request, body: CallNextIn, office: OfficeDep,
              language: LanguageDep, principal: Principal = Depends(STAFF)) -> Response:
    """Call the oldest waiting ticket for the counter's services: 200 with it, or 204 when nobody waits."""
    ticket = lifecycle.call_next(session, office, body.counter, body.services)
    if ticket is None:
        return Response(status_code=204)
    auth.audit(session, principal, "queue.call_next", office.id, ticket=ticket.label, counter=body.counter)
    # At once, in this handler's thread: the ticket's and the counter's row locks go with the commit, and the
    # session's end needs no second hand-over to the threadpool (core.web.deps.get_session).
    session.commit()
    return JSONResponse(views.staff_ticket(office, ticket, language))


@api.post("/tickets/{ticket_id}/call", response_model=StaffTicketOut)
def call_ticket(session: SessionDep, ticket_id: str, body: CallIn, office: OfficeDep, language: LanguageDep,
                principal: Principal = Depends(STAFF)) -> dict[str, Any]:
    """Call this waiting ticket (chosen by the guide, or on hold) to the counter: 409 when another guide called
    it first or the counter is paused."""
    ticket = lifecycle.call_ticket(session, office, ticket_id, body.counter)
    auth.audit(session, principal, "queue.call", office.id, ticket=ticket.label, counter=body.counter)
    return views.staff_ticket(office, ticket, language)


@api.post("/tickets/{ticket_id}/done", response_model=StaffTicketOut)
def ticket_done(session: SessionDep, ticket_id: str, office: OfficeDep, language: LanguageDep,
                body: DoneIn | None = None, principal: Principal = Depends(STAFF)) -> dict[str, Any]:
    """Staff: the visit is over, with its outcome (409 when the ticket was not called or served)."""
    body = body or DoneIn()
    ticket = lifecycle.done(session, office, ticket_id, outcome=body.outcome, referred_to=body.referred_to)
    auth.audit(session, principal, "queue.done", office.id, ticket=ticket.label, outcome=body.outcome)
    return views.staff_ticket(office, ticket, language)


@api.post("/tickets/{ticket_id}/urgent", response_model=StaffTicketOut)
def ticket_urgent(session: SessionDep, ticket_id: str, body: UrgentIn, office: OfficeDep, language: LanguageDep,
                  principal: Principal = Depends(STAFF)) -> dict[str, Any]:
    """Staff: flag the ticket urgent (it comes first and stands out), or take the flag off with false."""
    ticket = lifecycle.set_urgent(session, office, ticket_id, body.urgent)
    auth.audit(session, principal, "queue.urgent", office.id, ticket=ticket.label, urgent=body.urgent)
    return views.staff_ticket(office, ticket, language)


@api.put("/counters/{counter_id}", response_model=CounterStateOut)
def counter_state(session: SessionDep, counter_id: str, body: CounterIn, office: OfficeDep,
                  principal: Principal = Depends(STAFF)) -> dict[str, Any]:
    """Staff: pause a counter (nobody is called to it) or open it again."""
    state = counters.set_state(session, office, counter_id, body.state)
    auth.audit(session, principal, f"queue.counter_{state}", office.id, counter=counter_id)
    return {"counter": counter_id, "state": state}


@api.get("/counters/{counter_id}", response_model=CounterStateOut)
def counter_get(session: SessionDep, counter_id: str, office: OfficeDep,
                _: Principal = Depends(STAFF)) -> dict[str, Any]:
    """Staff: whether the counter is open or paused."""
    return {"counter": counter_id, "state": counters.state_of(session, office, counter_id)}


def _transition(action: str):  # type: ignore[no-untyped-def]
    step = {"recall": lifecycle.recall, "start": lifecycle.start, "no-show": lifecycle.no_show,
            "hold": lifecycle.hold, "resume": lifecycle.resume}[action]

    def endpoint(session: SessionDep, request: Request, ticket_id: str, office: OfficeDep,
                 language: LanguageDep, principal: Principal = Depends(STAFF)) -> dict[str, Any]:
        ticket = step(session, office, ticket_id)
        auth.audit(session, principal, f"queue.{action}", office.id, ticket=ticket.label)
        return views.staff_ticket(office, ticket, language)

    endpoint.__doc__ = f"Staff: {action} a ticket (409 when its state does not allow it)."
    endpoint.__name__ = f"ticket_{action.replace('-', '_')}"
    return endpoint


for _action in ("recall", "start", "no-show", "hold", "resume"):
    api.post(f"/tickets/{{ticket_id}}/{_action}", response_model=StaffTicketOut)(_transition(_action))


@api.post("/tickets/{ticket_id}/transfer", response_model=StaffTicketOut)
def ticket_transfer(session: SessionDep, request: Request, ticket_id: str, body: TransferIn, office: OfficeDep,
                    language: LanguageDep, principal: Principal = Depends(STAFF)) -> dict[str, Any]:
    """Staff: send the ticket to another service's line with a note for the next guide."""
    ticket = lifecycle.transfer(session, office, ticket_id, body.to_service, body.note)
    auth.audit(session, principal, "queue.transfer", office.id, ticket=ticket.label, to_service=body.to_service)
    return views.staff_ticket(office, ticket, language)


@api.get("/alerts", response_model=list[AlertOut])
def staff_alerts(session: SessionDep, office: OfficeDep, ctx: ContextDep, language: LanguageDep,
                 _: Principal = Depends(STAFF)) -> list[dict[str, Any]]:
    """What guides should act on now, from every enabled plugin (``mbk_staff_alerts``): e.g. visitors waiting
    for an officer nobody could tell. Staff of the office only."""
    alerts = [a for group in ctx.hooks(office).mbk_staff_alerts(office=office, session=session, language=language)
              for a in group]
    return [{"id": a.id, "text": a.text, "since": a.since.isoformat()}
            for a in sorted(alerts, key=lambda a: (a.order, a.since))]


@api.get("/board", response_model=BoardOut)
def board(session: SessionDep, request: Request, office: OfficeDep,
          language: LanguageDep) -> dict[str, Any]:
    """What the display board shows: last calls and waiting counts (no names, errands or phone numbers)."""
    return views.board_state(session, office, language)


@api.get("/board/events", response_class=EventStream)
def board_events(request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep) -> Response:
    """The board's live stream (server-sent events): first the whole state (again after every reconnect),
    then every call, and a hint when the counts change."""
    # Read once the stream listens, so a call committed meanwhile is not lost; in a session of its own, as the
    # request's session has ended by then.
    def state() -> dict[str, Any]:
        with ctx.db.session() as session:
            return views.board_state(session, office, language)

    return sse_response(request, office.id, views.board_projection(office), initial=state)


@api.get("/live", response_model=LiveOut)
def live(session: SessionDep, office: OfficeDep, ctx: ContextDep, language: LanguageDep,
         _: Principal = Depends(MANAGERS)) -> dict[str, Any]:
    """The manager's live view (admins and viewers): waiting per service and the longest wait, counters, today's
    totals, and other plugins' figures (``mbk_live_figures``)."""
    return live_state(session, office, ctx.hooks(office), language)


@api.get("/live/events", response_class=EventStream)
def live_events(request: Request, office: OfficeDep, ctx: ContextDep, language: LanguageDep,
                _: Principal = Depends(MANAGERS)) -> Response:
    """The live view's stream: the whole state first (again after every reconnect), then a hint to read it again
    whenever an event of the office is committed."""
    def state() -> dict[str, Any]:
        with ctx.db.session() as session:
            return live_state(session, office, ctx.hooks(office), language)

    return sse_response(request, office.id, live_projection, initial=state)


def _stats_range(first: date | None, last: date | None, office: OfficeConfig) -> tuple[date, date]:
    today = tickets.local_day(office, utcnow())
    last = last or today
    first = first or last - timedelta(days=6)
    if first > last:
        raise Invalid("invalid_request", "must not be after to", field="from")
    if (last - first).days >= MAX_STATS_DAYS:
        raise Invalid("invalid_request", f"at most {MAX_STATS_DAYS} days at a time", field="from")
    return first, last


def _stats_rows(session: Session, office: OfficeConfig, first: date | None, last: date | None) -> list[dict[str, Any]]:
    start, end = _stats_range(first, last, office)
    return [{"day": s.day.isoformat(), "service": s.service, "issued": s.issued, "served": s.served,
             "no_shows": s.no_shows, "cancelled": s.cancelled, "urgent": s.urgent, "interpreter": s.interpreter,
             "helped": s.helped, "helped_self_service": s.helped_self_service, "referred": s.referred,
             "no_errand": s.no_errand,
             "wait_median_minutes": _round(s.wait_median_minutes), "wait_p90_minutes": _round(s.wait_p90_minutes),
             "service_median_minutes": _round(s.service_median_minutes),
             "service_p90_minutes": _round(s.service_p90_minutes)}
            for s in statistics_by_day(session, office, start, end)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


@api.get("/stats", response_model=list[StatsRowOut])
def stats(session: SessionDep, office: OfficeDep,
          first: Annotated[Day | None, Query(alias="from")] = None,
          last: Annotated[Day | None, Query(alias="to")] = None,
          _: Principal = Depends(VIEWERS)) -> list[dict[str, Any]]:
    """Per service and day (office-local, inclusive range; default the last 7 days)."""
    return _stats_rows(session, office, first, last)


@api.get("/stats.csv", response_class=CsvFile)
def stats_csv(session: SessionDep, office: OfficeDep,
              first: Annotated[Day | None, Query(alias="from")] = None,
              last: Annotated[Day | None, Query(alias="to")] = None,
              _: Principal = Depends(VIEWERS)) -> Response:
    rows = _stats_rows(session, office, first, last)
    out = io.StringIO()
    columns = ["day", "service", "issued", "served", "no_shows", "cancelled", "wait_median_minutes",
               "wait_p90_minutes", "service_median_minutes", "service_p90_minutes", "urgent", "interpreter",
               "helped", "helped_self_service", "referred", "no_errand"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="queue-{office.id}.csv"'})


@api.get("/announcement.wav", response_class=Response,
         responses={200: {"content": {"audio/wav": {}}, "description": "The call, spoken (16-bit mono WAV)"}})
def announcement(office: OfficeDep, ctx: ContextDep, language: Annotated[str, Query(max_length=8)],
                 number: Annotated[str, Query(max_length=8, description="the ticket number, e.g. B012")],
                 counter: Annotated[str | None, Query(max_length=64, description="the counter's id")] = None,
                 seat: Annotated[int | None, Query(description="or the public computer's number")] = None
                 ) -> Response:
    """A call as the display board says it, put together from the office's speech clips (recorded ones first,
    else espeak-ng's): "Number B012, Desk 2". 404 for a language without clips (the board then uses the
    browser's voice)."""
    if language not in office.languages:
        raise Invalid("invalid_request", f"{language!r} is not one of {list(office.languages)}", field="language")
    if wrong := announce.problem(office, number, counter, seat):
        raise Invalid("invalid_request", wrong[1], field=wrong[0])
    if not ctx.speech.has_set(language):
        raise NotFound("no_clips", f"No speech clips for {language!r} at this office: the board uses the browser's "
                       f"voice (record them in the deployment's speech/{language}/ folder; `mbk check` lists them).")
    wanted = announce.clips(office, ctx.speech, language, number, counter, seat)
    try:
        still = ctx.speech.ensure(language, wanted)
        if still:
            raise NotFound("clips_missing", f"Clips missing for {language!r}: "
                           + ", ".join(f"{c.name}.wav ({c.text!r})" for c in still))
        body = ctx.speech.assemble(language, wanted)
    except SpeechError as exc:
        raise Unavailable("speech_failed", f"The announcement could not be made: {exc}") from None
    return Response(body, media_type="audio/wav", headers={"Cache-Control": "public, max-age=3600"})
