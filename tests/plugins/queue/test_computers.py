"""One story about the public computers, on SQLite and PostgreSQL: a free seat is "go to computer N" on the
kiosk, the phone and the board at once, and a wait is estimated only when there is one to give (never "about 0
minutes" while every seat is taken)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from core.web.app import AppContext
from plugins.queue import estimates, lifecycle
from tests.plugins.queue.test_service import T0, act, issue, office, qctx  # noqa: F401  (qctx: the fixture)
from tests.support import device_header


def _estimate(ctx: AppContext, position: int, now: object) -> int | None:
    with ctx.db.session() as session:
        return estimates.estimate_for(session, office(ctx), "computers", position, now)  # type: ignore[arg-type]


def test_a_full_room_waits_for_the_first_computer_to_free(qctx: AppContext) -> None:  # noqa: F811
    # yesterday's pace: two visitors had a computer for 20 minutes each (two seats in the test office)
    earlier = [issue(qctx, "computers", now=T0 - timedelta(hours=1)).ticket for _ in range(2)]
    for ticket in earlier:
        act(qctx, lifecycle.done, ticket.public_id, now=T0 - timedelta(minutes=40))
    for _ in range(2):  # both computers taken at T0
        assert issue(qctx, "computers", now=T0).ticket.seat is not None
    waiting = issue(qctx, "computers", now=T0)
    assert waiting.ticket.seat is None and waiting.position == 1
    assert waiting.estimated_wait_minutes == 20  # when the first computer frees, not "about 0 minutes"
    assert _estimate(qctx, 1, T0) == 20 and _estimate(qctx, 2, T0) == 20 and _estimate(qctx, 3, T0) == 40
    # past the usual time, still nobody has left: a minute at least, never zero while every seat is taken
    assert _estimate(qctx, 1, T0 + timedelta(minutes=25)) == 1


def test_no_estimate_without_a_usual_time(qctx: AppContext) -> None:  # noqa: F811
    for _ in range(2):
        issue(qctx, "computers", now=T0)
    waiting = issue(qctx, "computers", now=T0)
    assert waiting.ticket.seat is None and waiting.estimated_wait_minutes is None


def test_a_free_computer_is_the_same_news_on_the_kiosk_the_phone_and_the_board(client: TestClient,
                                                                              ctx: AppContext) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    screen = client.get("/skarholmen/kiosk/tickets/computers?lang=en", headers={**kiosk, "Accept": "text/html"})
    assert "A computer is free now." in screen.text and "about 0 minutes" not in screen.text
    ticket = client.post("/api/v1/offices/skarholmen/kiosk/tickets", headers=kiosk, json={
        "language": "en", "idempotency_key": "computers-01", "service": "computers"}).json()
    assert ticket["position_text"] == "Go to Computer 1 now." and ticket["wait_text"] == ""
    phone = client.get(ticket["status_path"], headers={"Accept": "text/html", "Accept-Language": "en"})
    assert "Your computer is ready: Computer 1." in phone.text
    board = client.get("/api/v1/offices/skarholmen/queue/board?lang=en").json()
    [call] = [c for c in board["calls"] if c["number"] == ticket["number"]]
    assert call["seat"] == 1 and call["counter_names"]["en"] == "Computer 1"
