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
    # The booked meeting found for this arrival (through the mbk_find_appointment hook), if any.
    appointment_id: str | None = None


EVENT_TYPES = [VisitorArrived]
