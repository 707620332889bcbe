"""The staff API on the demo deployment: list a day, create, move, cancel; roles and offices checked; codes
unique per office (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from core.context import AppContext
from core.events import OutboxEvent
from plugins.appointments.models import Appointment
from tests.support import bearer, device_header

API = "/api/v1/offices/skarholmen/appointments"
MEETING = {"start": "2026-03-29T09:00:00+02:00", "end": "2026-03-29T09:30:00+02:00", "officer": "a-lind",
           "first_name": "Amal"}


def test_staff_create_list_move_and_cancel(client: TestClient, ctx: AppContext,
                                           make_user: Callable[..., str]) -> None:
    officer = bearer(client, make_user("officer", role="officer"))
    created = client.post(API, headers=officer, json=MEETING)
    assert created.status_code == 201, created.text
    meeting = created.json()
    assert meeting["status"] == "booked" and meeting["source"] == "staff" and meeting["unit"] == "social"
    assert len(meeting["code"]) == 6 and meeting["code"].isdigit()

    # 29 March 2026 is the day Stockholm moves its clocks forward: the local day still holds the meeting
    listed = client.get(API, headers=officer, params={"day": "2026-03-29"}).json()
    assert [(m["id"], m["start"], m["officer"], m["status"]) for m in listed] == [
        (meeting["id"], "2026-03-29T07:00:00Z", "a-lind", "booked")]
    assert client.get(API, headers=officer, params={"day": "2026-03-28"}).json() == []

    moved = client.patch(f"{API}/{meeting['id']}", headers=officer,
                         json={"start": "2026-03-30T13:00:00+02:00", "end": "2026-03-30T13:45:00+02:00"})
    assert moved.status_code == 200 and moved.json()["start"] == "2026-03-30T11:00:00Z"
    assert client.get(API, headers=officer, params={"day": "2026-03-29"}).json() == []

    cancelled = client.patch(f"{API}/{meeting['id']}", headers=officer, json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    again = client.patch(f"{API}/{meeting['id']}", headers=officer, json={"start": MEETING["start"],
                                                                         "end": MEETING["end"]})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    with ctx.db.session() as session:
        types = session.scalars(select(OutboxEvent.type).where(OutboxEvent.office_id == "skarholmen")
                                .order_by(OutboxEvent.id)).all()
    assert types == ["appointment.booked", "appointment.moved", "appointment.cancelled"]


def test_bad_input_is_named(client: TestClient, make_user: Callable[..., str]) -> None:
    officer = bearer(client, make_user("officer", role="officer"))
    cases = [({**MEETING, "officer": "nobody"}, "unknown_officer", "nobody"),
             ({**MEETING, "end": MEETING["start"]}, "invalid_time", "end must be after start"),
             ({**MEETING, "start": "2026-03-29T09:00:00"}, "invalid_time", "time zone"),
             ({"start": MEETING["start"], "end": MEETING["end"]}, "no_owner", "officer, the unit or the service"),
             ({**MEETING, "officer": None, "service": "nope"}, "unknown_service", "tax-help")]
    for body, code, words in cases:
        answer = client.post(API, headers=officer, json=body)
        assert answer.status_code == 422 and answer.json()["error"] == code and words in answer.json()["detail"]
    assert client.post(API, headers=officer, json={**MEETING, "email": "not an address"}).status_code == 422
    assert client.get(API, headers=officer, params={"day": "yesterday"}).status_code == 422
    for day in ("0001-01-01", "9999-12-31"):  # the calendar's ends reach past it in UTC (a 500 before)
        answer = client.get(API, headers=officer, params={"day": day})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_date", answer.text
    assert client.patch(f"{API}/nope", headers=officer, json={"status": "seen"}).status_code == 404
    both = client.patch(f"{API}/nope", headers=officer, json={"status": "seen", "start": MEETING["start"]})
    assert both.status_code == 422


def test_roles_devices_and_offices_are_checked(client: TestClient, ctx: AppContext,
                                               make_user: Callable[..., str]) -> None:
    viewer = bearer(client, make_user("viewer", role="viewer"))
    elsewhere = bearer(client, make_user("rinkeby-admin", office="rinkeby", role="admin"))
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    day = {"day": "2026-03-29"}
    assert client.get(API, params=day).status_code == 401
    assert client.get(API, headers=viewer, params=day).status_code == 200
    assert client.post(API, headers=viewer, json=MEETING).status_code == 403
    assert client.post(API, headers=kiosk, json=MEETING).status_code == 403
    assert client.get(API, headers=elsewhere, params=day).status_code == 403

    guide = bearer(client, make_user("guide"))
    meeting = client.post(API, headers=guide, json=MEETING).json()
    # Rinkeby's admin cannot reach Skärholmen's meeting through their own office either
    rinkeby = "/api/v1/offices/rinkeby/appointments"
    cancel = {"status": "cancelled"}
    assert client.patch(f"{rinkeby}/{meeting['id']}", headers=elsewhere, json=cancel).status_code == 404
    assert client.get(rinkeby, headers=elsewhere, params=day).json() == []


def test_booking_codes_are_unique_per_office(client: TestClient, ctx: AppContext,
                                             make_user: Callable[..., str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from plugins.appointments import service

    officer = bearer(client, make_user("officer", role="officer"))
    first = client.post(API, headers=officer, json=MEETING).json()
    # the random source offers the taken code first: the next candidate is used instead
    offered = iter([first["code"], "000042"])
    monkeypatch.setattr(service, "_code_candidates", lambda: offered)
    second = client.post(API, headers=officer, json=MEETING).json()
    assert second["code"] == "000042"
    monkeypatch.setattr(service, "_code_candidates", lambda: iter([first["code"]]))
    full = client.post(API, headers=officer, json=MEETING)
    assert full.status_code == 503 and full.json()["error"] == "no_code"
    with ctx.db.session() as session:
        assert session.scalar(select(Appointment).where(Appointment.code == "000042")).officer_id == "a-lind"
