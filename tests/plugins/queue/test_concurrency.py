"""Real concurrent HTTP requests against a running server, on SQLite and PostgreSQL: kiosks issuing at once
never get the same number or skip one; guides calling at once never get the same ticket, and every ticket
is called exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from plugins.queue.models import Ticket
from tests.support import PASSWORD, LiveServer, device_header

API = "/api/v1/offices/skarholmen/queue"
KIOSKS = 6
TICKETS_PER_KIOSK = 12
GUIDES = 4


def token(server: LiveServer, username: str) -> dict[str, str]:
    response = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_concurrent_kiosks_and_guides(live_server: LiveServer, make_user: Callable[..., str]) -> None:
    ctx = live_server.ctx
    kiosks = [device_header(ctx, "skarholmen", "kiosk", f"Kiosk {i}") for i in range(KIOSKS)]
    start = threading.Barrier(KIOSKS)

    def kiosk(index: int) -> list[dict]:  # type: ignore[type-arg]
        issued = []
        with httpx.Client(base_url=live_server.url, headers=kiosks[index], timeout=60) as client:
            start.wait()
            for n in range(TICKETS_PER_KIOSK):
                service = "info" if (index + n) % 3 else "guidance"
                response = client.post(f"{API}/tickets", json={"service": service, "language": "sv"})
                assert response.status_code == 201, response.text
                issued.append(response.json())
        return issued

    with ThreadPoolExecutor(KIOSKS) as pool:
        tickets = [t for batch in pool.map(kiosk, range(KIOSKS)) for t in batch]

    assert len(tickets) == KIOSKS * TICKETS_PER_KIOSK
    by_service: dict[str, list[int]] = {}
    for ticket in tickets:
        by_service.setdefault(ticket["service"], []).append(int(ticket["number"][1:]))
        # Nobody is called meanwhile: each is told the place of its number, never a place another was told.
        assert ticket["position"] == int(ticket["number"][1:]), ticket
    for numbers in by_service.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))  # unique, none skipped

    # The same double tap from two kiosks' retries at once still gives one ticket.
    double = threading.Barrier(4)

    def tap(_: int) -> str:
        with httpx.Client(base_url=live_server.url, headers=kiosks[0], timeout=60) as client:
            double.wait()
            response = client.post(f"{API}/tickets", json={"service": "info", "language": "sv",
                                                           "idempotency_key": "double-tap"})
            assert response.status_code in (200, 201), response.text
            return response.json()["id"]

    with ThreadPoolExecutor(4) as pool:
        tapped = set(pool.map(tap, range(4)))
    assert len(tapped) == 1

    guides = [token(live_server, make_user(f"guide{i}")) for i in range(GUIDES)]
    go = threading.Barrier(GUIDES)

    def guide(index: int) -> list[str]:
        called = []
        with httpx.Client(base_url=live_server.url, headers=guides[index], timeout=60) as client:
            go.wait()
            while True:
                # guide-1 serves both lines, guide-2 and guide-3 only guidance.
                response = client.post(f"{API}/call-next", json={"counter": f"guide-{index % 3 + 1}"})
                if response.status_code == 204:
                    return called
                assert response.status_code == 200, response.text
                called.append(response.json()["id"])

    with ThreadPoolExecutor(GUIDES) as pool:
        calls = [ticket_id for batch in pool.map(guide, range(GUIDES)) for ticket_id in batch]

    issued_ids = {t["id"] for t in tickets} | tapped
    assert Counter(calls).most_common(1)[0][1] == 1  # no ticket called twice
    assert set(calls) == issued_ids  # every ticket called
    with ctx.db.session() as session:
        statuses = session.scalars(select(Ticket.status).where(Ticket.office_id == "skarholmen")).all()
    assert Counter(statuses) == {"called": len(issued_ids)}


def test_concurrent_visitors_never_share_a_public_computer(live_server: LiveServer) -> None:
    ctx = live_server.ctx
    seats = ctx.deployment.office("skarholmen").settings_for("queue").service("computers").seats
    header = device_header(ctx, "skarholmen", "kiosk")
    visitors = seats * 3
    start = threading.Barrier(visitors)

    def take(_: int) -> None:
        with httpx.Client(base_url=live_server.url, headers=header, timeout=60) as client:
            start.wait()
            response = client.post(f"{API}/tickets", json={"service": "computers", "language": "sv"})
            assert response.status_code == 201, response.text

    with ThreadPoolExecutor(visitors) as pool:
        list(pool.map(take, range(visitors)))
    with ctx.db.session() as session:
        rows = session.execute(select(Ticket.status, Ticket.seat).where(Ticket.service == "computers")).all()
    seated = sorted(seat for status, seat in rows if status == "serving")
    assert seated == list(range(1, seats + 1))  # every computer used, none by two visitors
    assert [seat for status, seat in rows if status == "waiting"] == [None] * (visitors - seats)
