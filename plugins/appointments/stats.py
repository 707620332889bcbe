"""Statistics of booked meetings (no HTTP): per local day and officer, unit or service, how many were booked,
arrived, seen, no-show and cancelled, and how late visitors arrived on average. No visitor data."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from plugins.appointments.models import ARRIVED, CANCELLED, NO_SHOW, SEEN, Appointment
from plugins.appointments.service import local_day_bounds

COLUMNS = ("day", "officer", "unit", "service", "booked", "arrived", "seen", "no_show", "cancelled",
           "average_lateness_minutes")


@dataclass
class StatRow:
    day: date
    officer: str
    unit: str
    service: str
    booked: int = 0
    arrived: int = 0
    seen: int = 0
    no_show: int = 0
    cancelled: int = 0
    lateness: list[float] = field(default_factory=list)

    @property
    def average_lateness(self) -> float | None:
        """Minutes after the start that visitors registered (negative: early)."""
        return round(sum(self.lateness) / len(self.lateness), 1) if self.lateness else None


def statistics(session: Session, office: OfficeConfig, first: date, last: date) -> list[StatRow]:
    start, _ = local_day_bounds(office, first)
    _, end = local_day_bounds(office, last)
    rows: dict[tuple[date, str, str, str], StatRow] = {}
    for a in session.scalars(select(Appointment).where(
            Appointment.office_id == office.id, Appointment.busy.is_(False), Appointment.start >= start,
            Appointment.start < end)):
        key = (a.start.astimezone(office.tz).date(), a.officer_id or "", a.unit_id or "", a.service_id or "")
        row = rows.setdefault(key, StatRow(*key))
        row.booked += 1
        if a.arrived_at is not None:
            row.arrived += 1
            row.lateness.append((a.arrived_at - a.start) / timedelta(minutes=1))
        row.seen += a.status == SEEN
        row.no_show += a.status == NO_SHOW
        row.cancelled += a.status == CANCELLED
        if a.status == ARRIVED and a.arrived_at is None:  # marked by staff without the kiosk
            row.arrived += 1
    return sorted(rows.values(), key=lambda r: (r.day, r.officer, r.unit, r.service))


def csv_text(rows: list[StatRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r.day.isoformat(), r.officer, r.unit, r.service, r.booked, r.arrived, r.seen, r.no_show,
                         r.cancelled, "" if r.average_lateness is None else r.average_lateness])
    return out.getvalue()
