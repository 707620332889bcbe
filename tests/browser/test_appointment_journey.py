"""Issue 13's whole journey in a real browser (Chromium), in Swedish and Arabic, on SQLite and PostgreSQL: a
visitor books a time with an officer online, gets the confirmation e-mail (aiosmtpd on loopback) with the booking
code and its QR code, arrives at the kiosk by scanning it (a barcode scanner types what the QR code holds, then
Enter, into the focused field) and is told, truthfully, that the officer has been told (the arrival's
notification state follows the officer's mail); the officer's day page then shows the meeting as arrived.

The live server does everything itself (dispatcher, notify's sender). Only the kiosk's clock is set: to ten
minutes before the booked time, which is in the future, so that the arrival window is open."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import auth, qr
from core.web.app import AppContext
from plugins.kiosk import arrivals
from tests.axe import assert_accessible
from tests.plugins.kiosk.browser import DEMO, enrol_kiosk, visible
from tests.plugins.notify.fakes import SmtpServer
from tests.support import PASSWORD, LiveServer, free_port

pytestmark = pytest.mark.browser

TOLD = {"sv": "Khalid Hassan har fått veta att du är här.", "ar": "تم إبلاغ Khalid Hassan بأنك هنا."}
CONFIRMATION = {"sv": "Din bokning hos", "ar": "حجزك في"}
CODE_LINE = {"sv": "Din bokningskod: ", "ar": "رمز حجزك: "}


def _deployment(target: Path, smtp_port: int) -> Path:
    """The demo, its mail going to the test's SMTP server (the demo's own catcher listens on 1025)."""
    shutil.copytree(DEMO, target)
    office = target / "offices" / "skarholmen.toml"
    text = office.read_text(encoding="utf-8")
    old = 'host = "127.0.0.1"\nport = 1025\n'
    assert old in text, "the demo changed"
    office.write_text(text.replace(old, f'host = "127.0.0.1"\nport = {smtp_port}\n'), encoding="utf-8")
    return target


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_book_online_get_the_mail_arrive_with_the_code_and_the_officer_sees_it(
        page: Any, browser: Any, make_context: Callable[..., AppContext], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    from playwright.sync_api import expect

    smtp = SmtpServer(free_port()).start()
    ctx = make_context(deployment=_deployment(tmp_path / "demo", smtp.port), run_dispatcher=True)
    try:
        with LiveServer(ctx) as server:
            # 1. book a time with Khalid Hassan online, as a visitor on their own phone
            page.goto(f"{server.url}/skarholmen/appointments/book/budget-advice?lang={language}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            start = datetime.fromisoformat(page.locator("#slot-1").get_attribute("value"))
            page.locator("#slot-1").check()
            page.locator("#first-name").fill("Amal")
            page.locator("#email").fill("amal@example.org")
            page.locator("#booking-form button[type=submit]").click()
            code = page.locator("#booking-code").inner_text()
            assert re.fullmatch(r"\d{6}", code)
            scanned = page.locator("#booking-qr").get_attribute("data-content")  # what its QR code holds
            assert scanned == code and page.locator("#booking-qr").get_attribute("src") == qr.svg_data_uri(code, 5)

            # 2. the confirmation e-mail, in the visitor's language, with the code
            mails = smtp.wait_for(1, timeout=20)
            [confirmation] = [m for r, m in mails if r == ["amal@example.org"]
                              and m["Subject"].startswith(CONFIRMATION[language])]
            assert f"{CODE_LINE[language]}{code}" in confirmation.get_body(("plain",)).get_content()
            assert [(part.get_content_type(), part.get_filename()) for part in confirmation.iter_attachments()] == [
                ("image/png", "qr-code.png"), ("text/calendar", f"booking-{code}.ics")]
            assert next(confirmation.iter_attachments()).get_content() == qr.png(scanned)

            # 3. at the kiosk, ten minutes before the meeting, with the code from the mail
            monkeypatch.setattr(arrivals, "utcnow", lambda: start - timedelta(minutes=10))
            kiosk = browser.new_page()
            try:
                enrol_kiosk(kiosk, server)
                kiosk.goto(f"{server.url}/skarholmen/kiosk/meeting?lang={language}")
                kiosk.locator("[data-panel=by-code]").click()
                expect(kiosk.locator("#booking-code")).to_be_focused()  # where the scanner types
                # the scanner: the QR code's content (Arabic: a link that carries the code, as some systems
                # print it), then Enter
                kiosk.keyboard.type(scanned if language == "sv" else f"{server.url}/skarholmen/arrive?code={code}")
                kiosk.keyboard.press("Enter")
                expect(kiosk.locator("#meeting-who")).to_contain_text("Khalid Hassan")
                assert "Amal" not in kiosk.locator("#meeting-who").inner_text()  # no visitor's name on the screen
                kiosk.locator("#meeting-confirm-button").click()
                visible(kiosk, "#meeting-done")
                # the officer is told for real: the screen says so once his mail went out
                expect(kiosk.locator("#meeting-told")).to_have_text(TOLD[language], timeout=20000)
                expect(kiosk.locator("#meeting-done")).to_have_attribute("data-notification", "sent")
                assert_accessible(kiosk)
            finally:
                kiosk.close()
            to_khalid = [m for r, m in smtp.wait_for(2, timeout=20) if r == ["khalid.hassan@example.org"]]
            assert len(to_khalid) == 1 and "/skarholmen/kiosk/coming/" in to_khalid[0].get_content()

            # 4. the officer's day page shows the meeting arrived
            with ctx.db.session() as session:
                auth.create_user(session, "khalid", PASSWORD, office_id="skarholmen", role="officer")
            day = start.astimezone(ctx.deployment.office("skarholmen").tz).date().isoformat()
            page.goto(f"{server.url}/login?lang=sv&next=/skarholmen/appointments/day%3Fday%3D{day}%26officer%3Dk-hassan")
            page.locator("#username").fill("khalid")
            page.locator("#password").fill(PASSWORD)
            page.locator("form.mbk-form button[type=submit]").click()
            row = page.locator("#appointments tbody tr")
            expect(row).to_have_count(1)
            for _ in range(40):  # the dispatcher hands visitor.arrived to the appointments plugin
                if row.get_attribute("data-status") == "arrived":
                    break
                page.wait_for_timeout(250)
                page.reload()
            expect(row).to_have_attribute("data-status", "arrived")
            expect(row).to_contain_text(code)
            assert_accessible(page)
    finally:
        smtp.stop()
