"""The manager's live view: the room now. Waiting per service and the longest wait, counters paused, busy or
idle, today's totals, and what other plugins add through ``mbk_live_figures`` (arrivals waiting for an officer,
devices offline…). Read in a few grouped queries; the page reads it again whenever an event says something
changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import utcnow
from core.events import Event
from plugins.queue.counters import counters_now
from plugins.queue.models import CANCELLED, DONE, NO_SHOW, WAITING, Ticket
from plugins.queue.settings import settings_of
from plugins.queue.tickets import local_day


def _minutes(now: datetime, since: datetime | None) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds() // 60))


def live_state(session: Session, office: OfficeConfig, hooks: Any, language: str,
               now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    settings = settings_of(office)
    today = (Ticket.office_id == office.id, Ticket.day == local_day(office, now))
    waiting = {service: (count, held, urgent, since) for service, count, held, urgent, since in session.execute(
        select(Ticket.service, func.count(), func.count(Ticket.held_at),
               func.sum(case((Ticket.urgent.is_(True), 1), else_=0)),
               func.min(case((Ticket.held_at.is_(None), Ticket.waiting_since))))
        .where(*today, Ticket.status == WAITING).group_by(Ticket.service))}
    services = []
    for service in settings.services:
        count, held, urgent, since = waiting.get(service.id, (0, 0, 0, None))
        services.append({"id": service.id, "name": service.name.get_text(language), "waiting": count - held,
                         "held": held, "urgent": int(urgent or 0), "longest_wait_minutes": _minutes(now, since)})
    totals = session.execute(select(
        func.count(), func.sum(case((Ticket.status == DONE, 1), else_=0)),
        func.sum(case((Ticket.status == NO_SHOW, 1), else_=0)),
        func.sum(case((Ticket.status == CANCELLED, 1), else_=0)),
        func.count(Ticket.interpreter), func.sum(case((Ticket.urgent.is_(True), 1), else_=0))).where(*today)).one()
    counters = [{"id": c.id, "name": settings.counter(c.id).name.get_text(language),  # type: ignore[union-attr]
                 "state": c.state, "serving": c.serving,
                 "since_minutes": _minutes(now, c.since) if c.paused else None}
                for c in counters_now(session, office, now)]
    figures = sorted((f for group in hooks.mbk_live_figures(office=office, session=session, language=language,
                                                            now=now) for f in group), key=lambda f: (f.order, f.id))
    return {
        "at": now.isoformat(),
        "services": services,
        "counters": counters,
        "totals": {"issued": totals[0], "served": int(totals[1] or 0), "no_shows": int(totals[2] or 0),
                   "cancelled": int(totals[3] or 0), "interpreter": totals[4], "urgent": int(totals[5] or 0),
                   "waiting": sum(s["waiting"] + s["held"] for s in services)},
        "figures": [{"id": f.id, "label": f.label, "value": f.value, "since_minutes": _minutes(now, f.since)}
                    for f in figures],
    }


def live_projection(event: Event) -> dict[str, Any]:
    """Any event of the office may change a figure (a ticket, a counter, an arrival, a device): the page is told
    to read the state again, and learns nothing else from the stream."""
    return {"changed": True}
