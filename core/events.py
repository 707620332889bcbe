"""Domain events: a transactional outbox, an at-least-once dispatcher, and live fan-out.

``publish(session, office_id, event)`` writes the event in the publisher's own transaction, so an event
exists if and only if the change it describes was committed. After commit:
- the dispatcher hands it to the ``mbk_handle_event`` hook of every plugin the office enables, one
  delivery record per plugin, retried with exponential backoff until done or failed;
- live listeners (display boards, phones, consoles) of that office get it at once. On PostgreSQL the
  fan-out goes through LISTEN/NOTIFY (NOTIFY is transactional: it is sent on commit), so every server
  process sees events committed by any other; on SQLite (one process) it is handed over in-process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from core.db import Base, Database, UTCDateTime, utcnow

if TYPE_CHECKING:
    from core.config import Deployment
    from core.plugins import PluginManager

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "mbk_events"
PENDING_LIVE = "mbk_pending_live_events"  # session.info key (SQLite): events to hand to the broker on commit
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300


class DomainEvent(BaseModel):
    """Base for typed events. Subclasses set ``type`` (e.g. ``"ticket.called"``) and their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[str]


def _type_text(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")


@dataclass(frozen=True)
class EventType:
    """A domain event type as a plugin registered it (``mbk_event_types``): the published contract."""

    name: str
    plugin: str
    model: type[DomainEvent]

    def fields(self) -> list[tuple[str, str]]:
        """(field, type) in declaration order, as ``mbk events types`` prints them."""
        return [(name, _type_text(info.annotation)) for name, info in self.model.model_fields.items()]


class EventTypes(Mapping[str, EventType]):
    """Every registered event type by name. Consumers (notify rules, ``mbk check``, tests) look types up here
    instead of copying a publisher's classes."""

    def __init__(self) -> None:
        self._types: dict[str, EventType] = {}

    def add(self, plugin: str, models: Iterable[Any]) -> None:
        """Register a plugin's types, all or none: each must be a DomainEvent with its own ``type``."""
        new: dict[str, EventType] = {}
        for model in models:
            if not (isinstance(model, type) and issubclass(model, DomainEvent)) or not isinstance(
                    getattr(model, "type", None), str):
                raise TypeError(f"{model!r} is not a DomainEvent subclass with a type")
            owner = self._types.get(model.type) or new.get(model.type)
            if owner is not None:
                raise ValueError(f"event type {model.type!r} is already published by plugin {owner.plugin!r}")
            new[model.type] = EventType(model.type, plugin, model)
        self._types.update(new)

    def __getitem__(self, name: str) -> EventType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)


@dataclass(frozen=True)
class Event:
    """A committed event as handlers and live listeners see it."""

    id: int
    office_id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "office": self.office_id, "type": self.type,
                           "payload": self.payload, "created_at": self.created_at.isoformat()})


class OutboxEvent(Base):
    __tablename__ = "core_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once delivery records exist for every plugin that should get the event.
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    def as_event(self) -> Event:
        return Event(self.id, self.office_id, self.type, dict(self.payload), self.created_at)


