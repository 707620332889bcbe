"""Domain events the kiosk publishes (its public contract: payload keys other plugins rely on)."""

from __future__ import annotations

from core.events import DomainEvent


class VisitorArrived(DomainEvent):
    """A visitor with a booked meeting registered arrival at the entrance screen."""

    type = "visitor.arrived"
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
    arrival_id: str


EVENT_TYPES = [VisitorArrived, ArrivalEscalated, ArrivalAcknowledged]
