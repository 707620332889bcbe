"""Live fan-out of committed events to the listeners of an office (display boards, phones, consoles).

On SQLite (one process) an event is handed to the broker when its transaction commits; on PostgreSQL a listener
thread LISTENs for the NOTIFY that core.events.publish sends on commit, so every server process's broker gets the
events committed by any other.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from core.db import Database, utcnow
from core.events import NOTIFY_CHANNEL, PENDING_LIVE, Event, OutboxEvent

log = logging.getLogger(__name__)


class Subscription:
    """One live listener's queue of an office's events. ``get()`` answers None when the listener fell so far
    behind that events were dropped: it should end and start again from the current state."""

    MAX_BACKLOG = 1000

    def __init__(self, broker: LiveBroker, office_id: str):
        self.broker = broker
        self.office_id = office_id
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._overflowed = False

    def offer(self, event: Event) -> None:
        """Called on the event loop's thread."""
        if self._overflowed:
            return
        if self._queue.qsize() >= self.MAX_BACKLOG:
            self._overflowed = True
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait(event)

    async def get(self) -> Event | None:
        return await self._queue.get()

    def close(self) -> None:
        self.broker._remove(self)


class LiveBroker:
    """Fans committed events out to the async subscribers of this process, per office."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.wakeups: list[Callable[[], None]] = []

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def deliver(self, event: Event) -> None:
        """Hand an event to local subscribers; callable from any thread."""
        for wake in self.wakeups:
            wake()
        loop = self._loop
        with self._lock:
            subscriptions = list(self._subscribers.get(event.office_id, ()))
        if loop is None or not subscriptions:
            return
        for subscription in subscriptions:
            try:
                loop.call_soon_threadsafe(subscription.offer, event)
            except RuntimeError:  # the loop closed meanwhile (server stopping): nobody is listening any more
                return

    def subscribe(self, office_id: str) -> Subscription:
        """Register a listener at once (call on the event loop); events committed from now on reach it."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        subscription = Subscription(self, office_id)
        with self._lock:
            self._subscribers[office_id].add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers[subscription.office_id].discard(subscription)

    def subscriber_count(self, office_id: str) -> int:
        with self._lock:
            return len(self._subscribers.get(office_id, ()))


def attach_broker(database: Database, broker: LiveBroker) -> None:
    """Wire a database's sessions to a broker: in-process delivery on SQLite, LISTEN/NOTIFY on PostgreSQL."""

    @event.listens_for(database.sessionmaker, "after_commit")
    def _after_commit(session: Session) -> None:
        for _transaction, committed in session.info.pop(PENDING_LIVE, []):
            broker.deliver(committed)

    @event.listens_for(database.sessionmaker, "after_soft_rollback")
    def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
        pending = session.info.get(PENDING_LIVE)
        if pending:
            session.info[PENDING_LIVE] = [(t, e) for t, e in pending if not _inside(t, previous_transaction)]


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


class PostgresListener:
    """A thread that LISTENs for committed events and hands them to the local broker.

    If the connection drops (database restart, failover), notifications sent meanwhile are lost; after
    reconnecting it hands over the events committed since shortly before the loss that it has not seen yet,
    so a display board does not miss the call of a ticket.
    """

    # Events are stamped when written, not when committed: look back far enough for the transactions that were
    # open when the connection dropped.
    CATCH_UP_MARGIN = timedelta(seconds=60)
    REMEMBERED = 10_000

    def __init__(self, database: Database, broker: LiveBroker):
        self.database = database
        self.broker = broker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()
        self._seen: dict[int, None] = {}  # recently handed-over event ids, oldest first
        self._alive_at: datetime | None = None  # last moment the connection was known to work

    def start(self, ready_timeout: float = 10.0) -> None:
        """Start listening; returns once LISTEN is in place, so a started server misses no event."""
        self._thread = threading.Thread(target=self._run, name="mbk-listen", daemon=True)
        self._thread.start()
        if not self.ready.wait(ready_timeout):
            log.error("event listener could not LISTEN within %s s; live pages will lag until it can", ready_timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        url = self.database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    if self._alive_at is not None:
                        self._catch_up(self._alive_at - self.CATCH_UP_MARGIN)
                    self.ready.set()
                    while not self._stop.is_set():
                        self._alive_at = utcnow()
                        for note in conn.notifies(timeout=0.5):
                            self._handle(note.payload)
            except Exception:  # connection lost: reconnect after a pause, never die silently
                log.exception("event listener lost its PostgreSQL connection; reconnecting")
                self._stop.wait(1)

    def _handle(self, payload: str) -> None:
        """A notification carries the whole event (core.events.notice), or ``[office, id]`` for a long one."""
        if payload.startswith("{"):
            committed = Event.from_json(payload)
            if committed.id not in self._seen:
                self._hand_over(committed)
            return
        _office_id, event_id = json.loads(payload)
        if event_id in self._seen:
            return
        with self.database.session() as session:
            row = session.get(OutboxEvent, event_id)
            if row is not None:
                self._hand_over(row.as_event())

    def _catch_up(self, since: datetime) -> None:
        with self.database.session() as session:
            missed = [row.as_event() for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.created_at >= since).order_by(OutboxEvent.id))
                if row.id not in self._seen]
        if missed:
            log.warning("event listener reconnected: handing over %s event(s) committed meanwhile", len(missed))
        for missed_event in missed:
            self._hand_over(missed_event)

    def _hand_over(self, committed: Event) -> None:
        self._seen[committed.id] = None
        if len(self._seen) > self.REMEMBERED:
            del self._seen[next(iter(self._seen))]
        self.broker.deliver(committed)
