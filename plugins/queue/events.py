"""Domain events the queue publishes (payload keys are the contract other plugins rely on)."""

from __future__ import annotations

from typing import ClassVar

from core.events import DomainEvent
from core.i18n import N_


class TicketIssued(DomainEvent):
    type = "ticket.issued"
    label: ClassVar[str] = N_("New ticket")
    ticket_id: str
    number: str
    service: str
    category: str | None
    language: str
    position: int
    estimated_wait_minutes: int | None
    urgent: bool = False
    interpreter: str | None = None  # the language the visitor asked an interpreter for


class TicketCalled(DomainEvent):
    type = "ticket.called"
    label: ClassVar[str] = N_("Called to the counter")
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
    label: ClassVar[str] = N_("Visit started")
    ticket_id: str
    number: str
    service: str
    counter: str | None


class TicketNear(DomainEvent):
    type = "ticket.near"
    label: ClassVar[str] = N_("Turn coming soon")
    ticket_id: str
    number: str
    service: str
    position: int
    phone: str
    language: str


class TicketDone(DomainEvent):
    type = "ticket.done"
    label: ClassVar[str] = N_("Visit finished")
    ticket_id: str
    number: str
    service: str
    outcome: str | None = None  # helped | helped_self_service | referred | no_errand, when the guide said
    referred_to: str | None = None


class TicketNoShow(DomainEvent):
    type = "ticket.no_show"
    label: ClassVar[str] = N_("Visitor did not come")
    ticket_id: str
    number: str
    service: str


class TicketCancelled(DomainEvent):
    type = "ticket.cancelled"
    label: ClassVar[str] = N_("Ticket cancelled")
    ticket_id: str
    number: str
    service: str


class TicketTransferred(DomainEvent):
    type = "ticket.transferred"
    label: ClassVar[str] = N_("Ticket transferred")
    ticket_id: str
    number: str
    service: str
    to_service: str


class TicketHeld(DomainEvent):
    """A guide put the visitor on hold (e.g. filling in a form): the ticket keeps its place, not called meanwhile."""

    type = "ticket.held"
    label: ClassVar[str] = N_("Ticket put on hold")
    ticket_id: str
    number: str
    service: str


class TicketResumed(DomainEvent):
    type = "ticket.resumed"
    label: ClassVar[str] = N_("Ticket back in the queue")
    ticket_id: str
    number: str
    service: str


class TicketUrgent(DomainEvent):
    """A ticket was flagged urgent by a guide (``urgent`` True) or the flag taken off (False)."""

    type = "ticket.urgent"
    label: ClassVar[str] = N_("Ticket marked urgent")
    ticket_id: str
    number: str
    service: str
    urgent: bool


class CounterPaused(DomainEvent):
    type = "counter.paused"
    label: ClassVar[str] = N_("Counter paused")
    counter: str


class CounterOpened(DomainEvent):
    type = "counter.opened"
    label: ClassVar[str] = N_("Counter opened")
    counter: str


EVENT_TYPES = [TicketIssued, TicketCalled, TicketStarted, TicketNear, TicketDone, TicketNoShow, TicketCancelled,
               TicketTransferred, TicketHeld, TicketResumed, TicketUrgent, CounterPaused, CounterOpened]
