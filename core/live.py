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
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from core.db import Database, utcnow
from core.events import NOTIFY_CHANNEL, PENDING_LIVE, Event, OutboxEvent

log = logging.getLogger(__name__)


Render = Callable[[Event], Any]  # an event → what an audience receives (None: nothing); called once per audience
Follow = Callable[[Event], "Render | None"]  # an event a listener got → the audience it moves to, or None


class Subscription:
    """One live listener's queue of an office's events, as its audience's ``render`` made them (the events
    themselves without one). ``get()`` answers None when the listener fell so far behind that events were dropped:
    it should end and start again from the current state.

    A listener that can use an item at once, in the fan-out's own step, sets ``take``: then an item goes to it
    instead of the queue, and no task is woken per item. ``take`` answers False while the listener is busy (its
    last item still being written): the item then waits in the queue, in order, until the listener empties it with
    ``take_waiting()``; items never go to ``take`` while others wait."""

    MAX_BACKLOG = 1000

    def __init__(self, broker: LiveBroker, office_id: str, render: Render | None = None,
                 follow: Follow | None = None):
        self.broker = broker
        self.office_id = office_id
        self.render = render
        self.follow = follow
        self.take: Callable[[Any], bool] | None = None
        # Made when an item first has to wait: a listener that takes its items never needs one (six objects fewer
        # per open stream for the garbage collector to walk).
        self._queue: asyncio.Queue[Any] | None = None
        self._overflowed = False

    def offer(self, item: Any) -> None:
        """Called on the event loop's thread."""
        if self._overflowed:
            return
        queue = self._queue
        if queue is None or queue.empty():
            if self.take is not None and self.take(item):
                return
            if queue is None:
                queue = self._queue = asyncio.Queue()
        elif queue.qsize() >= self.MAX_BACKLOG:
            self._overflowed = True
            queue.put_nowait(None)
            return
        queue.put_nowait(item)

    async def get(self) -> Any:
        if self._queue is None:
            self._queue = asyncio.Queue()
        return await self._queue.get()

    def take_waiting(self) -> list[Any]:
        """The items waiting in the queue, oldest first, taken out of it."""
        queue = self._queue
        return [] if queue is None else [queue.get_nowait() for _ in range(queue.qsize())]

    def close(self) -> None:
        self.broker._remove(self)


