"""Kiosk screens and API through the app: who may use them, languages, guides, arrivals and tickets."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from core import auth, devices
from core.db import utcnow
from core.web.app import AppContext
from plugins.kiosk import service
from tests.plugins.kiosk import fakequeue
from tests.support import device_header

HTML = {"accept": "text/html"}


def kiosk(ctx: AppContext, office: str = "testby") -> dict[str, str]:
    return {**HTML, **device_header(ctx, office, "kiosk", "Entrance")}


def test_without_a_device_the_kiosk_explains_how_to_enrol(kiosk_client: TestClient) -> None:
    page = kiosk_client.get("/testby/kiosk", headers=HTML)
    assert page.status_code == 401
    assert "mbk device add --office testby --kind kiosk" in page.text
    assert "/login?next=/testby/kiosk" in page.text
    for path in ("/meeting", "/guides", "/guides/housing", "/talk", "/talk/housing", "/tickets/computers"):
        assert kiosk_client.get(f"/testby/kiosk{path}", headers=HTML).status_code == 401, path


def test_a_kiosk_of_another_office_or_another_kind_is_refused(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    other = kiosk(kiosk_ctx, "otherby")
    assert kiosk_client.get("/testby/kiosk", headers=other).status_code == 403
    display = {**HTML, **device_header(kiosk_ctx, "testby", "display")}
    assert kiosk_client.get("/testby/kiosk", headers=display).status_code == 403
    body = {"language": "sv", "idempotency_key": "k-other-0001", "officer_id": "a-lind"}
    assert kiosk_client.post("/api/v1/offices/testby/kiosk/arrivals", json=body, headers=other).status_code == 403
    assert kiosk_client.post("/api/v1/offices/testby/kiosk/arrivals", json=body).status_code == 401
    assert kiosk_client.get("/testby/kiosk", headers=kiosk(kiosk_ctx)).status_code == 200


def test_logged_in_staff_may_use_the_kiosk(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    with kiosk_ctx.db.session() as session:
        auth.create_user(session, "guide", "correct horse battery", office_id="testby", role="guide")
    login = kiosk_client.get("/login", headers=HTML)
    token = re.search(r'name="csrf-token" content="([^"]+)"', login.text)[1]
    kiosk_client.post("/login", data={"username": "guide", "password": "correct horse battery",
                                      "csrf_token": token, "next": "/testby/kiosk"}, headers=HTML)
    assert kiosk_client.get("/testby/kiosk", headers=HTML).status_code == 200
    assert kiosk_client.get("/otherby/kiosk", headers=HTML).status_code == 403


def test_start_screen_languages_in_their_own_script_and_every_plugins_tiles(kiosk_client: TestClient,
                                                                            kiosk_ctx: AppContext) -> None:
    page = kiosk_client.get("/testby/kiosk?lang=ar", headers=kiosk(kiosk_ctx))
    assert '<html lang="ar" dir="rtl"' in page.text
    for code, name in (("sv", "Svenska"), ("en", "English"), ("ar", "العربية"), ("so", "Soomaali")):
        assert f'lang="{code}"' in page.text and name in page.text
    tiles = re.findall(r'id="tile-([a-z-]+)"', page.text)
    assert tiles == ["meeting", "guides", "talk", "computer-help", "parking"]
    assert "لدي موعد محجوز" in page.text  # "I have a booked meeting" in Arabic


def test_talk_tile_only_with_a_queue_that_takes_tickets(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    page = kiosk_client.get("/otherby/kiosk", headers=kiosk(kiosk_ctx, "otherby"))
    tiles = re.findall(r'id="tile-([a-z-]+)"', page.text)
    assert "talk" not in tiles and "meeting" in tiles
    assert "computer-help" not in tiles and "parking" in tiles  # no queue here takes tickets for computers
    # a screen for a service that takes no tickets stays a kiosk screen, in the visitor's language
    closed = kiosk_client.get("/otherby/kiosk/tickets/computers?lang=ar", headers=kiosk(kiosk_ctx, "otherby"))
    assert closed.status_code == 404
    assert 'class="kiosk-title"' in closed.text and 'data-idle="on"' in closed.text
    assert "هذه الخدمة لا تعطي أرقام دور الآن" in closed.text


def test_choosing_a_tile_counts_it_and_leads_on(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    headers = kiosk(kiosk_ctx)
    for tile, target in (("meeting", "/testby/kiosk/meeting"), ("computer-help", "/testby/kiosk/tickets/computers"),
                         ("parking", "/testby/kiosk/guides/parking")):
        answer = kiosk_client.get(f"/testby/kiosk/choose/{tile}?lang=so", headers=headers, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == target
    assert kiosk_client.get("/testby/kiosk/choose/nothing", headers=headers).status_code == 404
    office = kiosk_ctx.deployment.office("testby")
    with kiosk_ctx.db.session() as session:
        rows = service.usage(session, office, utcnow().date() - timedelta(days=2))
    assert sorted((r.choice, r.language) for r in rows) == [("computer-help", "so"), ("meeting", "so"),
                                                            ("parking", "so")]


def test_a_guide_in_somali_falls_back_to_swedish_with_a_note(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    page = kiosk_client.get("/testby/kiosk/guides/preschool?lang=so", headers=kiosk(kiosk_ctx))
    assert page.status_code == 200
    assert "Xannaanada carruurta" in page.text and "Tallaabo tallaabo" in page.text
    assert 'class="kiosk-note"' in page.text
    # the untranslated sections are Swedish and say so to screen readers
    assert re.search(r'id="guide-bring"[^>]*lang="sv" dir="ltr"', page.text)
    assert "Det här behöver du" in page.text
    assert 'src="data:image/svg+xml' in page.text  # the QR code to the phone page
    english = kiosk_client.get("/testby/kiosk/guides/preschool?lang=en", headers=kiosk(kiosk_ctx))
    assert 'class="kiosk-note"' not in english.text


def test_office_guides_override_and_extend_the_library(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    headers = kiosk(kiosk_ctx)
    listing = kiosk_client.get("/testby/kiosk/guides?lang=en", headers=headers)
    assert re.findall(r'id="guide-tile-([a-z-]+)"', listing.text)[:2] == ["parking", "preschool"]
    housing = kiosk_client.get("/testby/kiosk/guides/housing?lang=en", headers=headers)
    assert "Housing (Test office edition)" in housing.text and "Ask at our desk." in housing.text
    # Swedish still comes from the city-wide library
    assert "bostad.stockholm.se" in kiosk_client.get("/testby/kiosk/guides/housing?lang=sv", headers=headers).text
    assert kiosk_client.get("/testby/kiosk/guides/nothing", headers=headers).status_code == 404


def test_the_phone_copy_of_a_guide_is_public(kiosk_client: TestClient) -> None:
    page = kiosk_client.get("/testby/kiosk/phone/guides/financial-assistance?lang=ar", headers=HTML)
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl"' in page.text and "المساعدة المالية" in page.text


def test_arrival_through_the_api_is_idempotent(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    headers = device_header(kiosk_ctx, "testby", "kiosk")
    code = kiosk_client.get("/api/v1/offices/testby/kiosk/booking-codes/4711?lang=ar", headers=headers)
    assert code.json() == {"officer_id": "a-lind", "name": "Anna Lind", "unit_id": "social",
                           "unit": "الخدمات الاجتماعية"}
    missing = kiosk_client.get("/api/v1/offices/testby/kiosk/booking-codes/9999?lang=en", headers=headers)
    assert missing.status_code == 404 and "booking code" in missing.json()["detail"]
    body = {"language": "ar", "idempotency_key": "screen-0001", "officer_id": "a-lind", "first_name": "Amina"}
    first = kiosk_client.post("/api/v1/offices/testby/kiosk/arrivals", json=body, headers=headers)
    again = kiosk_client.post("/api/v1/offices/testby/kiosk/arrivals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert "Anna Lind" in first.json()["told"] and first.json()["notification"] == "pending"
    bad = kiosk_client.post("/api/v1/offices/testby/kiosk/arrivals", headers=headers,
                            json={"language": "sv", "idempotency_key": "short"})
    assert bad.status_code == 422 and "idempotency_key" in bad.text


def test_tickets_through_the_api(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    headers = device_header(kiosk_ctx, "testby", "kiosk")
    body = {"language": "en", "idempotency_key": "screen-0002", "category": "housing",
            "answers": {"need": "rent", "tried": "landlord"}}
    first = kiosk_client.post("/api/v1/offices/testby/kiosk/tickets", json=body, headers=headers)
    again = kiosk_client.post("/api/v1/offices/testby/kiosk/tickets", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    ticket = first.json()
    assert ticket["number"] == "B001" and ticket["position_text"] == "You are next."
    assert ticket["phone_url"].endswith("/testby/fakequeue/t1?lang=en") and ticket["qr"].startswith("data:image/svg")
    assert len(fakequeue.requests) == 1
    assert fakequeue.requests[0].answers == {"Vad behöver du hjälp med?": "Svårt att betala hyran",
                                             "Vad har du redan gjort?": "Pratat med min hyresvärd"}
    fakequeue.closed.add("computers")
    closed = kiosk_client.post("/api/v1/offices/testby/kiosk/tickets", headers=headers,
                               json={"language": "en", "idempotency_key": "screen-0003", "service": "computers"})
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]


def test_every_screen_renders_with_lang_and_dir(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    headers = kiosk(kiosk_ctx)
    for path in ("", "/meeting", "/guides", "/guides/migration", "/talk", "/talk/preschool", "/tickets/computers"):
        for lang, direction in (("sv", "ltr"), ("ar", "rtl"), ("so", "ltr")):
            page = kiosk_client.get(f"/testby/kiosk{path}?lang={lang}", headers=headers)
            assert page.status_code == 200, (path, lang, page.text[:300])
            assert f'<html lang="{lang}" dir="{direction}"' in page.text
            assert 'data-display="large"' in page.text and 'data-display="contrast"' in page.text


def test_persian_is_right_to_left_on_the_demo_kiosk(client: TestClient, ctx: AppContext) -> None:
    headers = {**HTML, **device_header(ctx, "skarholmen", "kiosk")}
    for path in ("", "/meeting", "/guides/housing"):
        page = client.get(f"/skarholmen/kiosk{path}?lang=fa", headers=headers)
        assert '<html lang="fa" dir="rtl"' in page.text, path
    start = client.get("/skarholmen/kiosk?lang=fa", headers=headers)
    assert "خوش آمدید" in start.text and 'lang="ti" dir="ltr"' in start.text
    # rinkeby does not enable the kiosk
    assert client.get("/rinkeby/kiosk", headers=HTML).status_code == 404


def test_a_revoked_kiosk_is_told_how_to_enrol_again(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    headers = kiosk(kiosk_ctx)
    assert kiosk_client.get("/testby/kiosk", headers=headers).status_code == 200
    with kiosk_ctx.db.session() as session:
        device = session.scalars(sa.select(devices.Device)).one()
        devices.revoke_device(session, device.id)
    page = kiosk_client.get("/testby/kiosk", headers=headers)
    assert page.status_code == 401 and "mbk device add --office testby --kind kiosk" in page.text
