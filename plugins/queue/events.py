"""Domain events the queue publishes (payload keys are the contract other plugins rely on)."""

from __future__ import annotations

from core.events import DomainEvent


class TicketIssued(DomainEvent):
    type = "ticket.issued"
    ticket_id: str
    number: str
    service: str
    category: str | None
    language: str
    position: int
    estimated_wait_minutes: int | None


class TicketCalled(DomainEvent):
    type = "ticket.called"
    ticket_id: str
    number: str
    service: str
    counter: str | None
    counter_name: str
    recall: bool
    language: str
    seat: str | None


class TicketStarted(DomainEvent):
    type = "ticket.started"
    ticket_id: str
    number: str
    service: str
    counter: str | None


class TicketNear(DomainEvent):
    type = "ticket.near"
    ticket_id: str
    number: str
    service: str
    position: int
    phone: str
    language: str


class TicketDone(DomainEvent):
    type = "ticket.done"
    ticket_id: str
    number: str
    service: str


class TicketNoShow(DomainEvent):
    type = "ticket.no_show"
    ticket_id: str
    number: str
    service: str


class TicketCancelled(DomainEvent):
    type = "ticket.cancelled"
    ticket_id: str
    number: str
    service: str


class TicketTransferred(DomainEvent):
    type = "ticket.transferred"
    ticket_id: str
    number: str
    service: str
    to_service: str


EVENT_TYPES = [TicketIssued, TicketCalled, TicketStarted, TicketNear, TicketDone, TicketNoShow, TicketCancelled,
               TicketTransferred]
