"""The notify plugin: messages to case officers (arrivals) and visitors (their turn), never lost, never doubled.

Hooks stay thin: events become message rows (service.py); a sender thread (worker.py) sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from core.config import ConfigProblem, OfficeConfig
from core.events import DomainEvent, EventTypes
from core.hookspecs import Addressee, AdminPanel, Failure, PageLink
from core.plugins import Plugin, hookimpl
from plugins.notify import service
from plugins.notify.api import api
from plugins.notify.events import EVENT_TYPES
from plugins.notify.metrics import notify_families
from plugins.notify.pages import pages
from plugins.notify.panel import admin_panel, failures
from plugins.notify.settings import NotifySettings
from plugins.notify.worker import start_sender, wake_senders

HERE = Path(__file__).resolve().parent


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="notify", description="E-mail, SMS and chat messages to case officers and visitors",
                  settings_model=NotifySettings, api_router=api, page_router=pages, templates=HERE / "templates",
                  migrations=HERE / "migrations", locale=HERE / "locale")


@hookimpl
def mbk_validate_office(office: OfficeConfig, event_types: EventTypes) -> list[ConfigProblem | str]:
    return list(service.validate_office(office, event_types))


@hookimpl
def mbk_event_types() -> list[type[DomainEvent]]:
    return EVENT_TYPES


@hookimpl
def mbk_handle_event(event: Any, office: OfficeConfig, session: Any) -> None:
    if service.handle_event(event, office, session):
        sa_event.listen(session, "after_commit", lambda _session: wake_senders(), once=True)


@hookimpl
def mbk_handled_events(office: OfficeConfig) -> set[str]:
    return service.handled_events(office)


@hookimpl
def mbk_message_reach(office: OfficeConfig, event_type: str, addressee: Addressee) -> list[str]:
    return service.reach(office, event_type, addressee)


@hookimpl
def mbk_startup(app: Any, context: Any) -> None:
    app.state.notify_sender = start_sender(context)


@hookimpl
def mbk_shutdown(app: Any, context: Any) -> None:
    sender = getattr(app.state, "notify_sender", None)
    if sender is not None:
        sender.stop()


@hookimpl
def mbk_cli(cli: Any) -> None:
    from plugins.notify.cli import notify_cli

    cli.add_typer(notify_cli, name="notify")


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    return [PageLink(label="Messages today", path=f"/{office.id}/notify/messages", audience="staff", order=800)]


@hookimpl
def mbk_admin_panels(office: OfficeConfig, session: Session, language: str,
                     event_label: Callable[[str], str]) -> list[AdminPanel]:
    return [admin_panel(office, session, language, event_label)]


@hookimpl
def mbk_failures(office: OfficeConfig, session: Session, language: str, now: datetime,
                 event_label: Callable[[str], str]) -> list[Failure]:
    return failures(office, session, language, now, event_label)


@hookimpl
def mbk_metrics(office: OfficeConfig, session: Any, now: Any) -> list[Any]:
    return list(notify_families(office, session, now))


@hookimpl
def mbk_purge(office: OfficeConfig, session: Any, now: Any) -> dict[str, int]:
    return service.purge(session, office, now)
