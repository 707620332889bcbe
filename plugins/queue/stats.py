"""Queue statistics per service and local day, for the admin panel and the CSV export."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import is_postgres
from plugins.queue.models import CANCELLED, CLOSED_STATUSES, DONE, NO_SHOW, OUTCOMES, Ticket


@dataclass
class DayStats:
    day: date
    service: str
    issued: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0
    urgent: int = 0
    interpreter: int = 0  # visitors who asked for an interpreter
    helped: int = 0  # the outcomes guides recorded (served tickets without one count in none)
    helped_self_service: int = 0
    referred: int = 0
    no_errand: int = 0
    wait_median_minutes: float | None = None
    wait_p90_minutes: float | None = None
    service_median_minutes: float | None = None
    service_p90_minutes: float | None = None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (what PostgreSQL's percentile_cont computes)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    if is_postgres(session):
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def statistics_by_day(session: Session, office: OfficeConfig, first: date, last: date) -> list[DayStats]:
    """Per service and local day: issued, served, no-shows, cancelled, urgent, interpreter requests, the outcomes
    guides recorded; wait and service time median and p90.

    Counts in SQL everywhere; the percentiles too on PostgreSQL (percentile_cont), in Python on SQLite,
    which has no ordered-set aggregates. Waits belong to the service a ticket was issued for, service
    times to the one that served it.
    """
    rows: dict[tuple[date, str], DayStats] = {}

    def row(day: date, service: str) -> DayStats:
        return rows.setdefault((day, service), DayStats(day, service))

    in_range = and_(Ticket.office_id == office.id, Ticket.day >= first, Ticket.day <= last)
    counted = session.execute(
        select(Ticket.day, Ticket.issued_service, func.count(), func.sum(case((Ticket.urgent.is_(True), 1), else_=0)),
               func.count(Ticket.interpreter))
        .where(in_range).group_by(Ticket.day, Ticket.issued_service)).all()
    for day, service, issued, urgent, interpreter in counted:
        stats = row(day, service)
        stats.issued, stats.urgent, stats.interpreter = issued, int(urgent or 0), interpreter
    closed = session.execute(
        select(Ticket.day, Ticket.service,
               func.sum(case((Ticket.status == DONE, 1), else_=0)),
               func.sum(case((Ticket.status == NO_SHOW, 1), else_=0)),
               func.sum(case((Ticket.status == CANCELLED, 1), else_=0)),
               *(func.sum(case((Ticket.outcome == outcome, 1), else_=0)) for outcome in OUTCOMES))
        .where(in_range, Ticket.status.in_(CLOSED_STATUSES)).group_by(Ticket.day, Ticket.service)).all()
    for day, service, served, no_shows, cancelled, *outcomes in closed:
        stats = row(day, service)
        stats.served, stats.no_shows, stats.cancelled = int(served or 0), int(no_shows or 0), int(cancelled or 0)
        for outcome, count in zip(OUTCOMES, outcomes, strict=True):
            setattr(stats, outcome, int(count or 0))

    wait = seconds_between(session, Ticket.issued_at, Ticket.first_called_at) / 60.0
    serve = (seconds_between(session, Ticket.started_at, Ticket.finished_at) + Ticket.served_seconds) / 60.0
    waited = and_(in_range, Ticket.first_called_at.is_not(None))
    served_ok = and_(in_range, Ticket.status == DONE, Ticket.started_at.is_not(None), Ticket.finished_at.is_not(None))
    if is_postgres(session):
        for (day, service, median, p90) in session.execute(
                select(Ticket.day, Ticket.issued_service, func.percentile_cont(0.5).within_group(wait),
                       func.percentile_cont(0.9).within_group(wait))
                .where(waited).group_by(Ticket.day, Ticket.issued_service)).all():
            row(day, service).wait_median_minutes, row(day, service).wait_p90_minutes = median, p90
        for (day, service, median, p90) in session.execute(
                select(Ticket.day, Ticket.service, func.percentile_cont(0.5).within_group(serve),
                       func.percentile_cont(0.9).within_group(serve))
                .where(served_ok).group_by(Ticket.day, Ticket.service)).all():
            row(day, service).service_median_minutes, row(day, service).service_p90_minutes = median, p90
    else:
        waits: dict[tuple[date, str], list[float]] = defaultdict(list)
        for day, service, minutes in session.execute(select(Ticket.day, Ticket.issued_service, wait).where(waited)):
            waits[(day, service)].append(float(minutes))
        for key, values in waits.items():
            row(*key).wait_median_minutes, row(*key).wait_p90_minutes = percentile(values, .5), percentile(values, .9)
        serves: dict[tuple[date, str], list[float]] = defaultdict(list)
        for day, service, minutes in session.execute(select(Ticket.day, Ticket.service, serve).where(served_ok)):
            serves[(day, service)].append(float(minutes))
        for key, values in serves.items():
            row(*key).service_median_minutes, row(*key).service_p90_minutes = (percentile(values, .5),
                                                                               percentile(values, .9))
    return [rows[key] for key in sorted(rows)]