class LiveBroker:
    """Fans committed events out to the async subscribers of this process, per office and audience.

    Listeners that see the same thing (every board of an office, every phone of one line) share an audience, their
    ``render`` function: an event is rendered once per audience, on the event loop, and the same result is queued for
    each of its listeners; an audience that gets nothing of an event wakes none of them.
    """

    def __init__(self) -> None:
        # office → audience (render; None: the events themselves) → its listeners. Changed on the loop only.
        self._audiences: dict[str, dict[Render | None, set[Subscription]]] = defaultdict(dict)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.wakeups: list[Callable[[Event], None]] = []  # called with each event, after the streams got it

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def deliver(self, event: Event) -> None:
        """Hand an event to local subscribers, then call the ``wakeups``; callable from any thread. The streams go
        first: a woken thread (the dispatcher) would otherwise take turns with the fan-out for the interpreter."""
        loop = self._loop
        if loop is not None and self._audiences.get(event.office_id):
            try:
                loop.call_soon_threadsafe(self._fan_out_then_wake, event)
                return
            except RuntimeError:  # the loop closed meanwhile (server stopping): nobody is listening any more
                pass
        self._wake(event)

    def _wake(self, event: Event) -> None:
        for wake in self.wakeups:
            wake(event)

    def _fan_out_then_wake(self, event: Event) -> None:
        try:
            self._fan_out(event)
        finally:
            self._wake(event)

    def _fan_out(self, event: Event) -> None:
        """On the loop: render the event once per audience of its office and queue that for every listener."""
        moves: list[tuple[Subscription, Render]] = []
        with self._lock:
            audiences = [(render, list(listeners)) for render, listeners in self._audiences[event.office_id].items()]
        for render, listeners in audiences:
            if render is None:
                item = event
            else:
                try:
                    item = render(event)
                except Exception:  # one page's projection failing must not stop the others' events
                    log.exception("live projection %r failed on event %s", render, event.id)
                    continue
                if item is None:
                    continue
            for subscription in listeners:
                subscription.offer(item)
                if subscription.follow is not None:
                    moved = subscription.follow(event)
                    if moved is not None and moved != render:
                        moves.append((subscription, moved))
        for subscription, render in moves:  # after this event, so it is not rendered twice for the same listener
            self._move(subscription, render)

    def subscribe(self, office_id: str, render: Render | None = None, follow: Follow | None = None) -> Subscription:
        """Register a listener at once (call on the event loop); events committed from now on reach it, through
        ``render`` (shared by the listeners that see the same: pass the same function), and ``follow`` moves it to
        another audience after an event it got (a visitor's ticket moved to another line)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        subscription = Subscription(self, office_id, render, follow)
        with self._lock:
            self._audiences[office_id].setdefault(render, set()).add(subscription)
        return subscription

    def _move(self, subscription: Subscription, render: Render) -> None:
        with self._lock:
            self._discard(subscription)
            subscription.render = render
            self._audiences[subscription.office_id].setdefault(render, set()).add(subscription)

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._discard(subscription)

    def _discard(self, subscription: Subscription) -> None:
        audiences = self._audiences[subscription.office_id]
        listeners = audiences.get(subscription.render)
        if listeners is not None:
            listeners.discard(subscription)
            if not listeners:
                del audiences[subscription.render]

    def subscriber_count(self, office_id: str) -> int:
        with self._lock:
            return sum(len(listeners) for listeners in self._audiences.get(office_id, {}).values())


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
    # An event takes its id (in order: a sequence) just after its stamp (core.events.publish), so every event stamped
    # since a moment has a greater id than any stamped this much before it.
    STAMP_TO_ID = timedelta(seconds=60)
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
            self._wake()
            self._thread.join(timeout=5)

    def _wake(self) -> None:
        """Ends the listener's wait for notifications at once rather than at the end of its half-second poll (each
        stop of a server, and of every test's app, waited for it): an empty notification, which listeners pass over."""
        try:
            with self.database.engine.begin() as conn:
                conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))
        except SQLAlchemyError:
            log.warning("could not wake the event listener to stop it; it stops within half a second")

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
                            if self._stop.is_set():
                                break
                            self._handle(note.payload)
            except Exception:  # connection lost: reconnect after a pause, never die silently
                log.exception("event listener lost its PostgreSQL connection; reconnecting")
                self._stop.wait(1)

    def _handle(self, payload: str) -> None:
        """A notification carries the whole event (core.events.notice), or ``[office, id]`` for a long one; an
        empty one is a listener's wake-up at its stop."""
        if not payload:
            return
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
        """Hand over the events stamped since ``since`` that it has not seen. core_event has no index on the stamp
        (every event written would pay for one, for a read made only after a lost connection): they are read by the
        primary key, above the newest event stamped well before ``since``, found by walking the key down from the
        newest event (as far back as events were written in the last few minutes)."""
        with self.database.session() as session:
            before = session.scalar(select(OutboxEvent.id).where(OutboxEvent.created_at < since - self.STAMP_TO_ID)
                                    .order_by(OutboxEvent.id.desc()).limit(1))
            missed = [row.as_event() for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.id > (before or 0), OutboxEvent.created_at >= since)
                .order_by(OutboxEvent.id)) if row.id not in self._seen]
        if missed:
            log.warning("event listener reconnected: handing over %s event(s) committed meanwhile", len(missed))
        for missed_event in missed:
            self._hand_over(missed_event)

    def _hand_over(self, committed: Event) -> None:
        self._seen[committed.id] = None
        if len(self._seen) > self.REMEMBERED:
            del self._seen[next(iter(self._seen))]
        self.broker.deliver(committed)
