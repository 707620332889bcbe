"""The guide console's API on the demo deployment (SQLite and PostgreSQL): call a chosen ticket, hold and resume,
pause a counter, flag urgent, record the outcome; and two guides calling the same ticket at once over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from core.web.app import AppContext
from tests.plugins.queue.test_concurrency import token
from tests.support import LiveServer, bearer, device_header

API = "/api/v1/offices/skarholmen/queue"


def take(client: TestClient, kiosk: dict[str, str], **fields: object) -> dict:  # type: ignore[type-arg]
    response = client.post(f"{API}/tickets", headers=kiosk, json={"service": "guidance", "language": "ar", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_the_console_actions_over_http(client: TestClient, ctx: AppContext, make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    guide = bearer(client, make_user("guide"))
    viewer = bearer(client, make_user("viewer", role="viewer"))
    first = take(client, kiosk, errand={"interpreter": "ti"})
    second = take(client, kiosk)

    assert client.post(f"{API}/tickets/{second['id']}/call", headers=viewer,
                       json={"counter": "guide-2"}).status_code == 403
    called = client.post(f"{API}/tickets/{second['id']}/call", headers=guide, json={"counter": "guide-2"})
    assert called.status_code == 200 and called.json()["number"] == "B002"
    again = client.post(f"{API}/tickets/{second['id']}/call", headers=guide, json={"counter": "guide-3"})
    assert again.status_code == 409 and "B002" in again.json()["detail"]

    held = client.post(f"{API}/tickets/{second['id']}/hold", headers=guide).json()
    assert (held["status"], held["held"]) == ("waiting", True)
    # The visitor's page says so, rather than a place in line that call-next would not honour meanwhile.
    status = client.get(f"/skarholmen/queue/t/{second['id']}/status?lang=en").text
    assert "Your ticket is on hold" in status and "ahead of you" not in status
    line = client.get(f"{API}/tickets", headers=guide, params={"lang": "sv"}).json()
    assert [(t["number"], t["held"]) for t in line] == [("B001", False), ("B002", True)]
    assert line[0]["interpreter"] == "ti" and line[0]["interpreter_name"] == "tigrinja · ትግርኛ"
    assert line[0]["language_name"] == "arabiska · العربية"

    assert client.put(f"{API}/counters/guide-1", headers=guide, json={"state": "paused"}).json() == {
        "counter": "guide-1", "state": "paused"}
    paused = client.post(f"{API}/call-next", headers=guide, json={"counter": "guide-1"})
    assert paused.status_code == 409 and "paused" in paused.json()["detail"]
    assert client.get(f"{API}/counters/guide-1", headers=guide).json()["state"] == "paused"
    assert client.put(f"{API}/counters/guide-1", headers=guide, json={"state": "closed"}).status_code == 422
    client.put(f"{API}/counters/guide-1", headers=guide, json={"state": "open"})

    flagged = client.post(f"{API}/tickets/{second['id']}/urgent", headers=guide, json={"urgent": True}).json()
    assert flagged["urgent"] is True
    client.post(f"{API}/tickets/{second['id']}/resume", headers=guide)
    nxt = client.post(f"{API}/call-next", headers=guide, json={"counter": "guide-1"}).json()
    assert nxt["number"] == "B002"  # urgent first

    bad = client.post(f"{API}/tickets/{second['id']}/done", headers=guide, json={"outcome": "referred"})
    assert bad.status_code == 422 and "referred_to" in bad.text
    done = client.post(f"{API}/tickets/{second['id']}/done", headers=guide,
                       json={"outcome": "referred", "referred_to": "social"}).json()
    assert (done["status"], done["outcome"], done["referred_to"]) == ("done", "referred", "social")
    client.post(f"{API}/call-next", headers=guide, json={"counter": "guide-1"})
    assert client.post(f"{API}/tickets/{first['id']}/done", headers=guide).json()["outcome"] is None  # no body


def test_two_guides_calling_the_same_ticket_at_once_exactly_one_wins(
        live_server: LiveServer, make_user: Callable[..., str]) -> None:
    kiosk = device_header(live_server.ctx, "skarholmen", "kiosk")
    guides = [token(live_server, make_user(f"guide{i}")) for i in range(2)]
    rounds = 6
    with httpx.Client(base_url=live_server.url, headers=kiosk, timeout=60) as client:
        ids = [client.post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).json()["id"]
               for _ in range(rounds)]
    for ticket_id in ids:
        go = threading.Barrier(2)

        def call(index: int, ticket_id: str = ticket_id, go: threading.Barrier = go) -> int:
            with httpx.Client(base_url=live_server.url, headers=guides[index], timeout=60) as client:
                go.wait()
                return client.post(f"{API}/tickets/{ticket_id}/call",
                                   json={"counter": f"guide-{index + 2}"}).status_code

        with ThreadPoolExecutor(2) as pool:
            assert sorted(pool.map(call, range(2))) == [200, 409]
