"""The queue's HTTP API on the demo deployment: who may do what, the lifecycle, board, stats (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from core.web.app import AppContext
from tests.support import bearer, device_header, drain_events

API = "/api/v1/offices/skarholmen/queue"


def test_kiosk_issues_a_ticket_and_the_guide_serves_it(client: TestClient, ctx: AppContext,
                                                      make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    guide = bearer(client, make_user("guide"))
    issued = client.post(f"{API}/tickets", headers=kiosk, json={
        "service": "guidance", "language": "ar",
        "errand": {"category": "housing", "answers": {"need": "A flat", "tried": "The web site"}}})
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert ticket["number"] == "B001" and ticket["status"] == "waiting" and ticket["position"] == 1
    assert len(ticket["id"]) >= 20 and "answers" not in ticket

    public = client.get(f"{API}/tickets/{ticket['id']}").json()
    assert public["ahead"] == 0 and public["service_name"] == "الإرشاد المجتمعي"

    waiting = client.get(f"{API}/tickets", headers=guide).json()
    assert [t["answers"] for t in waiting] == [{"need": "A flat", "tried": "The web site"}]

    called = client.post(f"{API}/call-next", headers=guide, json={"counter": "guide-2", "services": ["guidance"]})
    assert called.status_code == 200
    assert called.json()["number"] == "B001" and called.json()["category"] == "housing"
    assert client.get(f"{API}/tickets/{ticket['id']}").json()["counter_name"] == "المكتب 2"
    assert client.post(f"{API}/tickets/{ticket['id']}/recall", headers=guide).json()["recalls"] == 1
    assert client.post(f"{API}/tickets/{ticket['id']}/start", headers=guide).json()["status"] == "serving"
    assert client.post(f"{API}/tickets/{ticket['id']}/done", headers=guide).json()["status"] == "done"
    again = client.post(f"{API}/tickets/{ticket['id']}/done", headers=guide)
    assert again.status_code == 409 and "done" in again.json()["detail"]
    assert client.post(f"{API}/call-next", headers=guide, json={"counter": "guide-2"}).status_code == 204

    drain_events(ctx)
    board = client.get(f"{API}/board").json()
    assert board["calls"][0]["number"] == "B001" and board["calls"][0]["counter_names"]["sv"] == "Disk 2"
    assert "answers" not in str(board) and "housing" not in str(board)


def test_roles_devices_and_offices_are_checked(client: TestClient, ctx: AppContext,
                                               make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    display = device_header(ctx, "skarholmen", "display")
    other_guide = bearer(client, make_user("rinkeby-guide", office="rinkeby"))
    viewer = bearer(client, make_user("viewer", role="viewer"))
    body = {"service": "info", "language": "sv"}

    assert client.post(f"{API}/tickets", json=body).status_code == 401  # no remote join at Skärholmen
    assert client.post(f"{API}/tickets", headers=display, json=body).status_code == 403
    assert client.post(f"{API}/tickets", headers=other_guide, json=body).status_code == 403
    ticket = client.post(f"{API}/tickets", headers=kiosk, json=body).json()

    assert client.post(f"{API}/call-next", headers=kiosk, json={"counter": "info-1"}).status_code == 403
    assert client.post(f"{API}/call-next", headers=other_guide, json={"counter": "info-1"}).status_code == 403
    assert client.post(f"{API}/call-next", headers=viewer, json={"counter": "info-1"}).status_code == 403
    assert client.post(f"{API}/tickets/{ticket['id']}/no-show", headers=other_guide).status_code == 403
    assert client.get(f"{API}/tickets", headers=kiosk).status_code == 403
    assert client.get(f"{API}/stats", headers=viewer).status_code == 200
    assert client.get(f"{API}/stats", headers=kiosk).status_code == 403
    # The ticket id of one office means nothing at another.
    assert client.get(f"/api/v1/offices/rinkeby/queue/tickets/{ticket['id']}").status_code == 404


def test_remote_join_lets_anyone_take_a_ticket_where_enabled(client: TestClient,
                                                             make_user: Callable[..., str]) -> None:
    response = client.post("/api/v1/offices/rinkeby/queue/tickets", json={"language": "so"})
    assert response.status_code == 201, response.text
    assert response.json()["number"] == "A001" and response.json()["service_name"] == "Hagitaanka bulshada"
    elsewhere = bearer(client, make_user("skarholmen-guide"))  # staff of another office, here as a visitor
    assert client.post("/api/v1/offices/rinkeby/queue/tickets", headers=elsewhere,
                       json={"language": "sv"}).json()["number"] == "A002"


def test_bad_requests_name_the_problem(client: TestClient, ctx: AppContext, make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    guide = bearer(client, make_user("guide"))
    unknown = client.post(f"{API}/tickets", headers=kiosk, json={"service": "nope", "language": "sv"})
    assert unknown.status_code == 409 and unknown.json()["error"] == "ticket_refused"
    assert client.post(f"{API}/tickets", headers=kiosk, json={"language": "xx"}).status_code == 422
    # the demo office has no rule that texts visitors: a phone number is refused, not kept for nothing
    phone = client.post(f"{API}/tickets", headers=kiosk, json={"language": "sv", "phone": "0701234567"})
    assert phone.status_code == 409 and phone.json()["error"] == "texts_unavailable"
    wrong = client.post(f"{API}/call-next", headers=guide, json={"counter": "info-1", "services": ["guidance"]})
    assert wrong.status_code == 422 and "services" in wrong.json()["detail"]
    assert client.post(f"{API}/call-next", headers=guide, json={"counter": "nowhere"}).status_code == 422
    assert client.get(f"{API}/tickets/not-a-ticket").status_code == 404
    assert client.post(f"{API}/tickets/not-a-ticket/start", headers=guide).status_code == 404


def test_idempotency_key_gives_the_same_ticket(client: TestClient, ctx: AppContext) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    body = {"service": "info", "language": "sv", "idempotency_key": "tap-1"}
    first = client.post(f"{API}/tickets", headers=kiosk, json=body)
    second = client.post(f"{API}/tickets", headers=kiosk, json=body)
    header = client.post(f"{API}/tickets", headers={**kiosk, "Idempotency-Key": "tap-2"}, json={"language": "sv"})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and first.json()["number"] == "A001"
    assert header.json()["number"] == "A002"
    # an empty key is no key: each request its own ticket (a second one made a 500 on the key's unique index)
    empty = [client.post(f"{API}/tickets", headers={**kiosk, "Idempotency-Key": ""}, json=sent)
             for sent in ({"service": "info"}, {"service": "info", "idempotency_key": ""})]
    assert [(r.status_code, r.json()["number"]) for r in empty] == [(201, "A003"), (201, "A004")]


def test_services_stats_and_csv(client: TestClient, ctx: AppContext, make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    guide = bearer(client, make_user("guide"))
    for _ in range(3):
        client.post(f"{API}/tickets", headers=kiosk, json={"service": "info", "language": "sv"})
    called = client.post(f"{API}/call-next", headers=guide, json={"counter": "info-1"}).json()
    client.post(f"{API}/tickets/{called['id']}/done", headers=guide)
    called = client.post(f"{API}/call-next", headers=guide, json={"counter": "info-1"}).json()
    client.post(f"{API}/tickets/{called['id']}/no-show", headers=guide)

    services = {s["id"]: s for s in client.get(f"{API}/services?lang=en").json()}
    assert services["info"]["waiting"] == 1 and services["info"]["name"] == "Information desk"
    assert services["computers"]["seats"] == 7 and services["computers"]["seats_free"] == 7

    rows = client.get(f"{API}/stats", headers=guide).json()
    info = next(r for r in rows if r["service"] == "info")
    assert (info["issued"], info["served"], info["no_shows"]) == (3, 1, 1)
    assert info["wait_median_minutes"] is not None
    csv = client.get(f"{API}/stats.csv", headers=guide)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("day,service,issued,served,no_shows")
    assert ",info,3,1,1," in csv.text
    assert client.get(f"{API}/stats?from=2026-02-01&to=2026-01-01", headers=guide).status_code == 422
