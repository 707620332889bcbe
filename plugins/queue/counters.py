"""Counters: open or paused. A guide pauses their counter for a break or to help in the room, and opens it again;
nobody is called to a paused counter. Every function works inside the caller's session and filters by office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import locked, upsert, utcnow
from core.events import publish
from core.problems import Conflict, Invalid
from plugins.queue.events import CounterOpened, CounterPaused
from plugins.queue.models import CALLED, OPEN, PAUSED, SERVING, CounterState, Ticket
from plugins.queue.settings import Counter, settings_of
from plugins.queue.tickets import local_day


def known_counter(office: OfficeConfig, counter_id: str) -> Counter:
    counter = settings_of(office).counter(counter_id)
    if counter is None:
        known = ", ".join(c.id for c in settings_of(office).counters)
        raise Invalid("invalid_request", f"unknown counter {counter_id!r} (counters: {known})", field="counter")
    return counter


def require_open(session: Session, office: OfficeConfig, counter_id: str) -> None:
    """Refuse to call anyone to a paused counter. Locks the counter's row (when it has one) until the call
    commits, so a pause and a call to the same counter take turns."""
    known_counter(office, counter_id)
    row = CounterState.__table__.c  # a Core statement: asked on every call, and the ORM's work would double it
    state = session.scalar(locked(session, select(row.state).where(row.office_id == office.id,
                                                                   row.counter == counter_id)))
    if state == PAUSED:
        raise Conflict("counter_paused", f"counter {counter_id!r} is paused; open it again before calling")


def not_paused(office_id: Any, counter_id: Any, lock: bool) -> Any:
    """``require_open`` as a condition in a statement of the caller's (built once: the ids may be bind parameters):
    the counter is open, or was never set. ``lock`` (PostgreSQL): its row, when it has one, locked until the
    transaction ends, and its state read once any pause that holds it has committed."""
    row = CounterState.__table__.c
    state = select(row.state).where(row.office_id == office_id, row.counter == counter_id)
    if lock:
        state = state.with_for_update()
    return func.coalesce(state.scalar_subquery(), OPEN) != PAUSED


def set_state(session: Session, office: OfficeConfig, counter_id: str, state: str,
              now: datetime | None = None) -> str:
    """Pause (``PAUSED``) or open (``OPEN``) a counter; publishes the change (nothing when already so)."""
    known_counter(office, counter_id)
    now = now or utcnow()
    current = session.scalars(locked(session, select(CounterState).where(
        CounterState.office_id == office.id, CounterState.counter == counter_id))).first()
    if (current.state if current else OPEN) == state:
        return state
    upsert(session, CounterState, {"office_id": office.id, "counter": counter_id, "state": state, "since": now},
           ["office_id", "counter"], {"state": state, "since": now})
    event = CounterPaused if state == PAUSED else CounterOpened
    publish(session, office.id, event(counter=counter_id))
    return state


@dataclass(frozen=True)
class CounterNow:
    """A counter as the manager's live view shows it: paused, with a visitor (``serving`` holds the number),
    or open and free."""

    id: str
    paused: bool
    since: datetime | None
    serving: str | None

    @property
    def state(self) -> str:
        return PAUSED if self.paused else ("busy" if self.serving else "idle")


def counters_now(session: Session, office: OfficeConfig, now: datetime | None = None) -> list[CounterNow]:
    now = now or utcnow()
    states = {row.counter: row for row in session.scalars(select(CounterState).where(
        CounterState.office_id == office.id))}
    visitors = dict(session.execute(select(Ticket.counter, Ticket.label).where(
        Ticket.office_id == office.id, Ticket.day == local_day(office, now), Ticket.counter.is_not(None),
        Ticket.status.in_((CALLED, SERVING))).order_by(Ticket.called_at)).all())
    result = []
    for counter in settings_of(office).counters:
        state = states.get(counter.id)
        result.append(CounterNow(counter.id, state is not None and state.state == PAUSED,
                                 state.since if state else None, visitors.get(counter.id)))
    return result


def state_of(session: Session, office: OfficeConfig, counter_id: str) -> str:
    known_counter(office, counter_id)
    state = session.scalars(select(CounterState.state).where(
        CounterState.office_id == office.id, CounterState.counter == counter_id)).first()
    return state or OPEN
