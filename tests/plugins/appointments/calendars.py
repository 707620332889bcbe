"""iCalendar files for the sync tests, written with icalendar (as a calendar server would), never by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(text: str) -> datetime:
    """A Stockholm wall-clock time: ``local("2026-03-23 09:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def event(uid: str, start: datetime, end: datetime, summary: str = "Möte", **properties: Any) -> icalendar.Event:
    made = icalendar.Event()
    made.add("UID", uid)
    made.add("DTSTAMP", datetime(2026, 1, 1, 12, 0, tzinfo=ZoneInfo("UTC")))
    made.add("DTSTART", start)
    made.add("DTEND", end)
    made.add("SUMMARY", summary)
    for name, value in properties.items():
        if name == "ATTENDEE":
            attendee = icalendar.vCalAddress(f"mailto:{value.lower().replace(' ', '.')}@example.org")
            attendee.params["CN"] = value
            made.add("ATTENDEE", attendee)
        else:
            made.add(name.replace("_", "-"), value)
    return made


def calendar(*events: icalendar.Event) -> str:
    made = icalendar.Calendar()
    made.add("PRODID", "-//medborgarkontor tests//EN")
    made.add("VERSION", "2.0")
    for item in events:
        made.add_component(item)
    made.add_missing_timezones()
    return made.to_ical().decode("utf-8")
