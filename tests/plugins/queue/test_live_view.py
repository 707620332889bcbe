"""The manager's live view (SQLite and PostgreSQL): who may see it, and what it shows of the room now, with the
kiosk's arrivals waiting for their officer and core's devices offline through mbk_live_figures (the queue never
reads the kiosk's tables, nor core's devices)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from core import devices
from core.db import utcnow
from core.events import OutboxEvent
from core.web.app import AppContext
from tests.support import bearer, device_header

API = "/api/v1/offices/skarholmen/queue"


def test_the_live_view_shows_the_room_now(client: TestClient, ctx: AppContext,
                                          make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    guide = bearer(client, make_user("guide"))
    viewer = bearer(client, make_user("viewer", role="viewer"))
    assert client.get(f"{API}/live", headers=guide).status_code == 403  # admins and viewers
    tickets = [client.post(f"{API}/tickets", headers=kiosk, json={"service": "guidance", "language": "sv",
                                                                  "errand": {"interpreter": "so"}}).json()
               for _ in range(3)]
    client.post(f"{API}/tickets/{tickets[0]['id']}/call", headers=guide, json={"counter": "guide-2"})
    client.post(f"{API}/tickets/{tickets[1]['id']}/hold", headers=guide)
    client.put(f"{API}/counters/guide-3", headers=guide, json={"state": "paused"})
    arrival = client.post("/api/v1/offices/skarholmen/kiosk/arrivals", headers=kiosk, json={
        "language": "sv", "idempotency_key": "arrival-0001", "officer_id": "a-lind"})
    assert arrival.status_code == 201, arrival.text

    state = client.get(f"{API}/live", headers=viewer, params={"lang": "sv"}).json()
    guidance = next(s for s in state["services"] if s["id"] == "guidance")
    assert (guidance["waiting"], guidance["held"], guidance["name"]) == (1, 1, "Samhällsvägledning")
    assert guidance["longest_wait_minutes"] == 0
    counters = {c["id"]: (c["state"], c["serving"]) for c in state["counters"]}
    assert counters["guide-2"] == ("busy", "B001") and counters["guide-3"] == ("paused", None)
    assert counters["guide-1"] == ("idle", None)
    assert state["totals"] == {"issued": 3, "served": 0, "no_shows": 0, "cancelled": 0, "interpreter": 3,
                               "urgent": 0, "waiting": 2}
    assert state["figures"] == [{"id": "arrivals-waiting", "label": "Besökare som väntar på sin handläggare",
                                 "value": 1, "since_minutes": 0},
                                {"id": "devices-offline", "label": "Frånkopplade enheter", "value": 0,
                                 "since_minutes": None}]


def test_devices_gone_quiet_are_counted_until_they_check_in_again(client: TestClient, ctx: AppContext,
                                                                 make_user: Callable[..., str]) -> None:
    viewer = bearer(client, make_user("viewer", role="viewer"))
    with ctx.db.session() as session:
        board, board_token = devices.enrol_device(session, "skarholmen", "display", "Board")
        kiosk, _ = devices.enrol_device(session, "skarholmen", "kiosk", "Entrance")
        devices.enrol_device(session, "rinkeby", "kiosk", "Another office's kiosk")
        for device, minutes in ((board, 40), (kiosk, 20)):
            device.last_seen_at = utcnow() - timedelta(minutes=minutes)  # the office's limit is 15 minutes
        board_id = board.id

    def offline() -> dict:
        state = client.get(f"{API}/live", headers=viewer, params={"lang": "en"}).json()
        return next(f for f in state["figures"] if f["id"] == "devices-offline")

    assert offline() == {"id": "devices-offline", "label": "Devices offline", "value": 2, "since_minutes": 40}
    with ctx.db.session() as session:  # what the running server's watcher does every minute: tell the live view
        assert sorted(devices.report_offline(session, ctx.deployment)) == sorted([board_id, kiosk.id])
    client.get("/api/v1/device/heartbeat", headers={"Authorization": f"Bearer {board_token}"}).raise_for_status()
    assert offline() == {"id": "devices-offline", "label": "Devices offline", "value": 1, "since_minutes": 20}
    with ctx.db.session() as session:  # back: an event, so the live view (and a notify rule) learn it at once
        back = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "device.online")).all()
        assert [(e.office_id, e.payload["device_id"], e.payload["offline_minutes"]) for e in back] == [
            ("skarholmen", board_id, 40)]
