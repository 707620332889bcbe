"""An arrival while the mail server is down, in a real browser (Chromium), on SQLite and PostgreSQL: the kiosk says
the officer *is being told*, then, nobody told in time, sends the visitor to the information desk; once the SMTP
server (aiosmtpd on loopback) is back, the officer clicks the link in the mail, and the kiosk says "on the way".
The whole chain runs in the live server's own background work: dispatcher, notify's sender, the kiosk's
escalation check. An older state that comes back after a newer one does not take back what the kiosk said."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.web.app import AppContext
from tests.axe import assert_accessible
from tests.browser.late_answers import HeldAnswer
from tests.plugins.kiosk.browser import enrol_kiosk, quick_reset_deployment, visible
from tests.plugins.notify.fakes import SmtpServer
from tests.support import LiveServer, free_port

ESCALATE_AFTER = 3  # seconds (the office's default is two minutes)


def _deployment(target: Path, smtp_port: int, escalate_after: int = ESCALATE_AFTER) -> Path:
    """The demo, with the kiosk's reset long enough for the whole story, a short escalation time, and mail to
    the loopback SMTP server retried quickly once it is back."""
    root = quick_reset_deployment(target, inactivity=300, warning=20)
    office = root / "offices" / "skarholmen.toml"
    text = office.read_text(encoding="utf-8")
    escalate = f"inactivity_seconds = 300\nescalate_after_seconds = {escalate_after}\n"
    for old, new in (("inactivity_seconds = 300\n", escalate),
                     ('host = "127.0.0.1"\nport = 1025\n', f'host = "127.0.0.1"\nport = {smtp_port}\n'),
                     ("retention = { visitor_contact_hours = 12, log_days = 90 }\n",
                      "retention = { visitor_contact_hours = 12, log_days = 90 }\n"
                      f"retry_delays_seconds = [{', '.join(['0.5'] * 49)}]\n"  # about 25 s of quick retries
                      "poll_seconds = 0.2\n")):
        assert old in text, f"the demo changed: {old!r}"
        text = text.replace(old, new)
    office.write_text(text, encoding="utf-8")
    return root


def test_an_arrival_while_mail_is_down_escalates_then_the_officer_answers(
        page: Any, browser: Any, make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    smtp = SmtpServer(free_port())  # down: not started yet
    ctx = make_context(deployment=_deployment(tmp_path / "demo", smtp.port), run_dispatcher=True)
    with LiveServer(ctx) as server:
        try:
            enrol_kiosk(page, server)
            page.goto(f"{server.url}/skarholmen/kiosk/meeting?lang=en")
            page.get_by_role("button", name="Anna Lind").click()
            page.locator("#first-name").fill("Amina")
            page.get_by_role("button", name="Confirm that I am here").click()
            visible(page, "#meeting-done")
            told = page.locator("#meeting-told")
            expect(told).to_have_text("Anna Lind is being told that you are here.")
            expect(page.locator("#meeting-wait")).to_contain_text("If nobody has come within")

            # no message could go out: after the office's time the visitor is sent to the desk
            expect(told).to_have_text("We could not reach Anna Lind.", timeout=15000)
            expect(page.locator("#meeting-wait")).to_contain_text("ask at the information desk")
            assert_accessible(page)

            smtp.start()  # the mail server is back: the officer's message and the unit's escalation go out
            mails = smtp.wait_for(2, timeout=20)
            to_anna = [mail for recipients, mail in mails if recipients == ["anna.lind@example.org"]]
            assert len(to_anna) == 1, [r for r, _ in mails]
            assert any(r == ["socialtjansten@skarholmen.example.org"] for r, _ in mails)  # the unit's fallback
            expect(told).to_have_text("Anna Lind has been told that you are here.", timeout=15000)

            link = re.search(r"https?://\S+/skarholmen/kiosk/coming/\S+", to_anna[0].get_content())
            assert link is not None
            officer = browser.new_page()  # the officer's own browser, not the kiosk
            try:
                officer.goto(server.url + urlsplit(link.group(0)).path + "?lang=en")
                assert "Amina" not in officer.content()
                officer.get_by_role("button", name="I am coming").click()
                expect(officer.locator("#coming-title")).to_contain_text("on the way")
            finally:
                officer.close()
            expect(told).to_have_text("Anna Lind is on the way to you.", timeout=10000)
            expect(page.locator("#meeting-wait")).to_contain_text("You will be fetched there")
        finally:
            smtp.stop()


def test_an_older_state_coming_back_last_does_not_take_back_what_the_kiosk_says(
        page: Any, make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    """The kiosk polls the arrival every 2 s; with a slow server two polls overlap. The older answer ("is being
    told") comes back after the newer one ("We could not reach Anna Lind"): the kiosk keeps the newer."""
    from playwright.sync_api import expect

    smtp = SmtpServer(free_port())  # never started: nobody is told, so the office's time runs out
    ctx = make_context(deployment=_deployment(tmp_path / "demo", smtp.port, escalate_after=6), run_dispatcher=True)
    with LiveServer(ctx) as server:
        enrol_kiosk(page, server)
        page.goto(f"{server.url}/skarholmen/kiosk/meeting?lang=en")
        page.get_by_role("button", name="Anna Lind").click()
        first_poll = HeldAnswer(page, lambda url: "/arrivals/" in url)
        page.get_by_role("button", name="Confirm that I am here").click()
        told = page.locator("#meeting-told")
        expect(told).to_have_text("Anna Lind is being told that you are here.")
        first_poll.wait("the arrival's state")  # after 2 s, of 6: still "is being told"
        expect(told).to_have_text("We could not reach Anna Lind.", timeout=15000)
        first_poll.hand_over()
        # Read at once, not waited for: the next poll would put the newer state back within 2 s.
        assert told.text_content() == "We could not reach Anna Lind."
