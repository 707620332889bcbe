"""The board never misses a call, on SQLite and PostgreSQL: its live stream subscribes before it reads the state
it sends first, so a call committed while that state is read still reaches the board."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from core.events import publish
from core.web import sse
from core.web.app import AppContext
from plugins.queue import views
from plugins.queue.events import TicketCalled
from tests.core.test_live import SseStream
from tests.support import LiveServer


def test_a_call_committed_while_the_board_reads_its_state_is_not_lost(
        make_context: Callable[..., AppContext], monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_context()
    read_state = views.board_state

    def a_call_then_the_state(session: Any, office: Any, language: str) -> dict[str, Any]:
        """A guide's call commits just as the board's state is read (not yet in it): the race of the old code,
        where the state was read before the stream subscribed, made certain."""
        with ctx.db.session() as other:
            publish(other, office.id, TicketCalled(ticket_id="t-race", number="B042", service="guidance",
                                                   counter="desk-1", counter_name="Desk 1", recall=False,
                                                   language="sv", seat=None))
        return read_state(session, office, language)

    monkeypatch.setattr(views, "board_state", a_call_then_the_state)
    # no keep-alive comment within the client's read timeout: a lost call fails the read instead of waiting forever
    monkeypatch.setattr(sse, "KEEPALIVE_SECONDS", 3600)
    with LiveServer(ctx) as server, httpx.Client(timeout=httpx.Timeout(20.0)) as client, \
            client.stream("GET", f"{server.url}/api/v1/offices/skarholmen/queue/board/events") as response:
        board = SseStream(response)
        kind, state = board.next()
        assert kind == "state" and "B042" not in str(state)
        kind, call = board.next()  # with the state read before subscribing, this read would time out
        assert kind == "ticket.called" and call["number"] == "B042"  # type: ignore[index]


def test_sse_initial_is_a_function() -> None:
    """A value cannot be passed as the first state any more: only a function, called after subscribing."""
    import inspect

    from core.web.sse import sse_response

    assert inspect.signature(sse_response).parameters["initial"].annotation == "Callable[[], Any] | None"
