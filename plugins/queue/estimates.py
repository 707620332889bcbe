"""How long a visitor will wait: the pace of each service now, and the load of every line."""

from __future__ import annotations

import heapq
import math
import statistics
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Mapper, Session

from core.config import OfficeConfig
from core.db import utcnow
from plugins.queue.models import DONE, WAITING, Seat, Ticket
from plugins.queue.seats import free_seats
from plugins.queue.settings import Service, settings_of
from plugins.queue.tickets import waiting_counts

ESTIMATE_HISTORY = timedelta(days=14)
ACTIVE_COUNTER_WINDOW = timedelta(hours=1)
# A service's pace is read again at most this often per process (every ticket issued and every phone page reads
# it, and it takes three queries); a change this process writes is seen at once, one another process writes
# within this time.
PACE_REUSED_FOR = timedelta(seconds=5)


@dataclass(frozen=True)
class Pace:
    """How fast a service moves now: median minutes per visitor and how many counters serve in parallel."""

    minutes_per_visitor: float | None
    parallel: int
    median_wait_minutes: float | None

    def estimate(self, position: int) -> int | None:
        """Minutes until a ticket at ``position`` is called."""
        if self.minutes_per_visitor is not None:
            return math.ceil((position - 1) * self.minutes_per_visitor / self.parallel)
        if self.median_wait_minutes is not None:
            return math.ceil(self.median_wait_minutes)
        return None


@dataclass(frozen=True)
class _Remembered:
    database: weakref.ref[object]
    settings: object
    at: datetime
    pace: Pace


_paces: dict[tuple[str, str], _Remembered] = {}


def pace(session: Session, office: OfficeConfig, service_id: str, now: datetime) -> Pace:
    """The service's pace at ``now``: the one read for an earlier moment at most ``PACE_REUSED_FOR`` before (same
    database and settings, and no ticket of the office written since by this process but a new waiting one), or
    else read now."""
    key = (office.id, service_id)
    remembered = _paces.get(key)
    database = session.get_bind()
    if (remembered is not None and remembered.database() is database and remembered.settings is settings_of(office)
            and remembered.at <= now <= remembered.at + PACE_REUSED_FOR):
        return remembered.pace
    found = _read_pace(session, office, service_id, now)
    _paces[key] = _Remembered(weakref.ref(database), settings_of(office), now, found)
    return found


def forget_paces(office_id: str) -> None:
    for key in [key for key in _paces if key[0] == office_id]:
        _paces.pop(key, None)


@event.listens_for(Ticket, "after_update")
def _ticket_changed(_mapper: Mapper[Ticket], _connection: object, ticket: Ticket) -> None:
    forget_paces(ticket.office_id)


@event.listens_for(Ticket, "after_insert")
def _ticket_written(_mapper: Mapper[Ticket], _connection: object, ticket: Ticket) -> None:
    if ticket.status != WAITING or ticket.first_called_at is not None:  # not a ticket just issued: one with a past
        forget_paces(ticket.office_id)


def _read_pace(session: Session, office: OfficeConfig, service_id: str, now: datetime) -> Pace:
    settings = settings_of(office)
    service = settings.service(service_id)
    since = now - ESTIMATE_HISTORY
    served = session.execute(
        select(Ticket.started_at, Ticket.finished_at, Ticket.served_seconds)
        .where(Ticket.office_id == office.id, Ticket.service == service_id, Ticket.status == DONE,
               Ticket.started_at.is_not(None), Ticket.finished_at >= since)
        .order_by(Ticket.finished_at.desc()).limit(settings.estimate_sample)).all()
    durations = [((end - start).total_seconds() + earlier) / 60 for start, end, earlier in served if end >= start]
    waits = session.execute(
        select(Ticket.waiting_since, Ticket.first_called_at)
        .where(Ticket.office_id == office.id, Ticket.service == service_id, Ticket.first_called_at >= since)
        .order_by(Ticket.first_called_at.desc()).limit(settings.estimate_sample)).all()
    wait_minutes = [max(0.0, (called - queued).total_seconds() / 60) for queued, called in waits]
    if service is not None and service.seats is not None:
        parallel = service.seats
    else:
        counters = session.scalar(
            select(func.count(func.distinct(Ticket.counter)))
            .where(Ticket.office_id == office.id, Ticket.service == service_id,
                   Ticket.called_at >= now - ACTIVE_COUNTER_WINDOW)) or 0
        parallel = max(1, min(counters, len(service.counters) if service else counters))
    return Pace(statistics.median(durations) if durations else None, parallel,
                statistics.median(wait_minutes) if wait_minutes else None)


def estimate_for(session: Session, office: OfficeConfig, service_id: str, position: int,
                 now: datetime) -> int | None:
    if position <= 0:
        return None
    service = settings_of(office).service(service_id)
    if service is not None and service.seats is not None:
        if position <= free_seats(session, office, service):
            return 0  # a computer is free: the visitor is seated at once
        return seat_estimate(session, office, service, position, now)
    return pace(session, office, service_id, now).estimate(position)


def seat_estimate(session: Session, office: OfficeConfig, service: Service, position: int,
                  now: datetime) -> int | None:
    """Minutes until the ``position``-th waiting visitor gets a computer: each seat frees when its visitor has
    had it for the usual time (the median of recent visits, at most the time limit), then serves the next
    visitor as long. At least a minute while every seat is taken; None when there is no usual time yet."""
    usual = pace(session, office, service.id, now).minutes_per_visitor
    if usual is None:
        return None
    usual = max(min(usual, settings_of(office).seat_time_limit_minutes), 1.0)
    used_since = session.scalars(select(Seat.since).where(
        Seat.office_id == office.id, Seat.service == service.id, Seat.ticket_id.is_not(None),
        Seat.since.is_not(None), Seat.seat <= (service.seats or 0))).all()
    frees = [max(0.0, usual - (now - since).total_seconds() / 60) for since in used_since]
    frees += [0.0] * max(0, (service.seats or 0) - len(frees))
    heapq.heapify(frees)
    for _ in range(position):
        turn = heapq.heappop(frees)
        heapq.heappush(frees, turn + usual)
    return max(1, math.ceil(turn))


@dataclass(frozen=True)
class ServiceLoad:
    service: Service
    waiting: int
    estimated_wait_minutes: int | None
    open: bool
    seats_free: int | None


def service_loads(session: Session, office: OfficeConfig, now: datetime | None = None) -> list[ServiceLoad]:
    """Every service with its line length and the wait a ticket taken now would have."""
    now = now or utcnow()
    counts = waiting_counts(session, office, now)
    loads = []
    for service in settings_of(office).services:
        waiting = counts.get(service.id, 0)
        seats_free = free_seats(session, office, service) if service.seats is not None else None
        loads.append(ServiceLoad(service, waiting, estimate_for(session, office, service.id, waiting + 1, now),
                                 service.is_open(now.astimezone(office.tz)), seats_free))
    return loads

