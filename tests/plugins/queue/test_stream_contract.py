"""What the live streams send is a contract: the exact keys per event type for the display board's stream and
for the visitor's phone stream. The board is public (anyone in the room, anyone who opens its URL): it must
never carry a ticket's id (which lets its holder cancel the ticket), its category or its language, nor a phone
number. Every queue event type is produced by the real service, read back from the outbox and projected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.config import OfficeConfig
from core.events import Event, OutboxEvent
from core.hookspecs import TicketRequest
from core.web.app import AppContext
from plugins.queue import lifecycle, views
from plugins.queue.models import Ticket

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CALL_KEYS = {"number", "service", "counter", "counter_names", "seat", "recall", "at"}
# The board's stream, per event type: a call in full, any other change of a line as a hint naming the line.
BOARD_KEYS = {"ticket.called": CALL_KEYS, **{t: {"service"} for t in views.TICKET_EVENTS if t != "ticket.called"}}
BOARD_STATE_KEYS = {"services", "calls"}
SERVICE_KEYS = {"id", "prefix", "name", "waiting", "estimated_wait_minutes", "open", "seats", "seats_free"}
VISITOR_KEYS = {"changed"}  # the phone only learns that it should fetch its own ticket again


@pytest.fixture
def office(ctx: AppContext) -> OfficeConfig:
    return ctx.deployment.office("skarholmen")


@pytest.fixture
def every_event(ctx: AppContext, office: OfficeConfig) -> tuple[list[Event], Ticket]:
    """One of each queue event type (and ticket.near, which carries a phone number), with a category and a
    non-default language on the tickets; returns the events and the ticket the visitor stream follows."""
    now = T0

    def issue(**fields: Any) -> Ticket:
        with ctx.db.session() as session:
            request = TicketRequest(language="ar", service="guidance", category="housing", **fields)
            return lifecycle.issue_ticket(session, office, request, now=now).ticket

    followed = issue(phone="0701234567")
    others = [issue() for _ in range(4)]
    with ctx.db.session() as session:
        for step in (lambda: lifecycle.call_next(session, office, "guide-1", now=now),  # followed: called
                     lambda: lifecycle.recall(session, office, followed.public_id, now=now),
                     lambda: lifecycle.start(session, office, followed.public_id, now=now),
                     lambda: lifecycle.done(session, office, followed.public_id, now=now),
                     lambda: lifecycle.call_next(session, office, "guide-2", now=now),
                     lambda: lifecycle.no_show(session, office, others[0].public_id, now=now),
                     lambda: lifecycle.cancel(session, office, others[1].public_id, now=now),
                     lambda: lifecycle.transfer(session, office, others[2].public_id, "info", "moved", now=now),
                     lambda: lifecycle.set_urgent(session, office, others[3].public_id, True, now=now),
                     lambda: lifecycle.hold(session, office, others[3].public_id, now=now),
                     lambda: lifecycle.resume(session, office, others[3].public_id, now=now)):
            step()
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        events = [row.as_event() for row in rows]
    assert {e.type for e in events} >= set(views.TICKET_EVENTS) | {"ticket.near"}
    return events, followed


def sent(projected: Any) -> str:
    return json.dumps(projected, ensure_ascii=False)


def test_the_boards_stream_sends_exactly_its_keys_per_event_type(
        office: OfficeConfig, every_event: tuple[list[Event], Ticket]) -> None:
    events, _ = every_event
    project = views.board_projection(office)
    seen = set()
    for event in events:
        projected = project(event)
        if event.type not in BOARD_KEYS:
            assert projected is None, f"the board got {event.type}"
            continue
        seen.add(event.type)
        assert set(projected) == BOARD_KEYS[event.type], event.type
        if event.type == "ticket.called":
            assert set(projected["counter_names"]) == set(office.languages)
        text = sent(projected)  # (the language is only ever a key of counter_names: every office language)
        assert event.payload["ticket_id"] not in text and "housing" not in text
    assert seen == set(BOARD_KEYS)


def test_the_boards_first_message_is_its_state_without_ticket_ids(
        client: TestClient, office: OfficeConfig, every_event: tuple[list[Event], Ticket]) -> None:
    events, _ = every_event
    state = client.get("/api/v1/offices/skarholmen/queue/board").json()  # what the stream sends first
    assert set(state) == BOARD_STATE_KEYS
    assert all(set(service) == SERVICE_KEYS for service in state["services"])
    assert all(set(call) == CALL_KEYS for call in state["calls"])
    text = sent(state)
    assert not [e for e in events if e.payload["ticket_id"] in text] and "housing" not in text


def test_the_visitors_stream_sends_only_a_hint_for_its_own_ticket_and_line(
        office: OfficeConfig, every_event: tuple[list[Event], Ticket]) -> None:
    events, followed = every_event
    project = views.ticket_projection(followed.public_id, followed.service)
    hinted = []
    for event in events:
        projected = project(event)
        if projected is None:
            continue
        assert set(projected) == VISITOR_KEYS and projected["changed"] is True, event.type
        hinted.append(event.type)
    assert "ticket.near" not in hinted  # the phone number stays in the outbox
    assert set(hinted) == set(views.TICKET_EVENTS)  # its own ticket's, and the line's (the transfer left it)
    other_line = views.ticket_projection("someone-else", "computers")
    assert [e.type for e in events if other_line(e) is not None] == []


def test_a_transferred_visitors_stream_follows_the_ticket_into_its_new_line(
        office: OfficeConfig, every_event: tuple[list[Event], Ticket]) -> None:
    events, _ = every_event
    transfer = next(e for e in events if e.type == "ticket.transferred")
    project = views.ticket_projection(transfer.payload["ticket_id"], "guidance")
    assert project(transfer) == {"changed": True}
    later = Event(transfer.id + 1, office.id, "ticket.issued", {"ticket_id": "x", "number": "A009", "service": "info",
                                                                "category": None, "language": "sv", "position": 2,
                                                                "estimated_wait_minutes": None},
                  transfer.created_at + timedelta(minutes=1))
    assert project(later) == {"changed": True}
