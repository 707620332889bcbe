"""What the staff pages show of appointments: local times, names from the directory, readable statuses."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import OfficeConfig
from plugins.appointments.models import ARRIVED, BOOKED, STATUS_LABELS, Appointment
from plugins.appointments.service import settings_of, translations
from plugins.appointments.stats import StatRow


@dataclass(frozen=True)
class DayRow:
    id: str
    time: str
    who: str
    visitor: str
    code: str
    status: str
    status_label: str
    arrived_since: str
    markable: bool
    editable: bool = False  # booked, and not from a calendar: staff may move or cancel it here
    day: str = ""  # local day and times, for the move form
    starts: str = ""
    ends: str = ""


def day_rows(office: OfficeConfig, appointments: list[Appointment], language: str) -> list[DayRow]:
    _ = translations.gettext(language)
    rows = []
    for a in appointments:
        who = owner_name(office, a.officer_id, a.unit_id, a.service_id, language)
        local = a.start.astimezone(office.tz)
        rows.append(DayRow(
            id=a.id, time=f"{local:%H:%M}–{a.end.astimezone(office.tz):%H:%M}", who=who,
            visitor=a.first_name or "", code=a.code or "", status=a.status, status_label=_(STATUS_LABELS[a.status]),
            arrived_since=f"{a.arrived_at.astimezone(office.tz):%H:%M}" if a.arrived_at else "",
            markable=a.status in (BOOKED, ARRIVED), editable=a.status == BOOKED and a.calendar is None,
            day=local.date().isoformat(), starts=f"{local:%H:%M}", ends=f"{a.end.astimezone(office.tz):%H:%M}"))
    return rows


def owner_name(office: OfficeConfig, officer_id: str | None, unit_id: str | None, service_id: str | None,
               language: str) -> str:
    """Who a meeting is with, as staff read it: the officer, else the unit, else the service."""
    officer = office.directory.officer(officer_id) if officer_id else None
    unit = office.directory.unit(unit_id) if unit_id else None
    service = settings_of(office).service(service_id or "")
    if officer:
        return officer.name
    if unit:
        return unit.name.get_text(language)
    return service.name.get_text(language) if service else ""


def stat_rows(office: OfficeConfig, rows: list[StatRow], language: str) -> list[tuple[StatRow, str]]:
    """Each statistics row with whom it counts, as staff read it."""
    return [(row, owner_name(office, row.officer or None, row.unit or None, row.service or None, language))
            for row in rows]
