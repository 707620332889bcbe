"""The domain events notify publishes: its public contract.

What became of a message it was asked to send, for the plugin whose event asked for it (e.g. the kiosk keeps
a visitor's arrival screen true). They carry the asking event's type and its ``arrival_id``, never an
address or a text.
"""

from __future__ import annotations

from typing import ClassVar

from core.events import DomainEvent
from core.i18n import N_


class MessageSent(DomainEvent):
    type = "message.sent"
    label: ClassVar[str] = N_("Message sent")
    about: str  # the event type the message was for, e.g. "visitor.arrived"
    arrival_id: str
    channel: str  # the channel's type: email, sms or webhook


class MessageFailed(DomainEvent):
    """Every attempt failed (or the message could not be sent at all)."""

    type = "message.failed"
    label: ClassVar[str] = N_("Message could not be sent")
    about: str
    arrival_id: str
    channel: str


EVENT_TYPES = [MessageSent, MessageFailed]
