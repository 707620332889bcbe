"""The kiosk in a real browser (Chromium), on SQLite and PostgreSQL: an arrival in Arabic (right to left),
a guide in Somali with the Swedish fallback note, talk to a guide giving a queue ticket that carries the
answers, the server going away and coming back, and the inactivity warning and reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from core import auth
from core.events import OutboxEvent
from core.web.app import AppContext
from tests.plugins.kiosk.browser import enrol_kiosk, quick_reset_deployment, visible
from tests.support import PASSWORD, LiveServer

# Flows whose outcome does not depend on the database run on SQLite only (the suite must stay quick).
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def arrival_events(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.db.session() as session:
        return [e.payload for e in session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == "visitor.arrived"))]


def test_arrival_in_arabic_right_to_left(page: Any, live_server: LiveServer) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    page.locator("#tile-meeting").click()
    page.wait_for_url("**/skarholmen/kiosk/meeting")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_role("button", name="Anna Lind").click()
    visible(page, "#meeting-confirm")
    assert "Anna Lind" in page.locator("#meeting-who").inner_text()
    for letter in "AMINA":  # the on-screen letter pad: no keyboard on the kiosk
        page.locator("#meeting-confirm .kiosk-key", has_text=letter).first.click()
    assert page.locator("#first-name").input_value() == "AMINA"
    page.get_by_role("button", name="أؤكد أنني هنا").click()
    visible(page, "#meeting-done")
    told = page.locator("#meeting-told").inner_text()
    assert "يتم الآن إبلاغ" in told and "Anna Lind" in told  # being told: the message is on its way
    wait = page.locator("#meeting-wait").inner_text()
    assert "تفضل بالجلوس" in wait and "غرفة الانتظار في الطابق 2" in wait  # the unit's waiting area, in Arabic too
    [event] = arrival_events(live_server.ctx)
    assert event == {"arrival_id": event["arrival_id"], "officer_id": "a-lind", "unit_id": "social",
                     "first_name": "AMINA", "language": "ar", "acknowledge_url": event["acknowledge_url"],
                     "appointment_id": None}

    # "Done": back to the start screen, where nothing of the meeting is left for the next visitor
    page.get_by_role("link", name="تم").click()
    page.wait_for_url("**/skarholmen/kiosk?lang=sv")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert "Anna Lind" not in page.content() and "AMINA" not in page.content()
    page.go_back()
    assert "AMINA" not in page.content()


@SQLITE_ONLY
def test_a_refused_arrival_is_told_in_the_screens_language(page: Any, live_server: LiveServer) -> None:
    """The kiosk's calls name the screen's language in their address (?lang=), so that what the server refuses
    (422) is told in it, not in pydantic's English."""
    from playwright.sync_api import expect

    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk/meeting?lang=ar")
    page.get_by_role("button", name="Anna Lind").click()
    visible(page, "#meeting-confirm")
    page.locator("#first-name").evaluate("input => { input.value = 'A'.repeat(101); }")  # past its maxlength
    page.get_by_role("button", name="أؤكد أنني هنا").click()
    expect(page.locator("#meeting-error")).to_have_text("first_name: أطول من 100 حرفاً")
    assert arrival_events(live_server.ctx) == []


def test_two_taps_at_once_make_one_arrival(page: Any, live_server: LiveServer) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk/meeting?lang=sv")
    statuses = page.evaluate("""async () => {
        const key = document.getElementById("kiosk").dataset.key;
        const send = () => window.mbkFetch("/api/v1/offices/skarholmen/kiosk/arrivals", {method: "POST",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({language: "sv", idempotency_key: key, officer_id: "k-hassan"})});
        const answers = await Promise.all([send(), send(), send()]);
        return Promise.all(answers.map(async r => [r.status, (await r.json()).id]));
    }""")
    assert [s for s, _ in statuses] == [201, 201, 201]
    assert len({arrival for _, arrival in statuses}) == 1
    assert len(arrival_events(live_server.ctx)) == 1


@SQLITE_ONLY
def test_guide_in_somali_with_the_swedish_fallback_note(page: Any, live_server: LiveServer) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk?lang=so")
    page.locator("#tile-guides").click()
    page.locator("#guide-tile-preschool").click()
    page.wait_for_url("**/kiosk/guides/preschool")
    assert page.locator("h1").inner_text().endswith("Xannaanada carruurta (förskola)")
    note = visible(page, ".kiosk-note")
    assert "Iswiidhish" in note.inner_text()  # the note itself is in Somali
    assert page.locator("#guide-steps-1").get_attribute("lang") is None  # translated part: the page's Somali
    bring = page.locator("#guide-bring")
    while bring.is_hidden():  # a screenful at a time: on to "what to bring"
        page.locator("#guide-step-next").click()
    assert bring.get_attribute("lang") == "sv" and "Det här behöver du" in bring.inner_text()
    qr = page.locator("img.kiosk-qr")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth > 0")


