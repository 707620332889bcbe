"""Messages to visitors about their booked times: the confirmation (``appointment.booked``) and the reminders
(``appointment.reminder``), known here by their published payloads only.

The visitor's address comes with the event (the e-mail address or phone number they gave when booking), so a
rule ``to = "visitor"`` reaches them by e-mail or SMS; an event without that contact sends nothing. The texts
get the booking code, the day and time in the visitor's language, what to bring, and the links the event carries
(the .ics file and the cancel page), never the errand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_date

from core.config import OfficeConfig
from plugins.notify.settings import EmailChannel, SmsChannel

BOOKING_EVENTS = ("appointment.booked", "appointment.reminder")
# After these, what is still queued for the appointment's visitor tells a time that no longer holds.
BOOKING_CHANGE_EVENTS = ("appointment.cancelled", "appointment.moved")


def booking_address(channel: Any, payload: dict[str, Any]) -> str | None:
    """The contact the visitor gave for the channel's kind: e-mail for e-mail, phone for SMS."""
    if isinstance(channel, EmailChannel):
        address = payload.get("email")
    elif isinstance(channel, SmsChannel):
        address = payload.get("phone")
    else:
        return None
    return address if isinstance(address, str) and address.strip() else None


def booking_values(office: OfficeConfig, payload: dict[str, Any], language: str) -> dict[str, Any]:
    """The booking's own template values: code, local day and time, what to bring, links. Every key is always
    there (empty for other events): the templates treat an undefined name as an error."""
    start = _instant(payload.get("start"))
    local = start.astimezone(office.tz) if start is not None else None
    return {
        "code": str(payload.get("code") or ""),
        "date": format_date(local.date(), format="full", locale=language) if local else "",
        "start_time": local.strftime("%H:%M") if local else "",
        "bring": _text(payload.get("bring")),
        "cancel_url": _text(payload.get("cancel_url")),
        "ics_url": _text(payload.get("ics_url")),
    }


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
