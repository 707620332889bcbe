"""The events notify consumes, declared as their publishers send them (notify may not import other plugins),
for tests and bench/notify.py to publish."""

from __future__ import annotations

from core.events import DomainEvent


class VisitorArrived(DomainEvent):
    type = "visitor.arrived"
    arrival_id: str
    officer_id: str | None
    unit_id: str | None
    first_name: str | None
    language: str


class TicketNear(DomainEvent):
    type = "ticket.near"
    ticket_id: str
    number: str
    service: str
    position: int
    phone: str
    language: str


class TicketCalled(DomainEvent):
    type = "ticket.called"
    ticket_id: str
    number: str
    service: str
    counter: str
    counter_name: str
    recall: bool = False
    language: str
    seat: str | None = None


class TicketDone(DomainEvent):
    type = "ticket.done"
    ticket_id: str
    number: str
    service: str