def test_talk_to_a_guide_gives_a_ticket_with_the_answers(page: Any, live_server: LiveServer) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk?lang=en")
    page.locator("#tile-talk").click()
    page.locator("#talk-tile-financial-assistance").click()
    page.wait_for_url("**/kiosk/talk/financial-assistance")
    page.get_by_role("button", name="Take a queue ticket").click()  # nothing answered yet: asked to answer
    assert visible(page, "#talk-error").inner_text() == "Please answer every question."
    page.get_by_label("Applying for the first time").check()
    page.get_by_label("Called social services").check()
    page.get_by_role("button", name="Take a queue ticket").click()
    visible(page, "#ticket-result")
    number = page.locator("#ticket-number").inner_text()
    assert number.startswith("B")  # the queue's community guidance line for this category
    assert page.locator("#ticket-position").inner_text() == "You are next."
    assert page.locator("#ticket-wait").inner_text()
    assert page.locator("#ticket-qr").evaluate("img => img.naturalWidth > 0")

    # a guide sees the visitor's answers (in Swedish) on the ticket, through the queue's staff API
    with live_server.ctx.db.session() as session:
        auth.create_user(session, "guide-kiosk", PASSWORD, office_id="skarholmen", role="guide")
    token = httpx.post(f"{live_server.url}/api/v1/auth/token",
                       data={"username": "guide-kiosk", "password": PASSWORD}).json()["access_token"]
    tickets = httpx.get(f"{live_server.url}/api/v1/offices/skarholmen/queue/tickets",
                        headers={"Authorization": f"Bearer {token}"}).json()
    ours = [t for t in tickets if t["number"] == number]
    assert len(ours) == 1, tickets
    assert ours[0]["answers"] == {"Vad gäller det?": "Söka för första gången",
                                  "Vad har du redan gjort?": "Ringt socialtjänsten"}


@SQLITE_ONLY
def test_server_unreachable_keeps_the_input_until_a_retry_works(page: Any, live_server: LiveServer) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk/meeting?lang=ar")
    page.get_by_role("button", name="Khalid Hassan").click()
    page.locator("#first-name").fill("Omar")
    page.route("**/kiosk/arrivals?*", lambda route: route.abort("connectionrefused"))
    page.get_by_role("button", name="أؤكد أنني هنا").click()
    alert = visible(page, "#kiosk-offline")
    assert "لا تستطيع الشاشة الاتصال بالخادم" in alert.inner_text()
    assert page.locator("#first-name").input_value() == "Omar"
    assert arrival_events(live_server.ctx) == []
    page.unroute("**/kiosk/arrivals?*")
    page.get_by_role("button", name="حاول مرة أخرى").click()
    visible(page, "#meeting-done")
    assert [e["first_name"] for e in arrival_events(live_server.ctx)] == ["Omar"]


@SQLITE_ONLY
def test_inactivity_warns_can_be_extended_then_starts_over(page: Any, make_context: Callable[..., AppContext],
                                                           tmp_path: Path) -> None:
    deployment = quick_reset_deployment(tmp_path / "quick", inactivity=5, warning=3)
    page.clock.install()  # the kiosk's timers run on a clock the test moves on instead of waiting
    with LiveServer(make_context(deployment=deployment)) as server:
        enrol_kiosk(page, server)
        page.goto(f"{server.url}/skarholmen/kiosk/meeting?lang=ar")
        page.get_by_role("button", name="Anna Lind").click()
        page.locator("#first-name").fill("Sara")
        page.clock.run_for(2_000)  # the inactivity time less the warning's
        dialog = visible(page, "#kiosk-idle [role=alertdialog]", timeout=6000)
        assert "هل ما زلت هنا؟" in dialog.inner_text()
        count = int(page.locator("#kiosk-idle-count").inner_text())
        assert 1 <= count <= 3
        page.get_by_role("button", name="أحتاج إلى وقت أطول").click()  # one touch extends
        assert page.locator("#kiosk-idle").is_hidden()
        assert page.locator("#first-name").input_value() == "Sara"
        page.clock.run_for(2_000)
        visible(page, "#kiosk-idle [role=alertdialog]", timeout=6000)
        page.clock.run_for(3_000)  # the warning's count-down
        page.wait_for_url("**/skarholmen/kiosk?lang=sv", timeout=6000)  # nobody touched it: start over
        assert page.locator("html").get_attribute("lang") == "sv"
        assert "Sara" not in page.content()


