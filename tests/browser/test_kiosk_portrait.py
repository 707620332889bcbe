"""The kiosk on a portrait screen (1080×1920), Swedish and Arabic: the start screen fills the height with the
languages and every choice in the lower two thirds, in reach from a wheelchair, and with large text still
every choice on the screen without scrolling; every kiosk screen passes axe-core in portrait (the landscape
walk is tests/browser/test_kiosk_accessibility.py). Layout does not depend on the database: SQLite only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.axe import assert_accessible
from tests.browser.test_kiosk_accessibility import kiosk_screens
from tests.plugins.kiosk.browser import enrol_kiosk
from tests.support import LiveServer, csp_violations

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
# Where each start choice lies, and how far the page scrolls.
LAYOUT = """() => ({
  choices: [...document.querySelectorAll(".kiosk-language, .kiosk-tile")].map(el => {
    const r = el.getBoundingClientRect();
    return {text: el.textContent.trim().slice(0, 40), top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  }),
  scrollHeight: document.scrollingElement.scrollHeight,
  scrollWidth: document.scrollingElement.scrollWidth,
})"""


@pytest.fixture
def kiosk_at(browser: Any, live_server: LiveServer) -> Iterator[Callable[[dict[str, int], str], Any]]:
    contexts: list[Any] = []
    blocked: list[str] = []

    def open_page(viewport: dict[str, int], mode: str) -> Any:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        csp_violations(page, blocked)
        enrol_kiosk(page, live_server)
        if mode:
            context.add_cookies([{"name": "mbk_display", "value": mode, "url": live_server.url}])
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert blocked == [], "the Content-Security-Policy blocked something:\n" + "\n".join(blocked)


@SQLITE_ONLY
@pytest.mark.parametrize("mode", ["normal", "large", "contrast"])
@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_portrait_start_screen_has_every_choice_in_reach_without_scrolling(
        kiosk_at: Callable[[dict[str, int], str], Any], live_server: LiveServer, lang: str, mode: str) -> None:
    page = kiosk_at(PORTRAIT, "" if mode == "normal" else mode)
    page.goto(f"{live_server.url}/skarholmen/kiosk?lang={lang}")
    layout = page.evaluate(LAYOUT)
    height, width = PORTRAIT["height"], PORTRAIT["width"]
    assert layout["scrollHeight"] <= height and layout["scrollWidth"] <= width  # nothing to scroll to
    choices = layout["choices"]
    tiles = page.locator(".kiosk-tile").count()
    assert tiles >= 4 and len(choices) == 7 + tiles  # the demo's seven languages and every start choice
    out_of_reach = [c for c in choices if c["top"] < height / 3 or c["bottom"] > height
                    or c["left"] < 0 or c["right"] > width]
    assert out_of_reach == [], out_of_reach
    # the screen's whole height is used: the choices reach down to its lower edge
    assert max(c["bottom"] for c in choices) > height - 150
    assert_accessible(page)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_every_kiosk_screen_is_accessible_in_portrait(kiosk_at: Callable[[dict[str, int], str], Any],
                                                      live_server: LiveServer, lang: str) -> None:
    page = kiosk_at(PORTRAIT, "")
    for screen in kiosk_screens(page, live_server, lang):
        try:
            assert_accessible(page)
        except AssertionError as exc:
            raise AssertionError(f"screen {screen!r} ({lang}, portrait): {exc}") from None


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_start_screen_in_landscape_keeps_its_layout(kiosk_at: Callable[[dict[str, int], str], Any],
                                                    live_server: LiveServer, lang: str) -> None:
    page = kiosk_at(LANDSCAPE, "")
    page.goto(f"{live_server.url}/skarholmen/kiosk?lang={lang}")
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= LANDSCAPE["width"]
    assert all(c["bottom"] <= LANDSCAPE["height"] for c in layout["choices"])
    assert_accessible(page)


@SQLITE_ONLY
@pytest.mark.parametrize("mode", ["normal", "large"])
def test_portrait_screenshots(kiosk_at: Callable[[dict[str, int], str], Any], live_server: LiveServer,
                              screenshots_dir: Path, mode: str) -> None:
    for lang in ("sv", "ar"):
        page = kiosk_at(PORTRAIT, "" if mode == "normal" else mode)
        page.goto(f"{live_server.url}/skarholmen/kiosk?lang={lang}")
        page.screenshot(path=str(screenshots_dir / f"kiosk-portrait-start-{lang}-{mode}.png"))
        page.goto(f"{live_server.url}/skarholmen/kiosk/guides/financial-assistance?lang={lang}")
        page.screenshot(path=str(screenshots_dir / f"kiosk-portrait-guide-{lang}-{mode}.png"))
