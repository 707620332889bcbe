"""The core pages in a real browser with axe-core: landing, office, login and error pages, in every office
language (Swedish and Arabic also in the large-text and high-contrast modes); and the display toggles work by
keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from core.i18n import language_info
from tests.axe import assert_accessible
from tests.support import LiveServer

PAGES = ["/", "/skarholmen", "/login", "/atlantis"]  # the last: the page for an unknown office (404)
MODES = {"normal": "", "large": "large", "contrast": "contrast"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the pages, not the database, are under test
@pytest.mark.parametrize("language", ["sv", "ar", "fa", "ti", "so", "fi", "en"])
def test_core_pages_pass_axe(live_server: LiveServer, page: Any, language: str) -> None:
    # Swedish and Arabic in every display mode, the other languages in the normal one (a modest run)
    modes = MODES if language in ("sv", "ar") else {"normal": ""}
    for mode, cookie in modes.items():
        page.context.clear_cookies()
        if cookie:
            page.context.add_cookies([{"name": "mbk_display", "value": cookie, "url": live_server.url}])
        for path in PAGES:
            page.goto(f"{live_server.url}{path}?lang={language}")
            html = page.locator("html")
            assert html.get_attribute("lang") == language, (path, mode)
            assert html.get_attribute("dir") == language_info(language).dir
            if cookie:
                assert f"mbk-{cookie}" in (html.get_attribute("class") or "")
            assert_accessible(page)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_display_toggles_by_keyboard_with_visible_focus(live_server: LiveServer, page: Any) -> None:
    page.goto(f"{live_server.url}/skarholmen?lang=sv")
    base_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    toggle = page.locator("button[data-display=large]")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > base_size * 1.2
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused control must show where the focus is"
    page.locator("button[data-display=contrast]").click()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    # the choice is remembered: the next page is rendered large and high-contrast by the server
    page.goto(f"{live_server.url}/?lang=sv")
    assert page.locator("html").get_attribute("class").split() == ["mbk-large", "mbk-contrast"]
    assert_accessible(page)
