"""The visitor's booking pages in a real browser (Debian's chromium), in Swedish and Arabic, in normal,
large-text and high-contrast display: book a time online, get the booking code, cancel; axe-core finds no
serious problem on any of the pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.axe import assert_accessible
from tests.support import LiveServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["sv", "ar"])
@pytest.mark.parametrize("mode", ["", "large", "contrast"])
def test_book_online_and_cancel(browser: Any, live_server: LiveServer, language: str, mode: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if mode:
        context.add_cookies([{"name": "mbk_display", "value": mode, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/skarholmen/appointments/book?lang={language}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        assert_accessible(page)
        page.locator(".mbk-links a").first.click()
        expect(page.locator("#booking-form")).to_be_visible()
        assert_accessible(page)
        page.locator("#booking-form button[type=submit]").click()  # nothing filled in: the browser asks first
        expect(page).to_have_url(re.compile(r"/book/tax-help"))
        page.locator("#slot-1").check()
        page.locator("#first-name").fill("أمل" if language == "ar" else "Amal")
        page.locator("#email").fill("amal@example.org")
        page.locator("#booking-form button[type=submit]").click()
        expect(page.locator("#booking-code")).to_have_text(re.compile(r"^\d{6}$"))
        assert_accessible(page)
        page.locator("#booking-cancel").click()
        assert_accessible(page)
        page.locator("form button[type=submit]").click()
        expect(page.locator("#cancelled")).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()
