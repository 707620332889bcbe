"""Live fan-out to many streams: every board and phone stream of an office gets exactly what its own projection
gives, in order, though each event is projected and encoded once per audience (every board of the office; every
phone of a line), and a phone follows its ticket into another line without missing an event of either line."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from core.config import OfficeConfig
from core.events import Event
from core.live import LiveBroker, Subscription
from core.web.sse import Encoded, Projection, sse_message, subscribe_stream
from plugins.queue import views
from plugins.queue.models import Ticket
from tests.plugins.queue.test_stream_contract import every_event, office  # noqa: F401 (fixtures)

BOARDS = 40
PHONES_PER_TICKET = 15


def expected(project: Projection, events: list[Event]) -> list[str]:
    return [sse_message(p, e.type, e.id) for e in events if (p := project(e)) is not None]


def test_every_stream_gets_each_of_its_events_encoded_once_per_audience(
        office: OfficeConfig, every_event: tuple[list[Event], Ticket]) -> None:  # noqa: F811
    events, _ = every_event
    transfer = next(e for e in events if e.type == "ticket.transferred")
    later = Event(events[-1].id + 1, office.id, "ticket.issued",
                  {"ticket_id": "later", "number": "A009", "service": transfer.payload["to_service"],
                   "category": None, "language": "sv", "position": 2, "estimated_wait_minutes": None},
                  events[-1].created_at + timedelta(minutes=1))
    events = [*events, later]  # an event of the new line after the transfer: the moved phones must get it
    lines = {e.payload["ticket_id"]: e.payload["service"] for e in events if e.type == "ticket.issued"}
    end = Event(later.id + 1, office.id, "test.end", {}, later.created_at)
    broker = LiveBroker()

    async def scenario() -> tuple[Subscription, list[Subscription], dict[str, list[Subscription]], Subscription]:
        marker = broker.subscribe(office.id)  # gets the events themselves: the end event says every fan-out ran
        boards = [broker.subscribe(office.id, Encoded(views.board_projection(office))) for _ in range(BOARDS)]
        phones = {ticket: [subscribe_stream(broker, office.id, views.ticket_projection(ticket, line))
                           for _ in range(PHONES_PER_TICKET)] for ticket, line in lines.items()}
        elsewhere = broker.subscribe("elsewhere", Encoded(views.board_projection(office)))
        feeder = threading.Thread(target=lambda: [broker.deliver(e) for e in [*events, end]])  # like the listener
        feeder.start()
        while (await marker.get()).type != "test.end":
            pass
        feeder.join()
        return marker, boards, phones, elsewhere

    results: list[tuple[Subscription, list[Subscription], dict[str, list[Subscription]], Subscription]] = []
    runner = threading.Thread(target=lambda: results.append(asyncio.run(scenario())))
    runner.start()
    runner.join(timeout=60)
    _, boards, phones, elsewhere = results[0]

    def received(subscription: Subscription) -> list[str]:
        return subscription.take_waiting()

    board_messages = [received(board) for board in boards]
    assert board_messages[0] == expected(views.board_projection(office), events)
    assert len(board_messages[0]) == len([e for e in events if e.type in views.TICKET_EVENTS])
    # one encoding for every board: the very same string objects
    assert all(all(m is n for m, n in zip(messages, board_messages[0], strict=True)) for messages in board_messages)
    for ticket, line in lines.items():
        # what a stream of its own (this ticket's projection, event by event) would have sent
        wanted = expected(views.ticket_projection(ticket, line), events)
        assert all(received(phone) == wanted for phone in phones[ticket]), ticket
    moved = transfer.payload["ticket_id"]
    assert expected(views.ticket_projection(moved, lines[moved]), events)[-1] == sse_message(
        {"changed": True}, "ticket.issued", later.id)  # (the moved ticket's phones got the new line's event)
    assert received(elsewhere) == []
