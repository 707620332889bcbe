"""The queue plugin: digital tickets, call-next for guides, the live display board, the visitor's phone page,
public computers, statistics. Hook implementations only; the logic is in the service modules
(tickets, numbering, lifecycle, seats, estimates, stats)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.config import ConfigProblem, OfficeConfig
from core.db import utcnow
from core.events import DomainEvent
from core.hookspecs import AdminPanel, KioskTile, PageLink, TicketReceipt, TicketRequest, TicketService
from core.plugins import Plugin, hookimpl
from core.speech import Clip
from plugins.queue import (
    announce,
    estimates,
    lifecycle,
    models,  # noqa: F401  (importing models registers the tables on Base)
    retention,
    seats,
    tickets,
    views,
)
from plugins.queue.api import api
from plugins.queue.audit import audit_text
from plugins.queue.charts import PANEL_DAYS, stats_panel_context
from plugins.queue.events import EVENT_TYPES
from plugins.queue.i18n import translations
from plugins.queue.metrics import queue_families
from plugins.queue.models import CALLED, SERVING
from plugins.queue.outcomes import PANEL_WEEKS, outcomes_panel_context
from plugins.queue.pages import pages
from plugins.queue.settings import QueueSettings, settings_of, validate_settings
from plugins.queue.stats import statistics_by_day

HERE = Path(__file__).resolve().parent
SEAT_SWEEP_SECONDS = 30
log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="queue",
                  description="Digital queue tickets, guide console, live display board, public computers",
                  settings_model=QueueSettings, api_router=api, page_router=pages, templates=HERE / "templates",
                  static=HERE / "static", locale=HERE / "locale", migrations=HERE / "migrations")


@hookimpl
def mbk_event_types() -> list[type[DomainEvent]]:
    return EVENT_TYPES


@hookimpl
def mbk_validate_office(office: OfficeConfig) -> list[ConfigProblem | str]:
    settings = settings_of(office)
    return [ConfigProblem(str(office.source), f"plugins.queue.{path}", message)
            for path, message in validate_settings(settings, office.languages)]


@hookimpl
def mbk_speech_phrases(office: OfficeConfig, language: str) -> list[str | Clip]:
    return announce.spoken(office, language)


@hookimpl
def mbk_issue_ticket(office: OfficeConfig, session: Session, request: TicketRequest) -> TicketReceipt | None:
    # refusals are core Problems, as the contract says; a booked visitor is called first where booked_first is set
    issued = lifecycle.issue_ticket(session, office, request, booked=request.booked)
    ticket = issued.ticket
    service = settings_of(office).service(ticket.service)
    return TicketReceipt(id=ticket.public_id, number=ticket.label, service=ticket.service,
                         service_name=service.name.get_text(ticket.language) if service else ticket.service,
                         position=issued.position, estimated_wait_minutes=issued.estimated_wait_minutes,
                         status_path=views.status_path(office, ticket),
                         called_to=(tickets.counter_name(office, ticket.counter, ticket.seat, ticket.language)
                                    if ticket.status in (CALLED, SERVING) else None))


@hookimpl
def mbk_ticket_services(office: OfficeConfig, session: Session, language: str) -> list[TicketService]:
    return [TicketService(id=load.service.id, name=load.service.name.get_text(language), waiting=load.waiting,
                          estimated_wait_minutes=load.estimated_wait_minutes, seats=load.service.seats,
                          seats_free=load.seats_free)
            for load in estimates.service_loads(session, office) if load.open]


@hookimpl
def mbk_kiosk_tiles(office: OfficeConfig, language: str) -> list[KioskTile]:
    _ = translations.gettext(language)
    return [KioskTile(id="computer", label=_("I want to use a computer"),
                      description=_("Get a place at one of our public computers."), icon="computer", order=50,
                      ticket_service=service.id)
            for service in settings_of(office).seat_services[:1]]


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    # Labels are msgids: the landing page translates them.
    return [PageLink(label=N_("Queue display board"), path=f"/{office.id}/queue/board", audience="display",
                     order=20),
            PageLink(label=N_("Guide console"), path=f"/{office.id}/queue/console", audience="staff", order=30),
            PageLink(label=N_("Live view"), path=f"/{office.id}/queue/live", audience="staff", order=35),
            *([PageLink(label=N_("Take a queue ticket"), path=f"/{office.id}/queue/join", audience="visitor",
                        order=15)] if settings_of(office).remote_join else [])]


@hookimpl
def mbk_admin_panels(office: OfficeConfig, session: Session, language: str) -> list[AdminPanel]:
    _ = translations.gettext(language)
    today = tickets.local_day(office, utcnow())
    rows = statistics_by_day(session, office, today - timedelta(days=PANEL_DAYS - 1), today)
    weeks = statistics_by_day(session, office, today - timedelta(weeks=PANEL_WEEKS) + timedelta(days=1), today)
    return [AdminPanel(id="queue-stats", title=_("Queue: last 14 days"), template="queue/stats_panel.html",
                       context=stats_panel_context(office, rows, language, today), order=20),
            # Beside the survey's empowerment indicators (order 50): how often visitors did it themselves.
            AdminPanel(id="queue-outcomes", title=_("Outcomes of visits by week"),
                       template="queue/outcomes_panel.html", context=outcomes_panel_context(office, weeks, _, language),
                       order=51)]


@hookimpl
def mbk_audit_text(office: OfficeConfig, action: str, detail: dict[str, Any], language: str) -> str | None:
    return audit_text(office, action, detail, language)


@hookimpl
def mbk_metrics(office: OfficeConfig, session: Session, now: datetime) -> list[Any]:
    return list(queue_families(office, session, now))


@hookimpl
def mbk_purge(office: OfficeConfig, session: Session, now: datetime) -> dict[str, int]:
    return retention.purge(session, office, now)


class SeatSweeper:
    """Frees public computers past their time limit even when nobody takes a ticket (each process; seats are
    locked while assigned, so several processes sweeping at once is harmless)."""

    def __init__(self, context: Any):
        self.context = context
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-seats", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sweep(self) -> None:
        for office in self.context.deployment.offices.values():
            if not office.enables("queue"):
                continue
            for service in settings_of(office).seat_services:
                with self.context.db.session() as session:
                    seats.assign_seats(session, office, service)

    def _run(self) -> None:
        while not self._stop.wait(SEAT_SWEEP_SECONDS):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeping for good
                log.exception("freeing public computers failed; trying again")


_sweepers: dict[int, SeatSweeper] = {}


@hookimpl
def mbk_startup(app: Any, context: Any) -> None:
    sweeper = SeatSweeper(context)
    _sweepers[id(app)] = sweeper
    sweeper.start()


@hookimpl
def mbk_shutdown(app: Any, context: Any) -> None:
    sweeper = _sweepers.pop(id(app), None)
    if sweeper is not None:
        sweeper.stop()
