"""Every admin page of an office, with a day's worth of data, in a real browser (Chromium) at 1,280 px, in
Swedish and Arabic: nothing scrolls sideways, Arabic is right-to-left, axe-core finds nothing serious, and the
visible text names services, counters, outcomes, referrals and officers by their labels, never by their ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core import auth, devices
from core.db import utcnow
from plugins.notify.models import NotifyMessage
from tests.axe import assert_accessible
from tests.browser.test_admin_people import fits_the_screen, log_in
from tests.browser.test_queue_pages import kiosk, staff
from tests.support import PASSWORD, LiveServer

API = "/api/v1/offices/skarholmen/queue"
PAGES = ("/skarholmen/admin", "/skarholmen/admin/people", "/skarholmen/admin/devices", "/skarholmen/admin/failures",
         "/skarholmen/queue/live", "/skarholmen/notify/messages", "/skarholmen/surveys/exit/report")
# The demo's ids that must never reach the text of a page (their labels do).
IDS = ("financial-assistance", "guidance", "guide-1", "guide-2", "guide-3", "info-1", "helped_self_service",
       "no_errand", "insurance", "a-lind", "k-hassan", "not enrolled", "visitor.arrived", "ticket.near")


def a_day(server: LiveServer, make_user: Callable[..., str]) -> None:
    """Tickets served with each outcome, one held, a counter paused, devices (one silent), a failed message, and
    people with long names."""
    tickets, guide = kiosk(server), staff(server, make_user("guide"))
    for n, (service, outcome) in enumerate((("guidance", "helped_self_service"), ("guidance", "referred"),
                                            ("info", "helped"), ("guidance", "no_errand"), ("guidance", None))):
        issued = tickets.post(f"{API}/tickets", json={"service": service, "language": "ar",
                                                      "errand": {"category": "financial-assistance"}}).json()
        if outcome is None:
            continue
        guide.post(f"{API}/tickets/{issued['id']}/call", json={"counter": f"guide-{n % 3 + 1}"}).raise_for_status()
        body = {"outcome": outcome, **({"referred_to": "insurance"} if outcome == "referred" else {})}
        guide.post(f"{API}/tickets/{issued['id']}/done", json=body).raise_for_status()
    held = tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "so"}).json()
    guide.post(f"{API}/tickets/{held['id']}/hold").raise_for_status()
    guide.put(f"{API}/counters/guide-3", json={"state": "paused"}).raise_for_status()
    with server.ctx.db.session() as session:
        auth.create_user(session, "kim-with-a-rather-long-username@skarholmen.example.org", PASSWORD,
                         office_id="skarholmen", role="guide", display_name="Kim Andersson-Lindqvist")
        silent, _ = devices.enrol_device(session, "skarholmen", "display",
                                         "Tavlan i väntrummet vid fönstret mot torget")
        silent.last_seen_at = utcnow() - timedelta(minutes=40)
        session.add(NotifyMessage(office_id="skarholmen", idempotency_key="admin-pages", event_type="visitor.arrived",
                                  channel="email", recipient="officer:a-lind", language="sv", status="failed",
                                  attempts=5, last_error="SMTPRecipientsRefused: 550 5.1.1 mailbox unavailable"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the pages, not the database, are under test
def test_every_admin_page_fits_reads_right_to_left_and_names_things(live_server: LiveServer, page: Any,
                                                                     make_user: Callable[..., str]) -> None:
    make_user("boss", role="admin")
    a_day(live_server, make_user)
    log_in(page, live_server.url, "boss", PASSWORD, "/skarholmen/admin")
    problems = []
    for language in ("sv", "ar"):
        for path in PAGES:
            page.goto(f"{live_server.url}{path}?lang={language}")
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr"), path
            assert_accessible(page)
            if not fits_the_screen(page):
                problems.append(f"{path} ({language}) scrolls sideways")
            text = page.locator("body").inner_text()
            if path == "/skarholmen/admin" and language == "sv":  # the queue's audit entries, in words
                assert "Pausade Disk 3" in text and "B002 klar: Hänvisad" in text, text
            problems += [f"{path} ({language}) shows the id {id_!r}" for id_ in IDS if id_ in text]
    assert problems == [], "\n".join(problems)
