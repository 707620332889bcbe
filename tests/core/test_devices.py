"""Devices: enrolling from the admin page and the API (a one-time link and a short code that expire), the list with
state and last check-in, revoking, the check-in of a running device, and device.offline for a device gone quiet
during opening hours. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core import auth, devices
from core.config import WEEKDAYS
from core.db import utcnow
from core.events import OutboxEvent
from core.web.app import AppContext, create_app
from tests.core.test_auth import HTML, OFFICE, csrf_of, login
from tests.core.test_plugin_contract import with_dummy, write_deployment
from tests.support import bearer

DEVICES = "/api/v1/offices/{office}/devices"


def closed_now() -> str:
    """Opening hours on a weekday that is neither today nor tomorrow (Stockholm time): closed all through a test."""
    today = utcnow().astimezone(ZoneInfo("Europe/Stockholm")).weekday()
    other = WEEKDAYS[(today + 3) % 7]
    return f'\nhours = [{{ days = ["{other}"], opens = "08:00", closes = "16:00" }}]'


@pytest.fixture
def ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    offices = {o: OFFICE.format(id=o) for o in ("alpha", "gamma")}
    offices["closed"] = OFFICE.format(id="closed").replace('languages = ["sv", "en"]',
                                                           'languages = ["sv", "en"]' + closed_now())
    return make_context(deployment=write_deployment(tmp_path / "dep", offices), plugins=with_dummy())


@pytest.fixture
def admins(make_user: Callable[..., str]) -> dict[str, str]:
    return {"alpha": make_user("admin-a", "alpha", "admin"), "gamma": make_user("admin-g", "gamma", "admin"),
            "viewer": make_user("viewer-a", "alpha", "viewer"), "closed": make_user("admin-c", "closed", "admin")}


def enrol(client: TestClient, office: str, admin: str, kind: str = "kiosk", name: str = "Entrance") -> dict:
    answer = client.post(DEVICES.format(office=office), headers=bearer(client, admin), json={"kind": kind,
                                                                                              "name": name})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_an_admin_enrols_a_kiosk_that_opens_its_link_once(client: TestClient, ctx: AppContext,
                                                          admins: dict[str, str]) -> None:
    enrolled = enrol(client, "alpha", "admin-a")
    assert enrolled["state"] == "not enrolled" and re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", enrolled["enrolment_code"])
    assert enrolled["enrolment_link"] == f"{ctx.settings.base_url}/alpha/enrol?code={enrolled['enrolment_code']}"
    with TestClient(create_app(ctx)) as device:
        opened = device.get(enrolled["enrolment_link"].removeprefix(ctx.settings.base_url), headers=HTML,
                            follow_redirects=False)
        assert (opened.status_code, opened.headers["location"]) == (303, "/alpha/dummy")
        assert device.get("/api/v1/offices/alpha/dummy/kiosk").json() == {"kind": "device", "name": "Entrance"}
        assert device.get("/api/v1/device/heartbeat").status_code == 204
    with TestClient(create_app(ctx)) as again:
        assert again.get(enrolled["enrolment_link"].removeprefix(ctx.settings.base_url), headers=HTML,
                         follow_redirects=False).status_code == 403
    listed = client.get(DEVICES.format(office="alpha"), headers=bearer(client, "admin-a")).json()
    assert [(d["name"], d["state"]) for d in listed] == [("Entrance", "active")] and listed[0]["last_seen_at"]
    api = TestClient(client.app, headers={"Authorization": f"Bearer {enrolled['token']}"})
    assert api.get("/api/v1/offices/alpha/dummy/kiosk").status_code == 200
    revoked = client.delete(DEVICES.format(office="alpha") + f"/{enrolled['id']}", headers=bearer(client, "admin-a"))
    assert revoked.json()["state"] == "revoked"
    assert api.get("/api/v1/offices/alpha/dummy/kiosk").status_code == 401
    with ctx.db.session() as session:
        trail = [(e.actor.split(":")[0], e.action) for e in session.scalars(
            select(auth.AuditEntry).where(auth.AuditEntry.office_id == "alpha").order_by(auth.AuditEntry.id))
            if e.action.startswith("device.")]
    assert trail == [("user", "device.added"), ("device", "device.enrolled"), ("user", "device.revoked")]


def test_the_short_code_is_typed_in_any_case_and_expires(client: TestClient, ctx: AppContext,
                                                         admins: dict[str, str]) -> None:
    typed = enrol(client, "alpha", "admin-a", "tablet", "Survey by the door")["enrolment_code"]
    assert "code" in client.get("/enrol?lang=en", headers=HTML).text
    with TestClient(create_app(ctx)) as device:
        opened = device.get(f"/enrol?code= {typed.lower().replace('-', ' ')} ", headers=HTML, follow_redirects=False)
        # the dummy deployment has no tablet page: the office's own page
        assert (opened.status_code, opened.headers["location"]) == (303, "/alpha")
        assert device.get("/api/v1/device/heartbeat").status_code == 204
    late = enrol(client, "alpha", "admin-a", "display", "Board")["enrolment_code"]
    with ctx.db.session() as session, pytest.raises(auth.AuthError, match="expired"):
        devices.use_enrolment_code(session, None, late, now=utcnow() + devices.ENROLMENT_CODE_LIFETIME
                                + timedelta(seconds=1))
    with ctx.db.session() as session:
        board = session.scalars(select(devices.Device).where(devices.Device.name == "Board")).one()
        office = ctx.deployment.office("alpha")
        assert devices.state(board, office, utcnow()) == "not enrolled"
        assert devices.state(board, office, utcnow() + timedelta(hours=1)) == "expired"


def test_a_viewer_cannot_manage_devices_nor_an_admin_another_offices(client: TestClient, ctx: AppContext,
                                                                    admins: dict[str, str]) -> None:
    kiosk = enrol(client, "alpha", "admin-a")
    viewer, other = bearer(client, "viewer-a"), bearer(client, "admin-g")
    for headers in (viewer, other):
        assert client.get(DEVICES.format(office="alpha"), headers=headers).status_code == 403
        assert client.post(DEVICES.format(office="alpha"), headers=headers,
                           json={"kind": "kiosk", "name": "X"}).status_code == 403
        assert client.delete(DEVICES.format(office="alpha") + f"/{kiosk['id']}", headers=headers).status_code == 403
    # through their own office, another office's device is not found
    assert client.delete(DEVICES.format(office="gamma") + f"/{kiosk['id']}", headers=other).status_code == 404
    assert [d["state"] for d in client.get(DEVICES.format(office="alpha"), headers=bearer(client, "admin-a")
                                           ).json()] == ["not enrolled"]
    login(client, "viewer-a")
    assert client.get("/alpha/admin/devices", headers=HTML).status_code == 403


@pytest.mark.parametrize(("body", "field"), [({"kind": "toaster", "name": "X"}, "kind"),
                                             ({"kind": "kiosk", "name": ""}, "name"),
                                             ({"kind": "kiosk", "name": "   "}, "name")])
def test_bad_devices_are_422_naming_the_field(client: TestClient, admins: dict[str, str], body: dict[str, str],
                                              field: str) -> None:
    answer = client.post(DEVICES.format(office="alpha"), headers=bearer(client, "admin-a"), json=body)
    assert answer.status_code == 422 and field in answer.text


def seen_minutes_ago(ctx: AppContext, device_id: int, minutes: int) -> None:
    with ctx.db.session() as session:
        device = session.get(devices.Device, device_id)
        device.enrolment_code_hash = None
        device.last_seen_at = utcnow() - timedelta(minutes=minutes)


def offline_events(ctx: AppContext) -> list[dict]:
    with ctx.db.session() as session:
        return [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.type == "device.offline")
                                                   .order_by(OutboxEvent.id))]


def test_a_device_quiet_during_opening_hours_is_offline_once_until_it_is_back(client: TestClient, ctx: AppContext,
                                                                            admins: dict[str, str]) -> None:
    kiosk = enrol(client, "alpha", "admin-a", name="Kiosk by the door")
    quiet_at_night = enrol(client, "closed", "admin-c", name="Closed office kiosk")
    seen_minutes_ago(ctx, kiosk["id"], 16)
    seen_minutes_ago(ctx, quiet_at_night["id"], 600)
    with ctx.db.session() as session:
        assert devices.report_offline(session, ctx.deployment) == [kiosk["id"]]
    with ctx.db.session() as session:
        assert devices.report_offline(session, ctx.deployment) == []  # once per silence
    (event,) = offline_events(ctx)
    assert (event["device_id"], event["name"], event["kind"], event["minutes"]) == (kiosk["id"], "Kiosk by the door",
                                                                                  "kiosk", 16)
    assert ctx.plugins.event_types["device.offline"].plugin == "core"  # a registered type: notify rules may use it
    login(client, "admin-a")
    page = client.get("/alpha/admin/devices?lang=en", headers=HTML).text
    assert re.search(r"Kiosk by the door</td><td>Kiosk</td>\s*<td>Offline", page)
    assert "Offline now: Kiosk by the door" in client.get("/alpha/admin?lang=en", headers=HTML).text
    closed = client.get(DEVICES.format(office="closed"), headers=bearer(client, "admin-c")).json()
    assert closed[0]["state"] == "active"  # the office is closed: silence is expected

    # back (a check-in marks it seen), then quiet again: reported again
    device_token = {"Authorization": f"Bearer {kiosk['token']}"}
    assert client.get("/api/v1/device/heartbeat", headers=device_token).status_code == 204
    with ctx.db.session() as session:
        assert devices.report_offline(session, ctx.deployment) == []
    seen_minutes_ago(ctx, kiosk["id"], 30)
    with ctx.db.session() as session:
        assert devices.report_offline(session, ctx.deployment) == [kiosk["id"]]
    assert len(offline_events(ctx)) == 2


def test_the_heartbeat_is_for_devices_only(client: TestClient, admins: dict[str, str]) -> None:
    assert client.get("/api/v1/device/heartbeat").status_code == 401
    assert client.get("/api/v1/device/heartbeat", headers=bearer(client, "admin-a")).status_code == 401


def test_the_devices_page_enrols_and_revokes(client: TestClient, ctx: AppContext, admins: dict[str, str]) -> None:
    login(client, "admin-a")
    page = client.get("/alpha/admin/devices?lang=en", headers=HTML)
    csrf = csrf_of(page.text)
    refused = client.post("/alpha/admin/devices", data={"csrf_token": csrf, "kind": "kiosk", "name": " "},
                          headers=HTML)
    assert refused.status_code == 422 and "A device needs a name." in refused.text
    added = client.post("/alpha/admin/devices", data={"csrf_token": csrf, "kind": "display", "name": "Hall board"},
                        headers=HTML, follow_redirects=False)
    with ctx.db.session() as session:
        board = session.scalars(select(devices.Device).where(devices.Device.name == "Hall board")).one()
    assert (added.status_code, added.headers["location"]) == (303, f"/alpha/admin/devices?enrolled={board.id}")
    shown = client.get(added.headers["location"], headers=HTML).text
    code = re.search(r'class="mbk-code"[^>]*>([A-Z2-9-]+)<', shown).group(1)
    assert f"/alpha/enrol?code={code}" in shown and 'src="data:image/svg+xml' in shown  # the link and its QR code
    reloaded = client.get(added.headers["location"], headers=HTML).text  # a reload shows the same, adds nothing
    assert re.search(r'class="mbk-code"[^>]*>([A-Z2-9-]+)<', reloaded).group(1) == code
    other = TestClient(client.app)  # another admin of the office sees no code that is not theirs
    login(other, "admin-a")
    assert "mbk-code" not in other.get(added.headers["location"], headers=HTML).text
    assert client.get(f"/alpha/enrol?code={code}", follow_redirects=False).status_code == 303  # used…
    assert "mbk-code" not in client.get(added.headers["location"], headers=HTML).text  # …so no longer shown
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(devices.Device)
                              .where(devices.Device.office_id == "alpha")) == 1
    assert client.post(f"/alpha/admin/devices/{board.id}/revoke", data={}).status_code == 403  # no CSRF token
    client.post(f"/alpha/admin/devices/{board.id}/revoke", data={"csrf_token": csrf})
    with ctx.db.session() as session:
        assert session.get(devices.Device, board.id).revoked_at is not None
