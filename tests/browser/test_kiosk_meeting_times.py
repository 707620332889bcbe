"""The kiosk's officer-then-time arrival in a real browser (Chromium), in Swedish and Arabic, in normal,
large-text and high-contrast display: the visitor chooses the officer, then the time of their meeting today from
the times open for arrival now (times only, never another visitor's name), and the arrival names that meeting.
axe-core finds no serious problem on the time screen; its buttons are touch-sized."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.db import utcnow
from core.events import OutboxEvent
from plugins.appointments import service
from tests.axe import assert_accessible
from tests.plugins.kiosk.browser import enrol_kiosk, unreadable_text, visible
from tests.support import LiveServer

pytestmark = pytest.mark.browser
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
@pytest.mark.parametrize("language", ["sv", "ar"])
@pytest.mark.parametrize("mode", ["", "large", "contrast"])
def test_choose_the_officer_then_the_time(browser: Any, live_server: LiveServer, language: str, mode: str) -> None:
    from playwright.sync_api import expect

    office = live_server.ctx.deployment.office("skarholmen")
    start = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    with live_server.ctx.db.session() as session:  # Amal's meeting with Anna Lind, open for arrival now
        meeting = service.create(session, office, service.NewAppointment(
            start=start, end=start + timedelta(minutes=30), officer_id="a-lind", first_name="Amal"))
    label = start.astimezone(office.tz).strftime("%H:%M")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        enrol_kiosk(page, live_server)
        if mode:
            context.add_cookies([{"name": "mbk_display", "value": mode, "url": live_server.url}])
        page.goto(f"{live_server.url}/skarholmen/kiosk/meeting?lang={language}")
        page.locator(".kiosk-pick[data-officer=a-lind]").click()
        visible(page, "#meeting-time")
        times = page.locator("#meeting-times button")
        expect(times).to_have_count(1)
        expect(times).to_have_text(label)
        assert "Amal" not in page.locator("#main").inner_text()
        assert unreadable_text(page, assert_accessible(page)) == []
        small = page.evaluate("""() => [...document.querySelectorAll('#meeting-time button')]
            .map(el => el.getBoundingClientRect()).filter(r => r.width < 48 || r.height < 48).length""")
        assert small == 0
        times.first.click()
        visible(page, "#meeting-confirm")
        expect(page.locator("#meeting-who")).to_contain_text("Anna Lind")
        expect(page.locator("#meeting-who")).to_contain_text(label)
        page.locator("#meeting-confirm-button").click()
        visible(page, "#meeting-done")
        with live_server.ctx.db.session() as session:
            [event] = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "visitor.arrived")).all()
        assert event["appointment_id"] == meeting.id and event["officer_id"] == "a-lind"
    finally:
        context.close()