def tab_to(page: Any, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element shows ``text`` (a keyboard or switch user's way through)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if text in page.evaluate("document.activeElement ? document.activeElement.innerText || '' : ''"):
            return
    raise AssertionError(f"{text!r} cannot be reached with Tab")


@SQLITE_ONLY
def test_an_arrival_with_the_keyboard_only(page: Any, live_server: LiveServer) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk?lang=en")
    tab_to(page, "I have a booked meeting")
    page.keyboard.press("Enter")
    page.wait_for_url("**/kiosk/meeting")
    tab_to(page, "Khalid Hassan")
    page.keyboard.press("Enter")
    visible(page, "#meeting-confirm")
    assert page.evaluate("document.activeElement.id") == "meeting-confirm-title"  # screen readers hear the step
    tab_to(page, "Confirm that I am here")
    page.keyboard.press("Space")
    visible(page, "#meeting-done")
    assert page.evaluate("document.activeElement.id") == "meeting-done-title"
    assert [e["officer_id"] for e in arrival_events(live_server.ctx)] == ["k-hassan"]


@SQLITE_ONLY
def test_a_page_opened_from_the_kiosk_leads_back_and_keeps_the_inactivity_reset(
        page: Any, make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    deployment = quick_reset_deployment(tmp_path / "quick", inactivity=5, warning=3)
    page.clock.install()  # the page's timers run on a clock the test moves on instead of waiting
    with LiveServer(make_context(deployment=deployment)) as server:
        enrol_kiosk(page, server)  # the kiosk's start screen leaves its address and inactivity time
        page.goto(f"{server.url}/skarholmen/queue/board?lang=ar")  # another plugin's page, as a tile opens it
        back = visible(page, "#mbk-home")
        assert back.inner_text() == "العودة إلى البداية"
        assert back.get_attribute("href") == "/skarholmen/kiosk?lang=sv"
        page.clock.run_for(5_000)  # the start screen's inactivity time
        page.wait_for_url("**/skarholmen/kiosk?lang=sv", timeout=8000)  # nobody touched it: the start screen
        assert page.locator("#mbk-home").is_hidden()  # the kiosk's own screens keep their own reset
        phone = page.context.browser.new_page()  # a visitor's phone never saw a start screen
        phone.goto(f"{server.url}/skarholmen/queue/board?lang=ar")
        assert phone.locator("#mbk-home").is_hidden()
        phone.close()


@SQLITE_ONLY
def test_starting_over_also_resets_large_text_high_contrast_and_language(
        page: Any, make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    deployment = quick_reset_deployment(tmp_path / "quick", inactivity=5, warning=3)
    page.clock.install()  # the kiosk's timers run on a clock the test moves on instead of waiting
    with LiveServer(make_context(deployment=deployment)) as server:
        enrol_kiosk(page, server)
        # the start screen in the start language has nothing to forget, until a visitor turns on large text
        page.goto(f"{server.url}/skarholmen/kiosk?lang=sv")
        page.locator(".mbk-toggle[data-display=large]").click()
        expect(page.locator("html")).to_have_class(re.compile("mbk-large"))
        page.clock.run_for(2_000)  # the inactivity time less the warning's
        visible(page, "#kiosk-idle [role=alertdialog]", timeout=6000)
        page.clock.run_for(3_000)  # the warning's count-down
        expect(page.locator("html")).not_to_have_class(re.compile("mbk-large"), timeout=8000)
        # a visitor in Arabic with high contrast: the next one finds Swedish and the usual display
        page.goto(f"{server.url}/skarholmen/kiosk/meeting?lang=ar")
        page.locator(".mbk-toggle[data-display=contrast]").click()
        expect(page.locator("html")).to_have_class(re.compile("mbk-contrast"))
        page.clock.run_for(5_000)  # the inactivity time
        page.wait_for_url("**/skarholmen/kiosk?lang=sv", timeout=8000)
        expect(page.locator("html")).to_have_attribute("lang", "sv")
        expect(page.locator("html")).not_to_have_class(re.compile("mbk-(large|contrast)"))
        assert {c["name"]: c["value"] for c in page.context.cookies()}.get("mbk_display", "") == ""
        page.reload()  # the server renders the usual display too: the choice is gone, not just hidden
        expect(page.locator("html")).not_to_have_class(re.compile("mbk-(large|contrast)"))
