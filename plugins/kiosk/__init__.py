"""The kiosk plugin: the entrance touch screen (arrivals and their escalation, errand guides, talk to a guide,
tiles)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.config import ConfigProblem, OfficeConfig
from core.db import utcnow
from core.events import DomainEvent, Event
from core.hookspecs import AdminPanel, DeviceInfo, KioskTile, LiveFigure, PageLink, StaffAlert
from core.i18n import N_
from core.plugins import Plugin, hookimpl
from plugins.kiosk import api, arrivals, models, pages, printing, service, speech  # noqa: F401  (models: tables on Base)
from plugins.kiosk.background import start_background
from plugins.kiosk.events import EVENT_TYPES
from plugins.kiosk.settings import KioskSettings

HERE = Path(__file__).resolve().parent
# What messengers publish about a message they were asked to send (see arrivals.handle_message_outcome).
MESSAGE_OUTCOMES = ("message.sent", "message.failed")
PANEL_DAYS = 14


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="kiosk", description="The entrance touch screen",
                  settings_model=KioskSettings, api_router=api.router, page_router=pages.router,
                  templates=HERE / "templates", static=HERE / "static", locale=HERE / "locale",
                  migrations=HERE / "migrations")


@hookimpl
def mbk_event_types() -> list[type[DomainEvent]]:
    return EVENT_TYPES


@hookimpl
def mbk_validate_office(office: OfficeConfig) -> list[ConfigProblem | str]:
    return [ConfigProblem(str(office.source), path, message) for path, message in service.validate(office)]


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    return [PageLink(label=N_("Kiosk (entrance screen)"), path=f"/{office.id}/kiosk", audience="kiosk", order=10)]


@hookimpl
def mbk_kiosk_tiles(office: OfficeConfig, language: str) -> list[KioskTile]:
    return service.own_tiles(office, language)


@hookimpl
def mbk_speech_phrases(office: OfficeConfig, language: str) -> list[str]:
    return speech.spoken(office, language)


@hookimpl
def mbk_admin_panels(office: OfficeConfig, session: Session, language: str) -> list[AdminPanel]:
    since = utcnow().astimezone(office.tz).date() - timedelta(days=PANEL_DAYS - 1)
    rows = service.usage(session, office, since)
    _ = service.translations.gettext(language)
    panels = [AdminPanel(id="kiosk-usage", title=_("Kiosk: choices and guides used"), template="kiosk/panel.html",
                         context={"summary": service.summarize(rows, language), "days": PANEL_DAYS}, order=30)]
    printers = service.settings(office).printers
    if printers:
        lines = printing.printer_lines(session, office, printers, language)
        panels.append(AdminPanel(id="kiosk-printers", title=_("Kiosk: ticket printers"), order=25,
                                 template="kiosk/printers_panel.html", context={"printers": lines}))
    return panels


@hookimpl
def mbk_handle_event(event: Event, office: OfficeConfig, session: Session) -> None:
    if event.type in MESSAGE_OUTCOMES:
        arrivals.handle_message_outcome(session, office, event)


@hookimpl
def mbk_handled_events(office: OfficeConfig) -> tuple[str, ...]:
    return MESSAGE_OUTCOMES


@hookimpl
def mbk_staff_alerts(office: OfficeConfig, session: Session, language: str) -> list[StaffAlert]:
    return [*arrivals.staff_alerts(session, office, language, utcnow()),
            *printing.staff_alerts(session, office, service.settings(office).printers, language)]


@hookimpl
def mbk_live_figures(office: OfficeConfig, session: Session, language: str, now: datetime) -> list[LiveFigure]:
    return [service.arrivals_waiting(session, office, language, now, arrivals.ALERT_HOURS)]


@hookimpl
def mbk_device_status(office: OfficeConfig, session: Session, device: DeviceInfo, language: str) -> list[str]:
    if device.kind != "kiosk":
        return []
    return printing.device_status(session, office, service.settings(office).printers, device.name, language)


@hookimpl
def mbk_startup(app: Any, context: Any) -> None:
    app.state.kiosk_background = start_background(context)


@hookimpl
def mbk_shutdown(app: Any, context: Any) -> None:
    for work in getattr(app.state, "kiosk_background", []):
        work.stop()


@hookimpl
def mbk_purge(office: OfficeConfig, session: Session, now: datetime) -> dict[str, int]:
    return service.purge(session, office, now)
