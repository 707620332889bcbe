"""Statistics per day and officer or service (demo deployment, SQLite and PostgreSQL): booked, arrived,
no-show, cancelled, average lateness; the admin panel and the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from core.context import AppContext
from core.events import Event
from plugins.appointments import arrival, service
from tests.support import bearer

CSV = "/api/v1/offices/skarholmen/appointments/statistics.csv"
DAY = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # Monday 10:00 in Stockholm


def test_counts_and_lateness_per_officer_and_day(client: TestClient, ctx: AppContext,
                                                 make_user: Callable[..., str]) -> None:
    office = ctx.deployment.office("skarholmen")
    with ctx.db.session() as session:
        made = [service.create(session, office, service.NewAppointment(
            start=DAY + timedelta(hours=n), end=DAY + timedelta(hours=n, minutes=30), officer_id="a-lind"))
            for n in range(4)]
        service.create(session, office, service.NewAppointment(start=DAY, end=DAY + timedelta(minutes=30),
                                                               service_id="tax-help"))
    for appointment, late in ((made[0], 5), (made[1], -3)):
        with ctx.db.session() as session:
            arrival.mark_arrived(session, office, Event(1, office.id, "visitor.arrived", {
                "appointment_id": appointment.id, "arrival_id": "a"}, appointment.start + timedelta(minutes=late)))
    with ctx.db.session() as session:
        service.set_status(session, office, made[0].id, "seen")
        service.set_status(session, office, made[2].id, "no_show")
        service.set_status(session, office, made[3].id, "cancelled")

    admin = bearer(client, make_user("boss", role="admin"))
    answer = client.get(CSV, headers=admin, params={"first": "2026-05-04", "last": "2026-05-04"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["officer"], r["service"], r["booked"], r["arrived"], r["seen"], r["no_show"], r["cancelled"],
             r["average_lateness_minutes"]) for r in rows] == [
        ("", "tax-help", "1", "0", "0", "0", "0", ""),
        ("a-lind", "", "4", "2", "1", "1", "1", "1.0")]
    assert client.get(CSV, headers=admin, params={"first": "2026-05-04", "last": "2026-05-01"}).status_code == 422
    guide = bearer(client, make_user("guide"))
    assert client.get(CSV, headers=guide, params={"first": "2026-05-04", "last": "2026-05-04"}).status_code == 403


def test_the_admin_panel_shows_the_last_two_weeks(client: TestClient, ctx: AppContext,
                                                  make_user: Callable[..., str]) -> None:
    office = ctx.deployment.office("skarholmen")
    today = datetime.now(UTC).replace(microsecond=0)
    with ctx.db.session() as session:
        service.create(session, office, service.NewAppointment(start=today, end=today + timedelta(minutes=30),
                                                               officer_id="k-hassan"))
    admin = {"accept": "text/html", **bearer(client, make_user("boss", role="admin"))}
    page = client.get("/skarholmen/admin", headers=admin, params={"lang": "sv"})
    assert "Bokade möten: senaste 14 dagarna" in page.text and "Khalid Hassan" in page.text
    assert "statistics.csv" in page.text
