"""Every hook a plugin may implement, grouped by lifecycle.

Rules of the contract: hooks are prefixed ``mbk_``; arguments are only ever added, never renamed or
removed (an implementation may take fewer arguments than its spec); "decide" hooks are ``firstresult``.
When a hook is called for an office, only the plugins that office enables take part.
See docs/writing-plugins.md for a worked example of each.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

from core.contract import (
    Addressee,
    AdminPanel,
    AppointmentMatch,
    AppointmentQuery,
    DeviceInfo,
    Failure,
    KioskTile,
    LiveFigure,
    PageLink,
    Plugin,
    StaffAlert,
    TicketReceipt,
    TicketRequest,
    TicketService,
)
from core.problems import ConfigProblem
from core.speech import Clip

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI
    from prometheus_client.metrics_core import Metric
    from sqlalchemy.orm import Session

    from core.config import OfficeConfig
    from core.events import DomainEvent, Event, EventTypes

hookspec = pluggy.HookspecMarker("medborgarkontor")


# --- Registration ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def mbk_register() -> Plugin:
    """Return the plugin's static parts: name, version, settings model, routers, folders, migrations.

    Called once when the plugin is registered, before any office is loaded.
    """


# --- Configuration --------------------------------------------------------------------------------


@hookspec
def mbk_validate_office(office: OfficeConfig, event_types: EventTypes) -> list[ConfigProblem | str]:
    """Check what the plugin's settings model cannot check alone (e.g. a rule naming an unknown officer or an
    event no installed plugin publishes, a secret whose environment variable is unset). Return problems; an
    empty list means all is well. ``event_types`` holds every event type the installed plugins registered.

    Called by ``mbk check`` and at start-up, for each office that enables the plugin.
    """


# --- Start-up and shutdown ------------------------------------------------------------------------


@hookspec
def mbk_startup(app: FastAPI, context: Any) -> None:
    """The web app is starting: start background work (e.g. a delivery worker). Called once per process.

    ``context`` is the app's ``core.context.AppContext`` (typed loosely here: the contract sits below the
    composition that builds it)."""


@hookspec
def mbk_shutdown(app: FastAPI, context: Any) -> None:
    """The web app is stopping: stop what ``mbk_startup`` started."""


@hookspec
def mbk_cli(cli: typer.Typer) -> None:
    """Add commands to the ``mbk`` command line (e.g. ``mbk notify test``). Called for every installed plugin."""


# --- Events ---------------------------------------------------------------------------------------


@hookspec
def mbk_event_types() -> list[type[DomainEvent]]:
    """The domain event types the plugin publishes (the classes in its ``events.py``): its public contract.

    Called once when the plugin is registered. Core keeps every plugin's types by name
    (``PluginManager.event_types``); consumers look them up there instead of copying the classes, and
    ``mbk events types`` lists them with their fields. Two plugins may not register the same type name.
    """


@hookspec
def mbk_handle_event(event: Event, office: OfficeConfig, session: Session) -> None:
    """A committed domain event of an office that enables the plugin, of a type it handles (``mbk_handled_events``).

    Called by core's outbox dispatcher, once per plugin, at least once: make the handler idempotent
    (``event.id`` is stable). Work done through ``session`` commits together with the delivery record.
    Raise to have the delivery retried with backoff.
    """


@hookspec
def mbk_handled_events(office: OfficeConfig) -> Collection[str] | None:
    """The event types ``mbk_handle_event`` acts on at this office (None: every type, as without this hook).

    Events of other types are not delivered to the plugin at all: no delivery is written and no savepoint set,
    which is most of what an event costs the dispatcher. Asked once per office and process, so the answer may
    depend on the office's settings but must not change while the process runs.
    """


# --- Pages and panels -----------------------------------------------------------------------------


@hookspec
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    """Pages the plugin serves for this office (kiosk, board, console…), for the landing page and ``make run``."""


@hookspec
def mbk_kiosk_tiles(office: OfficeConfig, language: str) -> list[KioskTile]:
    """Choices to offer on the kiosk start screen, with labels already translated into ``language``."""


@hookspec
def mbk_admin_panels(office: OfficeConfig, session: Session, language: str,
                     event_label: Callable[[str], str]) -> list[AdminPanel]:
    """Panels for the office's admin dashboard (``/{office}/admin``): a template and its context each, which
    core renders (``AdminPanel``). ``event_label`` names an event type in ``language`` (its publisher's label)."""


# --- Queue capabilities (any plugin may provide them; the kiosk consumes them) --------------------


@hookspec
def mbk_ticket_services(office: OfficeConfig, session: Session, language: str) -> list[TicketService]:
    """Services that currently take tickets at this office, with waiting count and estimated wait."""


@hookspec(firstresult=True)
def mbk_issue_ticket(office: OfficeConfig, session: Session, request: TicketRequest) -> TicketReceipt | None:
    """Issue a queue ticket inside ``session``'s transaction; return None if this plugin cannot.

    To refuse, raise ``core.problems.Refused`` (e.g. ``Refused("ticket_refused", _("The desk is closed now."))``:
    a ticket outside opening hours, an unknown service) or ``Invalid`` (bad answers), with a message in
    ``request.language``. The caller does not catch it: the transaction rolls back and the visitor sees the message
    (409 and 422 over HTTP, mapped by core).
    """


# --- Speech (offline clips: core.speech) ----------------------------------------------------------


@hookspec
def mbk_speech_phrases(office: OfficeConfig, language: str) -> list[str | Clip]:
    """What the plugin's visitor screens and announcements say in ``language``: texts, gettext templates and
    fixed clips. A template's literal pieces become clips and its values are spoken when it is filled in
    (``"Number %(number)s, %(counter)s"``; a number or ticket number character by character, any other value
    as a text of this list); fixed clips are e.g. ``core.speech.code("B")``, the letters of ticket numbers.

    ``mbk speech build`` (and ``mbk serve``) generate these with espeak-ng; ``mbk check`` names the ones an
    office's recorded clips (``<deployment>/speech/<language>/``) lack.
    """


# --- Monitoring -----------------------------------------------------------------------------------


@hookspec
def mbk_metrics(office: OfficeConfig, session: Session, now: datetime) -> list[Metric]:
    """Series for the platform's monitoring (``/metrics``), read at scrape time for one office.

    Return prometheus-client metric families (``GaugeMetricFamily``, ``CounterMetricFamily``…) named
    ``mbk_<plugin>_…``, each sample labelled with ``office``; core merges the families of the same name
    from every office. Read them from the database (the same from every web process); keep it to a few
    grouped queries, a scrape comes every 15–60 s.
    """


# --- Promises to visitors (ask before telling a visitor that a message will go out) -------------------


@hookspec
def mbk_message_reach(office: OfficeConfig, event_type: str, addressee: Addressee) -> list[str]:
    """How the plugin would send a message to ``addressee`` when ``event_type`` happens: the channel types
    (``"email"``, ``"sms"``, ``"webhook"``…), or an empty list when it would send none.

    Asked before a screen promises a message ("your officer is being told", "we can text you").
    """


@hookspec
def mbk_staff_alerts(office: OfficeConfig, session: Session, language: str) -> list[StaffAlert]:
    """What staff should act on now (e.g. arrivals waiting for an officer nobody could tell), translated into
    ``language``; shown on the guides' console."""


@hookspec
def mbk_live_figures(office: OfficeConfig, session: Session, language: str, now: datetime) -> list[LiveFigure]:
    """Figures for the office manager's live view, beside the queue's own (e.g. arrivals waiting for an officer,
    devices offline), with labels translated into ``language``. The view reads them again after every event of
    the office, so a figure that changes with an event shows at once."""


@hookspec
def mbk_failures(office: OfficeConfig, session: Session, language: str, now: datetime,
                 event_label: Callable[[str], str]) -> list[Failure]:
    """What of the plugin's own work at the office failed for good lately and may need someone (e.g. messages
    that could not be sent), translated into ``language`` (``event_label`` names an event type in it). Core lists
    them with its failed event deliveries on the admins' "What failed" page (``/{office}/admin/failures``), newest
    first, with a retry button where the failure has a ``retry_path``."""


@hookspec(firstresult=True)
def mbk_audit_text(office: OfficeConfig, action: str, detail: dict[str, Any], language: str) -> str | None:
    """What an audit entry of one of the plugin's own actions did, in words translated into ``language``, with
    labels instead of ids (e.g. "Called B003 to Desk 1"); None for an action that is not the plugin's. The
    office's audit log shows it instead of the action's name and its raw details."""


# --- Devices --------------------------------------------------------------------------------------


@hookspec
def mbk_device_status(office: OfficeConfig, session: Session, device: DeviceInfo, language: str) -> list[str]:
    """Extra status lines for one of the office's devices on the devices page (e.g. "Printer: out of paper"),
    translated into ``language``; an empty list when the plugin knows nothing about this device."""


# --- Appointments (any plugin may keep them; the kiosk consumes them) ----------------------------------


@hookspec(firstresult=True)
def mbk_find_appointment(office: OfficeConfig, session: Session, query: AppointmentQuery, language: str,
                         now: datetime) -> AppointmentMatch | None:
    """Today's appointment for a visitor arriving at the kiosk, within the office's arrival window.

    Return None if this plugin keeps no appointments (the kiosk then uses its directory's booking codes). The
    kiosk publishes ``visitor.arrived`` with the match's ``appointment_id``; the plugin marks the appointment
    arrived when that event reaches it.
    """


# --- Data retention -------------------------------------------------------------------------------


@hookspec
def mbk_purge(office: OfficeConfig, session: Session, now: datetime) -> dict[str, int]:
    """Delete or anonymise personal data past the office's retention setting; return counts per data class."""


def hook_names() -> list[str]:
    """Names of every hook in this module (used by tests and docs checks)."""
    return sorted(name for name, value in globals().items() if name.startswith("mbk_") and callable(value))


__all__ = [
    "Addressee",
    "AdminPanel",
    "DeviceInfo",
    "Failure",
    "AppointmentMatch",
    "AppointmentQuery",
    "KioskTile",
    "LiveFigure",
    "PageLink",
    "Plugin",
    "StaffAlert",
    "TicketReceipt",
    "TicketRequest",
    "TicketService",
    "Clip",
    "hook_names",
    "hookspec",
]
