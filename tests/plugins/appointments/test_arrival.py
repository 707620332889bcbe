"""Arrival at the kiosk finds today's meeting (demo deployment: kiosk, queue, notify and appointments enabled):
by booking code or by the chosen officer, within the arrival window; refusals in the visitor's language; the
appointment marked arrived through the kiosk's event; a booked ticket for a meeting with the office's guides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.context import AppContext
from core.events import OutboxEvent
from plugins.appointments import service
from plugins.kiosk import arrivals as kiosk_arrivals
from tests.support import bearer, device_header, drain_events

KIOSK = "/api/v1/offices/skarholmen/kiosk"
APPOINTMENTS = "/api/v1/offices/skarholmen/appointments"
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm, a Monday


@pytest.fixture
def kiosk(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An enrolled kiosk whose clock says NOW."""
    monkeypatch.setattr(kiosk_arrivals, "utcnow", lambda: NOW)
    return device_header(ctx, "skarholmen", "kiosk")


def book(ctx: AppContext, minutes_from_now: int, **owner: str) -> str:
    """An appointment starting that many minutes from NOW, for Amal; returns its booking code."""
    office = ctx.deployment.office("skarholmen")
    start = NOW + timedelta(minutes=minutes_from_now)
    with ctx.db.session() as session:
        made = service.create(session, office, service.NewAppointment(
            start=start, end=start + timedelta(minutes=30), first_name="Amal", **owner))
        return made.code or ""


