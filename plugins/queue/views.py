"""What each audience may see of the queue: the visitor's ticket, the guide's ticket, the display board.

The board and the visitor's page never get names, errands, answers or phone numbers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import utcnow
from core.events import Event
from core.hookspecs import Addressee
from core.i18n import language_label
from core.web.sse import Projection
from plugins.queue import estimates, lifecycle, tickets
from plugins.queue.models import Ticket
from plugins.queue.settings import settings_of

BOARD_CALLS = 8
TICKET_EVENTS = ("ticket.issued", "ticket.called", "ticket.started", "ticket.done", "ticket.no_show",
                 "ticket.cancelled", "ticket.transferred", "ticket.held", "ticket.resumed", "ticket.urgent")


def status_path(office: OfficeConfig, ticket: Ticket) -> str:
    return f"/{office.id}/queue/t/{ticket.public_id}"


def counter_names(office: OfficeConfig, counter: str | None, seat: int | None) -> dict[str, str]:
    return {lang: tickets.counter_name(office, counter, seat, lang) for lang in office.languages}


def texting_offered(hooks: Any, office: OfficeConfig) -> bool:
    """Whether any enabled plugin would text a visitor near the front (asked through ``mbk_message_reach``,
    whichever plugin that is): only then does a page offer "text me"."""
    answers = hooks.mbk_message_reach(office=office, event_type="ticket.near", addressee=Addressee(visitor=True))
    return any("sms" in channels for channels in answers)


def _ticket_heading(office: OfficeConfig, ticket: Ticket, language: str) -> dict[str, Any]:
    """What both views of a ticket begin with: which ticket, its line (named in ``language``) and its status."""
    service = settings_of(office).service(ticket.service)
    return {
        "id": ticket.public_id,
        "number": ticket.label,
        "service": ticket.service,
        "service_name": service.name.get_text(language) if service else ticket.service,
        "status": ticket.status,
    }


def public_ticket(session: Session, office: OfficeConfig, ticket: Ticket, language: str,
                  issued: lifecycle.IssuedTicket | None = None) -> dict[str, Any]:
    """The visitor's view (phone page, kiosk receipt, API); ``issued`` saves computing the position again."""
    position = issued.position if issued else tickets.position_of(session, office, ticket)
    estimate = (issued.estimated_wait_minutes if issued
                else estimates.estimate_for(session, office, ticket.service, position, utcnow()))
    return {
        **_ticket_heading(office, ticket, language),
        "held": ticket.held_at is not None,
        "position": position,
        "ahead": max(0, position - 1),
        "estimated_wait_minutes": estimate,
        "counter": ticket.counter,
        "counter_name": (tickets.counter_name(office, ticket.counter, ticket.seat, language)
                         if ticket.counter or ticket.seat is not None else None),
        "seat": ticket.seat,
        "language": ticket.language,
        "text_requested": ticket.phone is not None,
        "issued_at": ticket.issued_at.isoformat(),
        "status_path": status_path(office, ticket),
    }


def staff_ticket(office: OfficeConfig, ticket: Ticket, language: str) -> dict[str, Any]:
    """The guide's view: the errand the visitor registered, never the phone number itself."""
    return {
        **_ticket_heading(office, ticket, language),
        "booked": ticket.booked,
        "urgent": ticket.urgent,
        "held": ticket.held_at is not None,
        "held_at": ticket.held_at.isoformat() if ticket.held_at else None,
        "language": ticket.language,
        "language_name": language_label(ticket.language, language),
        "interpreter": ticket.interpreter,
        "interpreter_name": language_label(ticket.interpreter, language) if ticket.interpreter else None,
        "category": ticket.category,
        "category_title": ticket.category_title or ticket.category,
        "answers": ticket.answers or {},
        "note": ticket.note,
        "transferred_from": ticket.transferred_from,
        "counter": ticket.counter,
        "seat": ticket.seat,
        "recalls": ticket.recalls,
        "text_requested": ticket.phone is not None,
        "issued_at": ticket.issued_at.isoformat(),
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "started_at": ticket.started_at.isoformat() if ticket.started_at else None,
        "outcome": ticket.outcome,
        "referred_to": ticket.referred_to,
    }


