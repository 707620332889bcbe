"""The appointments plugin: booked meetings from the officers' calendars (ICS, CalDAV), staff entry and online
booking; the kiosk's arrival finds the meeting. Hook implementations only; the logic is in the service modules.
It reaches the kiosk, the queue and notify only through hooks and its events (events.py), never by import."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.config import ConfigProblem, OfficeConfig
from core.db import utcnow
from core.events import DomainEvent, Event
from core.hookspecs import AdminPanel, AppointmentMatch, AppointmentQuery, PageLink
from core.i18n import N_
from core.plugins import Plugin, hookimpl
from plugins.appointments import (  # noqa: F401  (models: the tables on core's Base)
    api,
    arrival,
    lifecycle,
    models,
    pages,
    service,
    stats,
    views,
    worker,
)
from plugins.appointments.events import EVENT_TYPES
from plugins.appointments.settings import AppointmentsSettings

HERE = Path(__file__).resolve().parent
PANEL_DAYS = 14


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="appointments", version="0.1.0",
                  description="Booked meetings from calendars, staff entry and online booking; arrival at the kiosk",
                  settings_model=AppointmentsSettings, api_router=api.router, page_router=pages.pages,
                  templates=HERE / "templates",
                  locale=HERE / "locale", migrations=HERE / "migrations")


@hookimpl
def mbk_event_types() -> list[type[DomainEvent]]:
    return EVENT_TYPES


@hookimpl
def mbk_validate_office(office: OfficeConfig) -> list[ConfigProblem | str]:
    return [ConfigProblem(str(office.source), path, message) for path, message in service.validate(office)]


@hookimpl
def mbk_find_appointment(office: OfficeConfig, session: Session, query: AppointmentQuery, language: str,
                         now: datetime) -> AppointmentMatch | None:
    return arrival.find(session, office, query, language, now)


HANDLED_EVENTS = ("visitor.arrived",)


@hookimpl
def mbk_handle_event(event: Event, office: OfficeConfig, session: Session) -> None:
    if event.type in HANDLED_EVENTS:
        arrival.mark_arrived(session, office, event)


@hookimpl
def mbk_handled_events(office: OfficeConfig) -> tuple[str, ...]:
    return HANDLED_EVENTS


@hookimpl
def mbk_purge(office: OfficeConfig, session: Session, now: datetime) -> dict[str, int]:
    return lifecycle.purge(session, office, now)


@hookimpl
def mbk_cli(cli: Any) -> None:
    from plugins.appointments.cli import appointments_cli

    cli.add_typer(appointments_cli, name="appointments")


@hookimpl
def mbk_startup(app: Any, context: Any) -> None:
    worker.start(app, context)


@hookimpl
def mbk_shutdown(app: Any, context: Any) -> None:
    worker.stop(app)


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    links = [PageLink(label=N_("Booked meetings today"), path=f"/{office.id}/appointments/day", audience="staff",
                      order=40)]
    if any(s.online for s in service.settings_of(office).services):
        links.append(PageLink(label=N_("Book a time"), path=f"/{office.id}/appointments/book", audience="visitor",
                              order=16))
    return links


@hookimpl
def mbk_admin_panels(office: OfficeConfig, session: Session, language: str) -> list[AdminPanel]:
    last = service.local_today(office, utcnow())
    first = last - timedelta(days=PANEL_DAYS - 1)
    rows = views.stat_rows(office, stats.statistics(session, office, first, last), language)
    _ = service.translations.gettext(language)
    return [AdminPanel(id="appointments-stats", title=_("Booked meetings: last %(days)s days", days=PANEL_DAYS),
                       template="appointments/panel.html", order=25,
                       context={"rows": rows, "days": PANEL_DAYS, "first": first.isoformat(),
                                "last": last.isoformat()})]