def arrive(client: TestClient, kiosk: dict[str, str], key: str, **body: str) -> dict:  # type: ignore[type-arg]
    answer = client.post(f"{KIOSK}/arrivals", headers=kiosk, json={"language": "sv", "idempotency_key": key, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def arrival_events(ctx: AppContext) -> list[dict]:  # type: ignore[type-arg]
    with ctx.db.session() as session:
        return [dict(e.payload) for e in session.scalars(select(OutboxEvent).where(
            OutboxEvent.type == "visitor.arrived").order_by(OutboxEvent.id))]


def statuses(client: TestClient, staff: dict[str, str]) -> dict[str, str]:
    listed = client.get(APPOINTMENTS, headers=staff, params={"day": "2026-05-04"}).json()
    return {m["code"]: m["status"] for m in listed}


def test_booking_code_finds_the_meeting_and_marks_it_arrived(client: TestClient, ctx: AppContext,
                                                             kiosk: dict[str, str],
                                                             make_user: Callable[..., str]) -> None:
    code = book(ctx, 10, officer_id="a-lind")
    found = client.get(f"{KIOSK}/booking-codes/{code}", headers=kiosk, params={"lang": "sv"})
    assert found.status_code == 200
    assert found.json()["label"] == "Anna Lind, Socialtjänsten, ekonomiskt bistånd kl. 10:10"
    assert "Amal" not in found.text  # the kiosk never shows a visitor's name

    done = arrive(client, kiosk, "arrival-key-1", booking_code=code, first_name="Amal")
    assert done["officer"] == "Anna Lind" and done["ticket"] is None
    assert done["notification"] == "pending" and done["told"] == "Anna Lind får nu veta att du är här."
    # the officer's message carries both the "I am coming" link and the meeting
    [event] = arrival_events(ctx)
    assert event["appointment_id"] and event["officer_id"] == "a-lind"
    assert event["acknowledge_url"].startswith("http") and "/kiosk/coming/" in event["acknowledge_url"]
    staff = bearer(client, make_user("officer", role="officer"))
    assert statuses(client, staff) == {code: "booked"}  # marked when the kiosk's event reaches the plugin
    drain_events(ctx)
    assert statuses(client, staff) == {code: "arrived"}
    arrived = client.get(APPOINTMENTS, headers=staff, params={"day": "2026-05-04"}).json()[0]
    assert arrived["arrived_at"] is not None
    # the same screen's retry changes nothing, and the code still answers within the window
    assert arrive(client, kiosk, "arrival-key-1", booking_code=code)["id"] == done["id"]
    assert client.get(f"{KIOSK}/booking-codes/{code}", headers=kiosk).status_code == 200


@pytest.mark.parametrize(("minutes", "status", "language", "words"), [
    (31, 409, "sv", "Ditt möte är kl. 10:31. Du kan anmäla dig från kl. 10:01."),
    (-16, 409, "sv", "Ditt möte var kl. 09:44"),
    (24 * 60, 409, "en", "That booking code is for a meeting on May 5, 2026 at 10:00, not today."),
    (31, 409, "ar", "موعدك في الساعة 10:31"),
])
def test_outside_the_arrival_window_is_refused_in_the_visitors_language(
        client: TestClient, ctx: AppContext, kiosk: dict[str, str], minutes: int, status: int, language: str,
        words: str) -> None:
    code = book(ctx, minutes, officer_id="a-lind")
    answer = client.get(f"{KIOSK}/booking-codes/{code}", headers=kiosk, params={"lang": language})
    assert answer.status_code == status and words in answer.json()["detail"]
    refused = client.post(f"{KIOSK}/arrivals", headers=kiosk, json={
        "language": language, "idempotency_key": f"late-{minutes}-{language}", "booking_code": code})
    assert refused.status_code == status and words in refused.json()["detail"]


def test_unknown_and_cancelled_codes_are_refused(client: TestClient, ctx: AppContext, kiosk: dict[str, str],
                                                 make_user: Callable[..., str]) -> None:
    unknown = client.get(f"{KIOSK}/booking-codes/999999", headers=kiosk, params={"lang": "ar"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "booking_unknown"
    assert "لا يوجد موعد" in unknown.json()["detail"]
    # an officer's fixed code from the directory (the demo's 4711) still names her
    assert client.get(f"{KIOSK}/booking-codes/4711", headers=kiosk).json()["name"] == "Anna Lind"

    code = book(ctx, 0, officer_id="a-lind")
    staff = bearer(client, make_user("officer", role="officer"))
    meeting = client.get(APPOINTMENTS, headers=staff, params={"day": "2026-05-04"}).json()[0]
    client.patch(f"{APPOINTMENTS}/{meeting['id']}", headers=staff, json={"status": "cancelled"})
    cancelled = client.get(f"{KIOSK}/booking-codes/{code}", headers=kiosk, params={"lang": "en"})
    assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["detail"]


def test_choosing_the_officer_then_the_time_finds_the_meeting(client: TestClient, ctx: AppContext,
                                                               kiosk: dict[str, str],
                                                               make_user: Callable[..., str]) -> None:
    later = book(ctx, 120, officer_id="a-lind")
    now = book(ctx, -5, officer_id="a-lind")
    soon = book(ctx, 20, officer_id="a-lind")
    other = book(ctx, 0, officer_id="k-hassan")
    # her meetings open for arrival now, by time only: not the later one, nor her colleague's
    times = client.get(f"{KIOSK}/meeting-times", headers=kiosk, params={"officer_id": "a-lind", "lang": "sv"})
    assert times.status_code == 200
    assert [t["label"] for t in times.json()["times"]] == ["09:55", "10:20"]
    assert "Amal" not in times.text
    # a visitor who does not pick a time marks nobody's meeting (it may be somebody else's)
    arrive(client, kiosk, "arrival-key-2", officer_id="a-lind")
    drain_events(ctx)
    staff = bearer(client, make_user("officer", role="officer"))
    assert statuses(client, staff) == {later: "booked", now: "booked", soon: "booked", other: "booked"}
    done = arrive(client, kiosk, "arrival-key-3", officer_id="a-lind", start=times.json()["times"][1]["start"])
    drain_events(ctx)
    assert statuses(client, staff) == {later: "booked", now: "booked", soon: "arrived", other: "booked"}
    assert [e["appointment_id"] is not None for e in arrival_events(ctx)] == [False, True]
    assert done["officer"] == "Anna Lind"
    # once arrived, the time is no longer offered to the next visitor
    again = client.get(f"{KIOSK}/meeting-times", headers=kiosk, params={"officer_id": "a-lind"}).json()["times"]
    assert [t["label"] for t in again] == ["09:55"]
    unknown = client.get(f"{KIOSK}/meeting-times", headers=kiosk, params={"officer_id": "nobody", "lang": "en"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_officer"


def test_a_meeting_with_the_guides_gets_a_booked_ticket(client: TestClient, ctx: AppContext, kiosk: dict[str, str],
                                                        make_user: Callable[..., str]) -> None:
    code = book(ctx, 0, service_id="tax-help")
    found = client.get(f"{KIOSK}/booking-codes/{code}", headers=kiosk, params={"lang": "en"}).json()
    assert found["label"] == "Your booked time at 10:00"
    done = arrive(client, kiosk, "arrival-key-3", booking_code=code)
    assert done["ticket"] == "B001" and "B001" in done["advice"]
    # nobody is messaged for a meeting with the guides alone: no promise of one, no escalation, the queue calls
    assert done["notification"] == "none" and not done["escalated"] and done["final"]
    assert done["told"] == "Din ankomst till din bokade tid är registrerad."
    [event] = arrival_events(ctx)
    assert event["appointment_id"] and event["officer_id"] is None and event["unit_id"] is None
    office = ctx.deployment.office("skarholmen")
    links = kiosk_arrivals.AcknowledgeLinks(ctx.secret_key, ctx.settings.base_url)
    with ctx.db.session() as session:  # nor later: the escalation check passes it by
        assert kiosk_arrivals.escalate_due(session, office, links, NOW + timedelta(hours=1)) == 0
    guide = bearer(client, make_user("guide"))
    tickets = client.get("/api/v1/offices/skarholmen/queue/tickets", headers=guide).json()
    assert [(t["number"], t["booked"]) for t in tickets] == [("B001", True)]
