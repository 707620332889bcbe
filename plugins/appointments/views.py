"""What the staff pages show of appointments: local times, names from the directory, readable statuses."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import OfficeConfig
from core.web.i18n import N_
from plugins.appointments.models import ARRIVED, BOOKED, CANCELLED, NO_SHOW, SEEN, Appointment
from plugins.appointments.service import settings_of, translations

STATUS_LABELS = {BOOKED: N_("expected"), ARRIVED: N_("arrived"), SEEN: N_("seen"), NO_SHOW: N_("no-show"),
                 CANCELLED: N_("cancelled")}


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


def day_rows(office: OfficeConfig, appointments: list[Appointment], language: str) -> list[DayRow]:
    _ = translations.gettext(language)
    rows = []
    for a in appointments:
        officer = office.directory.officer(a.officer_id) if a.officer_id else None
        unit = office.directory.unit(a.unit_id) if a.unit_id else None
        service = settings_of(office).service(a.service_id or "")
        who = officer.name if officer else (unit.name.get_text(language) if unit
                                            else service.name.get_text(language) if service else "")
        local = a.start.astimezone(office.tz)
        rows.append(DayRow(
            id=a.id, time=f"{local:%H:%M}–{a.end.astimezone(office.tz):%H:%M}", who=who,
            visitor=a.first_name or "", code=a.code or "", status=a.status, status_label=_(STATUS_LABELS[a.status]),
            arrived_since=f"{a.arrived_at.astimezone(office.tz):%H:%M}" if a.arrived_at else "",
            markable=a.status in (BOOKED, ARRIVED)))
    return rows
