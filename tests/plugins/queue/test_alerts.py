"""Guides see on their console who is waiting for an officer nobody could tell, on SQLite and PostgreSQL: the
queue asks every enabled plugin through ``mbk_staff_alerts`` (here the kiosk), never reading its tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from core.db import utcnow
from core.web.app import AppContext
from plugins.kiosk import arrivals
from plugins.kiosk.arrivals import AcknowledgeLinks
from tests.support import bearer, device_header

API = "/api/v1/offices/skarholmen"


def test_the_console_lists_arrivals_waiting_for_an_officer(client: TestClient, ctx: AppContext,
                                                           make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    arrival = client.post(f"{API}/kiosk/arrivals", headers=kiosk, json={
        "language": "sv", "idempotency_key": "alerts-0001", "officer_id": "k-hassan", "first_name": "Amina"}).json()
    assert arrival["notification"] == "pending"  # the demo mails Khalid Hassan: being told
    guide = bearer(client, make_user("guide"))
    assert client.get(f"{API}/queue/alerts?lang=en", headers=guide).json() == []
    office = ctx.deployment.office("skarholmen")
    with ctx.db.session() as session:  # the background check, three minutes later: no message went out
        arrivals.escalate_due(session, office, AcknowledgeLinks(ctx.secret_key, "http://x"),
                              utcnow() + timedelta(minutes=3))
    [alert] = client.get(f"{API}/queue/alerts?lang=en", headers=guide).json()
    assert alert["text"] == "Amina is waiting for Khalid Hassan, who has not been reached."
    assert client.get(f"{API}/queue/alerts").status_code == 401
    assert client.get(f"{API}/queue/alerts", headers=kiosk).status_code == 403
    elsewhere = bearer(client, make_user("rinkeby-guide", office="rinkeby"))
    assert client.get(f"{API}/queue/alerts", headers=elsewhere).status_code == 403
    assert client.get("/api/v1/offices/rinkeby/queue/alerts", headers=elsewhere).json() == []
