"""The manager's live view (SQLite and PostgreSQL): who may see it, and what it shows of the room now, with the
kiosk's arrivals waiting for their officer through mbk_live_figures (the queue never reads the kiosk's tables)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

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
                                 "value": 1, "since_minutes": 0}]
