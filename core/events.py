"""Domain events: the types a plugin publishes, and the transactional outbox that holds them.

``publish(session, office_id, event)`` writes the event in the publisher's own transaction, so an event
exists if and only if the change it describes was committed. After commit, core.dispatch hands it to the
``mbk_handle_event`` hook of every plugin the office enables that handles its type (``mbk_handled_events``; one
delivery record per such plugin, retried with backoff), and core.live to the office's live listeners (display
boards, phones, consoles): on PostgreSQL through LISTEN/NOTIFY (NOTIFY is transactional: it is sent on commit), so
every server process sees events committed by any other; on SQLite (one process) in-process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, UTCDateTime, is_postgres, utcnow

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "mbk_events"
NOTIFY_LIMIT = 7999  # bytes: PostgreSQL refuses a longer notification payload
MAX_ID_DIGITS = 10  # an event id is an INTEGER
PENDING_LIVE = "mbk_pending_live_events"  # session.info key (SQLite): events to hand to the broker on commit
# session.info key: (office id, event type) → whether a plugin that office enables handles the type (core.dispatch
# puts it in every session of the app's database).
HANDLED = "mbk_event_handled"


class DomainEvent(BaseModel):
    """Base for typed events. Subclasses set ``type`` (e.g. ``"ticket.called"``), their fields, and ``label``: the
    type's name for staff (marked with core.i18n.N_, translated where it is shown; without one, staff see the type)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[str]
    label: ClassVar[str | None] = None


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

    @classmethod
    def from_json(cls, text: str) -> Event:
        data = json.loads(text)
        return cls(data["id"], data["office"], data["type"], data["payload"],
                   datetime.fromisoformat(data["created_at"]))


def notice_around_id(office_id: str, type_: str, payload: dict[str, Any], created_at: datetime) -> tuple[str, str]:
    """What NOTIFY carries for an event, as the text before and after its id (which the database gives the row in
    the statement that also sends the NOTIFY): the whole event (``Event.to_json``), so a listener need not read it
    back; an event too long for a notification goes as ``[office, id]``, and the listener reads that one."""
    rest = json.dumps({"office": office_id, "type": type_, "payload": payload, "created_at": created_at.isoformat()})
    head, tail = '{"id": ', ", " + rest[1:]
    if len((head + tail).encode()) + MAX_ID_DIGITS > NOTIFY_LIMIT:
        head, tail = f"[{json.dumps(office_id)}, ", "]"
    return head, tail


def notice(row: OutboxEvent) -> str:
    head, tail = notice_around_id(row.office_id, row.type, row.payload, row.created_at)
    return f"{head}{row.id}{tail}"


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


class OutboxEvent(Base):
    __tablename__ = "core_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    office_id: Mapped[str] = mapped_column(String(64))  # not indexed: events are read by id and fanned_out only
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


_WRITE_EVENT = insert(OutboxEvent.__table__).values(
    office_id=bindparam("office_id"), type=bindparam("type"), payload=bindparam("payload"),
    created_at=bindparam("created_at"), fanned_out=bindparam("fanned_out")).returning(OutboxEvent.__table__.c.id)
_written = _WRITE_EVENT.cte("written")
# PostgreSQL: the row and its NOTIFY in one statement, built once (events are published on every busy request).
_WRITE_AND_NOTIFY_EVENT = select(_written.c.id, func.pg_notify(
    NOTIFY_CHANNEL, bindparam("head") + cast(_written.c.id, String) + bindparam("tail")))


def awaits_fan_out(session: Session, office_id: str, event_type: str) -> bool:
    """Whether an event needs the dispatcher's fan-out: not one that no plugin at its office handles, which is
    written already fanned out (its fan-out would only mark it so, in a transaction of its own; the live listeners
    get it all the same). A session that cannot tell (not made by the app's composition) leaves every event to the
    dispatcher."""
    handled = session.info.get(HANDLED)
    return handled is None or handled(office_id, event_type)


def publish(session: Session, office_id: str, domain_event: DomainEvent) -> Event:
    """Record an event in the caller's transaction; it is delivered only if that transaction commits."""
    payload, created_at = domain_event.model_dump(mode="json"), utcnow()
    values = {"office_id": office_id, "type": domain_event.type, "payload": payload, "created_at": created_at,
              "fanned_out": not awaits_fan_out(session, office_id, domain_event.type)}
    if is_postgres(session):
        head, tail = notice_around_id(office_id, domain_event.type, payload, created_at)
        event_id = session.execute(_WRITE_AND_NOTIFY_EVENT, {**values, "head": head, "tail": tail}).scalar_one()
        return Event(event_id, office_id, domain_event.type, payload, created_at)
    event = Event(session.execute(_WRITE_EVENT, values).scalar_one(), office_id, domain_event.type, payload,
                  created_at)
    # Kept with the (innermost) transaction it was written in: a savepoint rolled back takes it along.
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_LIVE, []).append((transaction, event))
    return event


def publish_all(session: Session, office_id: str, domain_events: list[DomainEvent]) -> list[OutboxEvent]:
    """``publish`` for many events at once (a calendar import): one flush for all rows instead of one each, and
    PostgreSQL's notifications sent a hundred to a statement."""
    rows = [OutboxEvent(office_id=office_id, type=e.type, payload=e.model_dump(mode="json"),
                        fanned_out=not awaits_fan_out(session, office_id, e.type)) for e in domain_events]
    session.add_all(rows)
    session.flush()
    if is_postgres(session):
        for first in range(0, len(rows), 100):
            session.execute(select(*[func.pg_notify(NOTIFY_CHANNEL, notice(row))
                                     for row in rows[first:first + 100]]))
    else:
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING_LIVE, []).extend((transaction, row.as_event()) for row in rows)
    return rows


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