def services_view(session: Session, office: OfficeConfig, language: str) -> list[dict[str, Any]]:
    return [{"id": load.service.id, "prefix": load.service.prefix, "name": load.service.name.get_text(language),
             "waiting": load.waiting, "estimated_wait_minutes": load.estimated_wait_minutes, "open": load.open,
             "seats": load.service.seats, "seats_free": load.seats_free}
            for load in estimates.service_loads(session, office)]


def board_call(office: OfficeConfig, number: str, service: str, counter: str | None, seat: int | None,
               recall: bool, at: str | None) -> dict[str, Any]:
    return {"number": number, "service": service, "counter": counter,
            "counter_names": counter_names(office, counter, seat), "seat": seat, "recall": recall, "at": at}


def board_state(session: Session, office: OfficeConfig, language: str) -> dict[str, Any]:
    """Waiting counts and estimates per service, and the last calls of today (newest first)."""
    today = tickets.local_day(office, utcnow())
    recent = session.scalars(select(Ticket).where(Ticket.office_id == office.id, Ticket.day == today,
                                                  Ticket.called_at.is_not(None))
                             .order_by(Ticket.called_at.desc(), Ticket.id.desc()).limit(BOARD_CALLS)).all()
    return {
        "services": services_view(session, office, language),
        "calls": [board_call(office, t.label, t.service, t.counter, t.seat, False, t.called_at.isoformat())
                  for t in recent if t.called_at is not None],
    }


_boards: dict[int, tuple[OfficeConfig, Projection]] = {}


def board_projection(office: OfficeConfig) -> Projection:
    """Events → what the board may show: calls in full (number and where to go), other changes as a hint. The same
    function for every board of the office, so their streams share it (core.web.sse)."""
    known = _boards.get(id(office))
    if known is not None and known[0] is office:
        return known[1]

    def project(event: Event) -> dict[str, Any] | None:
        if event.type not in TICKET_EVENTS:
            return None
        payload = event.payload
        if event.type == "ticket.called":
            counter = payload.get("counter")
            seat = int(payload["seat"]) if payload.get("seat") else None
            return board_call(office, payload["number"], payload["service"], counter, seat,
                              bool(payload.get("recall")), event.created_at.isoformat())
        return {"service": payload.get("service")}

    _boards[id(office)] = (office, project)
    return project


@cache
def line_hints(line: str) -> Projection:
    """Events → a hint for the visitors' pages of a line to refresh: one function per line, shared by its pages."""

    def project(event: Event) -> dict[str, Any] | None:
        if event.type not in TICKET_EVENTS:
            return None
        payload = event.payload
        return {"changed": True} if line in (payload.get("service"), payload.get("to_service")) else None

    return project


class TicketHints:
    """Events → a hint for one visitor's page to refresh: events of its own ticket or of its line. Every event of a
    ticket names the line it is in (a transfer: the line it leaves), so the page sees what ``line_hints`` of its
    ticket's line sees, and moves to the new line's when its ticket is transferred (core.web.sse.Moving)."""

    def __init__(self, ticket_id: str, service: str):
        self.ticket_id = ticket_id
        self.line = service

    def __call__(self, event: Event) -> dict[str, Any] | None:
        if event.type not in TICKET_EVENTS:
            return None
        if event.payload.get("ticket_id") == self.ticket_id:
            self.moved(event)
            return {"changed": True}
        return line_hints(self.line)(event)

    def shared(self) -> Projection:
        return line_hints(self.line)

    def moved(self, event: Event) -> Projection | None:
        """The line's hints to see from now on, when ``event`` moved this ticket to another line."""
        payload = event.payload
        if (event.type == "ticket.transferred" and payload.get("ticket_id") == self.ticket_id
                and payload["to_service"] != self.line):
            self.line = payload["to_service"]
            return line_hints(self.line)
        return None


def ticket_projection(ticket_id: str, service: str) -> TicketHints:
    return TicketHints(ticket_id, service)
