"""Domain events the kiosk publishes (its public contract: payload keys other plugins rely on)."""

from __future__ import annotations

from typing import ClassVar

from core.events import DomainEvent
from core.i18n import N_


class VisitorArrived(DomainEvent):
    """A visitor with a booked meeting registered arrival at the entrance screen."""

    type = "visitor.arrived"
    label: ClassVar[str] = N_("Visitor arrived")
    arrival_id: str
    officer_id: str | None
    unit_id: str | None
    first_name: str | None
    language: str
    # The officer's signed one-click answer ("I am coming"); a messenger puts it in the message.
    acknowledge_url: str | None = None
    # The booked meeting found for this arrival (through the mbk_find_appointment hook), if any.
    appointment_id: str | None = None


class ArrivalEscalated(DomainEvent):
    """Nobody told the officer in time (or nobody could): the unit's or office's fallback should act, and the
    visitor has been sent to the information desk."""

    type = "arrival.escalated"
    label: ClassVar[str] = N_("Arrival not answered")
    arrival_id: str
    officer_id: str | None
    unit_id: str | None
    first_name: str | None
    language: str
    reason: str  # none (no rule reaches the officer) | failed | late (no message went out in time)
    acknowledge_url: str | None = None


class ArrivalAcknowledged(DomainEvent):
    """The officer answered "I am coming"."""

    type = "arrival.acknowledged"
    label: ClassVar[str] = N_("Arrival answered")
    arrival_id: str


EVENT_TYPES = [VisitorArrived, ArrivalEscalated, ArrivalAcknowledged]
