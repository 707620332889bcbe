"""The outbox dispatcher: delivers committed events to the handlers of every plugin an office enables that handles
their type, at least once, retried with backoff, surviving restarts."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core import devices
from core.config import Deployment
from core.db import Database, is_postgres, locked, utcnow
from core.events import HANDLED, Event, EventDelivery, OutboxEvent
from core.plugins import PluginManager

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300
DELIVERY_BATCH = 20  # deliveries, or new events, per transaction: fewer commits, yet a bounded hold on SQLite's writer
DUE_PER_PASS = 100
DUE_POLL_SECONDS = 1.0  # how often the running dispatcher looks for due deliveries (retries), and its longest sleep
DEVICE_WATCH_SECONDS = 60  # how often the running dispatcher looks for devices gone quiet (core.devices)


_outbox = OutboxEvent.__table__
_NEW_EVENTS = (select(_outbox.c.id, _outbox.c.office_id, _outbox.c.type, _outbox.c.payload, _outbox.c.created_at)
               .where(_outbox.c.fanned_out.is_(False)).order_by(_outbox.c.id).limit(DELIVERY_BATCH))
_NEW_EVENTS_LOCKED = _NEW_EVENTS.with_for_update(skip_locked=True)  # PostgreSQL: dispatchers claim different events
_MARK_FANNED_OUT = update(_outbox).where(_outbox.c.id.in_(bindparam("ids", expanding=True))).values(fanned_out=True)


def handled_at_office(plugins: PluginManager, deployment: Deployment) -> Callable[[str, str], bool]:
    """(office id, event type) → whether a plugin that office enables handles events of the type."""
    def handled(office_id: str, event_type: str) -> bool:
        return bool(plugins.event_handlers(deployment.office(office_id), event_type))
    return handled


def tell_publishers_the_handlers(database: Database, plugins: PluginManager, deployment: Deployment) -> None:
    """Every session of ``database`` tells ``core.events.publish`` which events a plugin handles, so that an event
    none does is written already fanned out, and the dispatcher neither fans it out nor wakes for it."""
    database.sessionmaker.configure(info={HANDLED: handled_at_office(plugins, deployment)})


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF_SECONDS, 2 ** attempts)


class Dispatcher:
    """Delivers committed events to plugin handlers, at least once, surviving restarts."""

    def __init__(self, database: Database, plugins: PluginManager, deployment: Deployment,
                 max_attempts: int = MAX_ATTEMPTS):
        self.database = database
        self.plugins = plugins
        self.deployment = deployment
        self.max_attempts = max_attempts
        self._handled = handled_at_office(plugins, deployment)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self, event: Event | None = None) -> None:
        """Start a pass at once: for work in general, or for this committed event, unless no plugin handles it
        (publish wrote it fanned out; should a process have written it without knowing so, the next pass, within
        a second, fans it out)."""
        if event is None or self._handled(event.office_id, event.type):
            self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="mbk-dispatch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def run_forever(self) -> None:
        """Passes on every wake-up (a committed event), and at least once a second. Due deliveries (retries, and
        those a failed fan-out left pending) are looked for once a second, not on every wake-up: a new event is
        delivered as it is fanned out, and polling for due ones after each cost two more transactions per event."""
        next_watch = next_due = 0.0
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake-up during the pass makes the next one start at once
            try:
                if time.monotonic() >= next_watch:
                    next_watch = time.monotonic() + DEVICE_WATCH_SECONDS
                    self.watch_devices()
                now = utcnow()
                fanned, left_pending = self._fan_out(now)
                more = fanned == DELIVERY_BATCH
                if left_pending or time.monotonic() >= next_due:
                    next_due = time.monotonic() + DUE_POLL_SECONDS
                    more = self._deliver_due(now) >= DUE_PER_PASS or more  # polled even behind a backlog
            except Exception:
                log.exception("event dispatcher pass failed; trying again")
                more = False
            if not more:  # else a full batch: more may wait, so the next pass starts at once
                self._wake.wait(timeout=DUE_POLL_SECONDS)

    def watch_devices(self, now: datetime | None = None) -> list[int]:
        """Publish device.offline for devices gone quiet during opening hours (their events go out next pass)."""
        with self.database.session() as session:
            return devices.report_offline(session, self.deployment, now)

    def run_once(self, now: datetime | None = None) -> bool:
        """One pass: fan out new events, then attempt due deliveries. True if anything was done."""
        now = now or utcnow()
        fanned, _ = self._fan_out(now)
        delivered = self._deliver_due(now)
        return bool(fanned or delivered)

    def _fan_out(self, now: datetime) -> tuple[int, bool]:
        """New events get a delivery per plugin that handles them, delivered at once, in the transaction that fans
        them out: the usual event costs one transaction, and no delivery is written, read back and updated. Should
        that transaction fail to commit, the events are fanned out again with their deliveries left pending, which
        ``_deliver_due`` then does in transactions of their own. Returns how many events were fanned out, and
        whether deliveries were left pending so."""
        try:
            return self._fan_out_batch(now, deliver=True), False
        except Exception:
            log.exception("delivering new events as they were fanned out failed; leaving their deliveries pending")
            return self._fan_out_batch(now, deliver=False), True

    def _fan_out_batch(self, now: datetime, deliver: bool) -> int:
        # Core statements built once, and the events read as plain rows: the ORM's loading of them and its flush of
        # fanned_out were most of what a pass cost when no plugin handles the event (py-spy --gil, call-next).
        with self.database.session() as session:
            new_events = _NEW_EVENTS_LOCKED if is_postgres(session) else _NEW_EVENTS
            events = [Event(*row) for row in session.execute(new_events)]
            deliveries = []
            for event in events:
                for plugin in self.plugins.event_handlers(self.deployment.office(event.office_id), event.type):
                    delivery = EventDelivery(event_id=event.id, office_id=event.office_id, plugin=plugin,
                                             status="pending", attempts=0, next_attempt_at=event.created_at)
                    if deliver:
                        self._deliver(session, delivery, event, now)
                    deliveries.append(delivery)
            if events:
                session.execute(_MARK_FANNED_OUT, {"ids": [event.id for event in events]})
            # Added last: the savepoint each handler runs in would otherwise flush them one handler at a time.
            session.add_all(deliveries)
            return len(events)

    def _deliver_due(self, now: datetime) -> int:
        """Up to ``DUE_PER_PASS`` due deliveries, claimed and delivered ``DELIVERY_BATCH`` to a transaction."""
        done = 0
        while done < DUE_PER_PASS:
            claimed = self._deliver_claimed(now)
            done += claimed
            if claimed < DELIVERY_BATCH:
                break
        return done

    def _deliver_claimed(self, now: datetime) -> int:
        """Claim the first due deliveries no other process holds (FOR UPDATE SKIP LOCKED on PostgreSQL) and deliver
        them in one transaction, each handler in its own savepoint, so that one commit serves the batch; a failing
        handler still rolls back only its own work and has its attempt recorded on its own delivery. Should the
        batch's commit fail, its deliveries are done again one transaction each, so that one bad delivery holds no
        other back."""
        claimed: list[int] = []
        try:
            with self.database.session() as session:
                deliveries = session.scalars(
                    locked(session, select(EventDelivery).where(EventDelivery.status == "pending",
                                                                EventDelivery.next_attempt_at <= now)
                           .order_by(EventDelivery.id).limit(DELIVERY_BATCH), skip_locked=True)
                ).all()
                claimed = [delivery.id for delivery in deliveries]
                self._deliver_all(session, deliveries, now)
                return len(deliveries)
        except Exception:
            if len(claimed) <= 1:
                raise
            log.exception("a batch of %s event deliveries failed to commit; delivering them one at a time",
                          len(claimed))
            return sum(self._deliver_one(delivery_id, now) for delivery_id in claimed)

    def _deliver_all(self, session: Session, deliveries: Sequence[EventDelivery], now: datetime) -> None:
        events = {row.id: row.as_event() for row in session.scalars(
            select(OutboxEvent).where(OutboxEvent.id.in_({d.event_id for d in deliveries})))} if deliveries else {}
        for delivery in deliveries:
            self._deliver(session, delivery, events.get(delivery.event_id), now)

    def _deliver_one(self, delivery_id: int, now: datetime) -> int:
        """One delivery in a transaction of its own (0: another process has it, has done it or rescheduled it)."""
        with self.database.session() as session:
            claimed = session.scalars(
                locked(session, select(EventDelivery).where(EventDelivery.id == delivery_id,
                                                            EventDelivery.status == "pending",
                                                            EventDelivery.next_attempt_at <= now), skip_locked=True)
            ).all()
            self._deliver_all(session, claimed, now)
            return len(claimed)

    def _deliver(self, session: Session, delivery: EventDelivery, event: Event | None, now: datetime) -> None:
        office = self.deployment.office(delivery.office_id)
        handler = dict(self.plugins.implementations("mbk_handle_event", [delivery.plugin])).get(delivery.plugin)
        if event is None or office is None or handler is None or not office.enables(delivery.plugin):
            delivery.status = "failed"
            delivery.last_error = "office or plugin no longer configured"
            return
        delivery.attempts += 1
        try:
            with session.begin_nested():
                handler(event=event, office=office, session=session)
        except Exception as exc:
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= self.max_attempts:
                delivery.status = "failed"
                log.error("event %s to plugin %s failed for good after %s attempts: %s",
                          event.id, delivery.plugin, delivery.attempts, delivery.last_error)
            else:
                delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
                log.warning("event %s to plugin %s failed (attempt %s), retrying: %s",
                            event.id, delivery.plugin, delivery.attempts, delivery.last_error)
        else:
            delivery.status = "done"
            delivery.delivered_at = utcnow()
            delivery.last_error = None
