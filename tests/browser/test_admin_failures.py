"""What failed, in one place, in a real browser (Chromium): an event delivery that failed for good and a message
notify could not send, both on the admins' page, linked from the dashboard with a count. axe-core finds nothing
serious in Swedish and Arabic, the page is right-to-left in Arabic and fits a 1,280 px screen."""

from __future__ import annotations

from typing import Any

import pytest

from core.events import EventDelivery, OutboxEvent
from plugins.notify.models import NotifyMessage
from tests.axe import assert_accessible
from tests.browser.test_admin_people import fits_the_screen, log_in
from tests.browser.test_admin_people import server as server  # noqa: F401  (the demo, served with its links)
from tests.support import PASSWORD, LiveServer

TEXTS = {"sv": ("Misslyckade och inte försökta igen: 2", "Meddelande", "Försök igen nu", "Kallad till disken"),
         "ar": ("فشلت ولم تُعَد محاولتها بعد: 2", "رسالة", None, "نُودي إلى المكتب")}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the page, not the database, is under test
@pytest.mark.parametrize("language", ["sv", "ar"])
def test_what_failed_lists_events_and_messages_in_one_place(server: LiveServer, page: Any, language: str) -> None:
    with server.ctx.db.session() as session:
        event = OutboxEvent(office_id="skarholmen", type="ticket.called", payload={}, fanned_out=True)
        session.add(event)
        session.flush()
        session.add(EventDelivery(event_id=event.id, office_id="skarholmen", plugin="notify", status="failed",
                                  attempts=8, last_error="OperationalError: the database was locked for too long"))
        session.add(NotifyMessage(office_id="skarholmen", idempotency_key="browser-test", event_type="ticket.near",
                                  channel="sms", recipient="visitor", language="sv", status="failed", attempts=5,
                                  last_error="HTTP 400 (permanent): the provider refused the number"))
    log_in(page, server.url, "boss", PASSWORD, "/skarholmen/admin")
    count, kind, retry, event_name = TEXTS[language]
    page.goto(f"{server.url}/skarholmen/admin?lang={language}")
    assert page.get_by_text(count).is_visible()
    page.locator("a[href='/skarholmen/admin/failures']").last.click()
    page.wait_for_url(f"{server.url}/skarholmen/admin/failures")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    message = page.locator("tr[id^=failure-message-]")
    assert message.locator("td").nth(1).inner_text() == kind
    assert "HTTP 400" in message.inner_text()
    assert page.locator("tr[id^=delivery-]").count() == 1
    # the event's type by its name in the page's language (its code and number below it, for IT)
    assert page.locator("tr[id^=delivery-] td").nth(1).inner_text().splitlines() == [event_name, "ticket.called #1"]
    if retry:
        assert page.get_by_role("button", name=retry).count() == 1  # the message had no text to send again
    assert_accessible(page)
    assert fits_the_screen(page)