class EventDelivery(Base):
    __tablename__ = "core_event_delivery"
    __table_args__ = (UniqueConstraint("event_id", "plugin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("core_event.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    plugin: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def publish(session: Session, office_id: str, domain_event: DomainEvent) -> OutboxEvent:
    """Record an event in the caller's transaction; it is delivered only if that transaction commits."""
    row = OutboxEvent(office_id=office_id, type=domain_event.type, payload=domain_event.model_dump(mode="json"))
    session.add(row)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(NOTIFY_CHANNEL, json.dumps([office_id, row.id]))))
    else:
        # Kept with the (innermost) transaction it was written in: a savepoint rolled back takes it along.
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING_LIVE, []).append((transaction, row.as_event()))
    return row


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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
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
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake-up during the pass makes the next one start at once
            try:
                busy = self.run_once()
            except Exception:
                log.exception("event dispatcher pass failed; trying again")
                busy = False
            if not busy:
                self._wake.wait(timeout=1.0)

    def run_once(self, now: datetime | None = None) -> bool:
        """One pass: fan out new events, then attempt due deliveries. True if anything was done."""
        fanned = self._fan_out()
        delivered = self._deliver_due(now or utcnow())
        return bool(fanned or delivered)

    def _locking(self, stmt: Any) -> Any:
        if self.database.is_postgres:
            return stmt.with_for_update(skip_locked=True)
        return stmt

    def _fan_out(self) -> int:
        with self.database.session() as session:
            rows = session.scalars(
                self._locking(select(OutboxEvent).where(OutboxEvent.fanned_out.is_(False))
                              .order_by(OutboxEvent.id).limit(200))
            ).all()
            for row in rows:
                office = self.deployment.office(row.office_id)
                enabled = office.enabled_plugins if office else ()
                for plugin, _ in self.plugins.implementations("mbk_handle_event", enabled):
                    session.add(EventDelivery(event_id=row.id, office_id=row.office_id, plugin=plugin,
                                              next_attempt_at=row.created_at))
                row.fanned_out = True
            return len(rows)

    def _deliver_due(self, now: datetime) -> int:
        with self.database.session() as session:
            due = session.scalars(
                select(EventDelivery.id).where(EventDelivery.status == "pending",
                                               EventDelivery.next_attempt_at <= now)
                .order_by(EventDelivery.id).limit(100)
            ).all()
        done = 0
        for delivery_id in due:
            done += self._deliver_one(delivery_id, now)
        return done

    def _deliver_one(self, delivery_id: int, now: datetime) -> int:
        with self.database.session() as session:
            delivery = session.scalars(
                self._locking(select(EventDelivery).where(EventDelivery.id == delivery_id,
                                                          EventDelivery.status == "pending",
                                                          EventDelivery.next_attempt_at <= now))
            ).first()
            if delivery is None:  # another process has it, has done it, or has rescheduled it
                return 0
            row = session.get(OutboxEvent, delivery.event_id)
            office = self.deployment.office(delivery.office_id)
            handler = dict(self.plugins.implementations("mbk_handle_event", [delivery.plugin])).get(delivery.plugin)
            if row is None or office is None or handler is None or not office.enables(delivery.plugin):
                delivery.status = "failed"
                delivery.last_error = "office or plugin no longer configured"
                return 1
            delivery.attempts += 1
            try:
                with session.begin_nested():
                    handler(event=row.as_event(), office=office, session=session)
            except Exception as exc:
                delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if delivery.attempts >= self.max_attempts:
                    delivery.status = "failed"
                    log.error("event %s to plugin %s failed for good after %s attempts: %s",
                              row.id, delivery.plugin, delivery.attempts, delivery.last_error)
                else:
                    delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
                    log.warning("event %s to plugin %s failed (attempt %s), retrying: %s",
                                row.id, delivery.plugin, delivery.attempts, delivery.last_error)
            else:
                delivery.status = "done"
                delivery.delivered_at = utcnow()
                delivery.last_error = None
            return 1


def failed_deliveries(session: Session, office_id: str | None = None) -> list[tuple[EventDelivery, OutboxEvent]]:
    stmt = (select(EventDelivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
            .where(EventDelivery.status == "failed").order_by(EventDelivery.id))
    if office_id is not None:
        stmt = stmt.where(EventDelivery.office_id == office_id)
    return [(d, e) for d, e in session.execute(stmt).all()]


def retry_delivery(session: Session, delivery_id: int, office_id: str | None = None) -> EventDelivery | None:
    """Put a failed delivery back in the queue with a fresh attempt budget; None if there is no such failure."""
    stmt = select(EventDelivery).where(EventDelivery.id == delivery_id, EventDelivery.status == "failed")
    if office_id is not None:
        stmt = stmt.where(EventDelivery.office_id == office_id)
    delivery = session.scalars(stmt).first()
    if delivery is None:
        return None
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    return delivery


def purge_delivered(session: Session, before: datetime) -> int:
    """Delete events created before ``before`` that every plugin has received (payloads may hold personal
    data such as a phone number). Events still pending or failed somewhere are kept. Returns the count."""
    undelivered = select(EventDelivery.id).where(EventDelivery.event_id == OutboxEvent.id,
                                                 EventDelivery.status != "done")
    ids = list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.fanned_out.is_(True),
                                                            OutboxEvent.created_at < before, ~exists(undelivered))))
    for chunk in range(0, len(ids), 500):
        batch = ids[chunk:chunk + 500]
        session.execute(delete(EventDelivery).where(EventDelivery.event_id.in_(batch)))
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(batch)))
    return len(ids)
