"""The types of the plugin contract: what a plugin registers (``Plugin``) and the data its hooks pass.

Data only; core.hookspecs declares the hooks, core.plugins loads plugins and calls them. Both re-export these
names, so a plugin imports them from either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from fastapi import APIRouter


@dataclass(frozen=True)
class Plugin:
    """What a plugin is made of. Folders are optional; a plugin may have just a name.

    ``version``: leave it empty and core reads it from the installed distribution that provides the plugin.
    ``core_versions``: the versions of core (the ``medborgarkontor`` distribution) the plugin works with, as a
    PEP 440 specifier (``">=0.1,<0.3"``); start-up stops with a clear message on any other version of core.
    """

    name: str
    version: str = ""
    description: str = ""
    settings_model: type[BaseModel] | None = None
    api_router: APIRouter | None = None
    page_router: APIRouter | None = None
    templates: Path | None = None
    static: Path | None = None
    locale: Path | None = None
    migrations: Path | None = None
    core_versions: str = ""


@dataclass(frozen=True)
class PageLink:
    """A page a plugin serves for an office, listed on the landing page and by ``make run``."""

    label: str
    path: str
    audience: str = "visitor"  # visitor | staff | kiosk | display | tablet (a device goes to its first link)
    order: int = 100


@dataclass(frozen=True)
class KioskTile:
    """A big choice on the kiosk start screen. Either a link (``href``) or a ticket for ``ticket_service``."""

    id: str
    label: str
    description: str = ""
    icon: str = ""
    order: int = 100
    href: str | None = None
    ticket_service: str | None = None


@dataclass(frozen=True)
class TicketService:
    """A service that takes queue tickets, with its current load."""

    id: str
    name: str
    waiting: int
    estimated_wait_minutes: int | None
    seats: int | None = None
    # Places free right now (a ticket taken now is seated at once); None for a service without places.
    seats_free: int | None = None


@dataclass(frozen=True)
class TicketRequest:
    """Ask the office's queue for a ticket. ``service`` None means the service for ``category``.

    ``category_title`` is the errand category's name as the office's staff read it (in the office's staff
    language, Swedish by default), for the guide's console; without it the queue shows ``category`` itself.
    ``urgent``: the visitor's answers mark an urgent need (the office's settings say which), so the ticket comes
    first and stands out for the guides. ``interpreter``: the language (a code such as ``"ti"``) the visitor
    asked an interpreter for."""

    language: str
    service: str | None = None
    category: str | None = None
    category_title: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    phone: str | None = None
    idempotency_key: str | None = None
    source: str = "kiosk"
    urgent: bool = False
    interpreter: str | None = None
    # A visitor with a booked time (an appointment): called first where the queue's office sets booked_first.
    booked: bool = False


@dataclass(frozen=True)
class TicketReceipt:
    id: str
    number: str
    service: str
    service_name: str
    position: int
    estimated_wait_minutes: int | None
    status_path: str
    # Where to go now, in the visitor's language, when the ticket was called at once (e.g. "Computer 3": a
    # free public computer); None while it waits.
    called_to: str | None = None


@dataclass(frozen=True)
class Addressee:
    """Whom a message would go to: the officer (or else the unit) a visitor has come to meet, or the visitor
    themselves (by text message, to the phone number they would give)."""

    officer_id: str | None = None
    unit_id: str | None = None
    visitor: bool = False


@dataclass(frozen=True)
class StaffAlert:
    """Something the office's staff should act on now (e.g. a visitor whose officer could not be told), for
    the guides' console. ``text`` is already translated; ``since`` says how long it has been waiting."""

    id: str
    text: str
    since: datetime
    order: int = 100


@dataclass(frozen=True)
class LiveFigure:
    """A figure for the office manager's live view (e.g. visitors waiting for an officer, devices offline):
    ``label`` already translated, ``value`` how many now, ``since`` when the oldest of them started (UTC; the
    view shows how long), or None."""

    id: str
    label: str
    value: int
    since: datetime | None = None
    order: int = 100


@dataclass(frozen=True)
class Failure:
    """Something of a plugin's own work at an office that failed for good and may need someone (e.g. a message
    that could not be sent), for the admins' "What failed" page. Texts already translated; ``at`` is when the
    work was made (UTC). ``retry_path``: a POST form target of the plugin that tries again (it gets
    ``csrf_token``, and ``next``, the page to send the browser back to), or None."""

    id: str
    kind: str
    summary: str
    at: datetime
    error: str
    attempts: int = 0
    retry_path: str | None = None
    page: str | None = None


@dataclass(frozen=True)
class AppointmentQuery:
    """What a visitor arriving at the kiosk gives to find today's meeting: the booking code from the
    confirmation, or the officer (or unit) they meet and, if they chose it, the meeting's start."""

    code: str | None = None
    officer_id: str | None = None
    unit_id: str | None = None
    start: datetime | None = None


@dataclass(frozen=True)
class AppointmentMatch:
    """Today's meeting found for an arrival, or why none was. It never holds the visitor's name (the kiosk
    shows no visitor's name). ``appointment_id`` None with no ``refusal``: no meeting found, nothing wrong (an
    arrival without a booking goes on as before). ``refusal`` is the reason for the visitor, already in their
    language, with ``reason`` for machines: ``unknown``, ``other_day``, ``too_early``, ``too_late``,
    ``cancelled``. ``ticket_service``: a meeting with the office's own guides, who call the visitor from the
    queue: the kiosk asks for a booked ticket for that service."""

    appointment_id: str | None = None
    officer_id: str | None = None
    unit_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    ticket_service: str | None = None
    reason: str | None = None
    refusal: str | None = None
    # Asked by officer or unit without a start: the starts of their meetings the visitor may arrive for now
    # (times only), from which the visitor chooses theirs.
    choices: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class AdminPanel:
    """A panel on the office's admin dashboard, rendered by core (as NetBox renders template extensions).

    ``template`` is one of the plugin's templates, named with the plugin's prefix (``"queue/stats_panel.html"``);
    core renders it with ``context`` plus ``office``, ``lang``, ``dir``, ``_`` and ``ngettext`` in the
    dashboard's language (the plugin's catalogs first, then core's) and places it in the dashboard's panel
    frame. ``title`` is already translated into the ``language`` the hook was given."""

    id: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class DeviceInfo:
    """An enrolled kiosk, display board or survey tablet, as the office's device list shows it."""

    id: int
    kind: str  # kiosk | display | tablet
    name: str
    state: str  # active | offline | not enrolled | expired | revoked
    last_seen_at: datetime | None = None
