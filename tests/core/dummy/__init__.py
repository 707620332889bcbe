"""A plugin that implements every hook in core/hookspecs.py and records each call (the contract's test double)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from prometheus_client.metrics_core import GaugeMetricFamily
from pydantic import Field

from core.config import ConfigProblem, OfficeConfig, StrictModel
from core.db import utcnow
from core.events import DomainEvent, publish
from core.hookspecs import (
    Addressee,
    AdminPanel,
    AppointmentMatch,
    DeviceInfo,
    Failure,
    KioskTile,
    LiveFigure,
    PageLink,
    StaffAlert,
    TicketReceipt,
    TicketService,
)
from core.plugins import Plugin, hookimpl
from core.speech import Clip, code
from core.web.deps import OfficeDep, SessionDep, get_office
from core.web.security import require
from core.web.sse import sse_response

failing = False  # a test sets it for mbk_failures to report a failure
calls: list[tuple[str, str | None]] = []  # (hook, office id)


class DummySettings(StrictModel):
    greeting: str
    level: int = Field(default=1, ge=1, le=5)


class DummyHappened(DomainEvent):
    type = "dummy.happened"
    value: int


api = APIRouter()


@api.get("/hello")
def hello(office: OfficeConfig = Depends(get_office)) -> dict[str, Any]:
    return {"office": office.id, "greeting": office.settings_for("dummy").greeting}


@api.post("/happen/{value}")
def happen(value: int, office: OfficeDep, session: SessionDep) -> dict[str, int]:
    event = publish(session, office.id, DummyHappened(value=value))
    return {"event": event.id}


@api.post("/staff-action")
def staff_action(office: OfficeDep, session: SessionDep,
                 principal: Any = Depends(require("guide", "admin"))) -> dict[str, str]:
    """A staff-only action (guides and admins of the office), audited like a real one, in the request's session
    (which read the login: a session of its own would wait on it under SQLite's one writer)."""
    from core.auth import audit

    audit(session, principal, "dummy.staff_action", office.id)
    return {"office": office.id, "by": principal.name}


@api.get("/staff")
def staff_only(principal: Any = Depends(require("guide", "admin"))) -> dict[str, str]:
    return {"kind": principal.kind, "name": principal.name}


@api.get("/kiosk")
def kiosk_only(principal: Any = Depends(require(devices=("kiosk",)))) -> dict[str, str]:
    return {"kind": principal.kind, "name": principal.name}


@api.get("/stream")
def stream(request: Request, office: OfficeConfig = Depends(get_office)) -> Any:
    """The office's events as server-sent events; like a display board, it shows no personal data. It counts the
    streams it opened in the session, so that the response sets the session cookie (tests/core/test_sse.py)."""
    request.session["streams"] = request.session.get("streams", 0) + 1
    return sse_response(request, office.id, lambda event: {"type": event.type, "value": event.payload.get("value")},
                        initial=lambda: {"office": office.id})


@hookimpl
def mbk_register() -> Plugin:
    calls.append(("mbk_register", None))
    return Plugin(name="dummy", version="1.0", description="test double", settings_model=DummySettings,
                  api_router=api, templates=Path(__file__).resolve().parent / "templates")


@hookimpl
def mbk_event_types() -> list[type[DomainEvent]]:
    calls.append(("mbk_event_types", None))
    return [DummyHappened]


@hookimpl
def mbk_validate_office(office: OfficeConfig, event_types: Any) -> list[ConfigProblem | str]:
    calls.append(("mbk_validate_office", office.id))
    assert event_types["dummy.happened"].model is DummyHappened  # its own type, registered through core
    if office.settings_for("dummy").greeting == "forbidden":
        return [ConfigProblem(str(office.source), "plugins.dummy.greeting", "this greeting is not allowed")]
    return []


@hookimpl
def mbk_startup(app: Any, context: Any) -> None:
    calls.append(("mbk_startup", None))


@hookimpl
def mbk_shutdown(app: Any, context: Any) -> None:
    calls.append(("mbk_shutdown", None))


@hookimpl
def mbk_cli(cli: Any) -> None:
    calls.append(("mbk_cli", None))

    @cli.command("dummy-hello")
    def dummy_hello() -> None:
        """Say hello (from the dummy plugin)."""
        print("hello from dummy")


@hookimpl
def mbk_handle_event(event: Any, office: OfficeConfig, session: Any) -> None:
    calls.append(("mbk_handle_event", office.id))
    if event.payload.get("value") == 13:
        raise RuntimeError("unlucky number")


@hookimpl
def mbk_handled_events(office: OfficeConfig) -> None:
    calls.append(("mbk_handled_events", office.id))
    return None  # every event: the tests publish several types to it


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    calls.append(("mbk_page_links", office.id))
    return [PageLink(label="Dummy page", path=f"/{office.id}/dummy", audience="kiosk")]


@hookimpl
def mbk_kiosk_tiles(office: OfficeConfig, language: str) -> list[KioskTile]:
    calls.append(("mbk_kiosk_tiles", office.id))
    return [KioskTile(id="dummy", label=f"Dummy ({language})", href=f"/{office.id}/dummy")]


@hookimpl
def mbk_admin_panels(office: OfficeConfig, session: Any, language: str) -> list[AdminPanel]:
    calls.append(("mbk_admin_panels", office.id))
    return [AdminPanel(id="dummy", title="Dummy panel", template="dummy/panel.html",
                       context={"body": "dummy panel body"})]


@hookimpl
def mbk_ticket_services(office: OfficeConfig, session: Any, language: str) -> list[TicketService]:
    calls.append(("mbk_ticket_services", office.id))
    return [TicketService(id="dummy", name="Dummy service", waiting=0, estimated_wait_minutes=None)]


@hookimpl
def mbk_issue_ticket(office: OfficeConfig, session: Any, request: Any) -> TicketReceipt | None:
    calls.append(("mbk_issue_ticket", office.id))
    return TicketReceipt(id="t1", number="Z001", service="dummy", service_name="Dummy", position=1,
                         estimated_wait_minutes=None, status_path=f"/{office.id}/dummy/t1")


@hookimpl
def mbk_metrics(office: OfficeConfig, session: Any, now: Any) -> list[Any]:
    calls.append(("mbk_metrics", office.id))
    family = GaugeMetricFamily("mbk_dummy_greeting_level", "The office's greeting level.", labels=["office"])
    family.add_metric([office.id], office.settings_for("dummy").level)
    return [family]


@hookimpl
def mbk_message_reach(office: OfficeConfig, event_type: str, addressee: Addressee) -> list[str]:
    calls.append(("mbk_message_reach", office.id))
    return ["sms"] if addressee.visitor and event_type == "dummy.happened" else []


@hookimpl
def mbk_staff_alerts(office: OfficeConfig, session: Any, language: str) -> list[StaffAlert]:
    calls.append(("mbk_staff_alerts", office.id))
    return [StaffAlert(id="dummy-alert", text=f"Dummy alert ({language})", since=utcnow())]


@hookimpl
def mbk_live_figures(office: OfficeConfig, session: Any, language: str, now: Any) -> list[LiveFigure]:
    calls.append(("mbk_live_figures", office.id))
    return [LiveFigure(id="dummy-figure", label=f"Dummy figure ({language})", value=3, since=now)]


@hookimpl
def mbk_failures(office: OfficeConfig, session: Any, language: str, now: Any) -> list[Failure]:
    calls.append(("mbk_failures", office.id))
    return [Failure(id="dummy-1", kind=f"Dummy work ({language})", summary="the dummy's job", at=now,
                    error="it broke", attempts=3, retry_path=f"/{office.id}/dummy/retry")] if failing else []


@hookimpl
def mbk_audit_text(office: OfficeConfig, action: str, detail: dict[str, Any], language: str) -> str | None:
    calls.append(("mbk_audit_text", office.id))
    return f"Dummy did it ({language}): {detail.get('value')}" if action == "dummy.did" else None


@hookimpl
def mbk_speech_phrases(office: OfficeConfig, language: str) -> list[str | Clip]:
    calls.append(("mbk_speech_phrases", office.id))
    return [f"Dummy number %(number)s ({language})", *code("Z")]


@hookimpl
def mbk_device_status(office: OfficeConfig, session: Any, device: DeviceInfo, language: str) -> list[str]:
    calls.append(("mbk_device_status", office.id))
    return [f"Dummy printer ({language}): ready"] if device.kind == "kiosk" else []


@hookimpl
def mbk_find_appointment(office: OfficeConfig, session: Any, query: Any, language: str,
                         now: Any) -> AppointmentMatch | None:
    calls.append(("mbk_find_appointment", office.id))
    if query.code == "123456":
        return AppointmentMatch(appointment_id="a1", officer_id="dummy-officer", start=now)
    return AppointmentMatch(reason="unknown", refusal=f"no meeting ({language})")


@hookimpl
def mbk_purge(office: OfficeConfig, session: Any, now: Any) -> dict[str, int]:
    calls.append(("mbk_purge", office.id))
    return {"dummy_rows": 0}
