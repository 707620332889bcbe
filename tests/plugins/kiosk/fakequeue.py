"""A stand-in queue for kiosk tests: takes tickets through the hooks and remembers each request it got."""

from __future__ import annotations

from typing import Any

from core.config import OfficeConfig
from core.hookspecs import TicketReceipt, TicketRequest, TicketService
from core.plugins import Plugin, hookimpl
from core.problems import Refused

requests: list[TicketRequest] = []
closed: set[str] = set()


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="fakequeue")


@hookimpl
def mbk_ticket_services(office: OfficeConfig, session: Any, language: str) -> list[TicketService]:
    return [TicketService(id="guidance", name=f"Guidance ({language})", waiting=len(requests),
                          estimated_wait_minutes=7),
            TicketService(id="computers", name="Computers", waiting=0, estimated_wait_minutes=None, seats=7)]


@hookimpl
def mbk_issue_ticket(office: OfficeConfig, session: Any, request: TicketRequest) -> TicketReceipt | None:
    service = request.service or "guidance"
    if service in closed:
        raise Refused("ticket_refused", f"{service} is closed now")
    requests.append(request)
    n = len(requests)
    return TicketReceipt(id=f"t{n}", number=f"B{n:03d}", service=service, service_name=service.title(), position=n,
                         estimated_wait_minutes=5 * n, status_path=f"/{office.id}/fakequeue/t{n}")
