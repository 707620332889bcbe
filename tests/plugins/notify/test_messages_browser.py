"""The staff page in a real browser (Debian's chromium): accessible in Swedish and Arabic (right to left),
and "retry now" works with a click."""

from __future__ import annotations

import os
from typing import Any

import pytest

from core import auth
from core.web.app import AppContext
from tests.axe import assert_accessible
from tests.plugins.notify.fakes import ProviderServer
from tests.plugins.notify.test_delivery import messages, near, sender_for
from tests.support import PASSWORD, LiveServer


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the page, not the database, is under test here
def test_messages_page_accessible_and_retry_by_click(notify_ctx: AppContext, provider: ProviderServer,
                                                     page: Any) -> None:
    provider.answers.append((400, {}))
    near(notify_ctx)
    sender_for(notify_ctx).run_once()
    with notify_ctx.db.session() as session:
        auth.create_user(session, "boss", PASSWORD, office_id="testoffice", role="admin")
    with LiveServer(notify_ctx) as server:
        page.goto(f"{server.url}/testoffice/notify/messages")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        assert page.locator("h1").inner_text() == "Messages today"  # back where the login began
        page.goto(f"{server.url}/testoffice/notify/messages?lang=sv")
        assert page.locator("h1").inner_text() == "Meddelanden i dag"
        assert_accessible(page)

        page.goto(f"{server.url}/testoffice/notify/messages?lang=ar")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("tr[data-status=failed]").count() == 1
        assert_accessible(page)
        if os.environ.get("MBK_NOTIFY_SCREENSHOT"):
            page.screenshot(path=os.environ["MBK_NOTIFY_SCREENSHOT"], full_page=True)
        page.get_by_role("button", name="أعد المحاولة الآن").click()
        page.wait_for_selector("tr[data-status=pending]")

        page.goto(f"{server.url}/testoffice/admin?lang=sv")
        assert page.locator("#panel-notify").count() == 1
        assert_accessible(page)
    assert messages(notify_ctx)[0].status == "pending"
