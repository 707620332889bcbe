"""axe-core on every kiosk screen, in every language of the office (Swedish and Arabic also in large-text and
high-contrast mode): no
serious or critical violations. Also `make screenshots`: a PNG of each screen. (Accessibility does not depend
on the database, so these run on SQLite only.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.i18n import language_info
from tests.axe import assert_accessible
from tests.plugins.kiosk.browser import enrol_kiosk, unreadable_text, visible
from tests.support import LiveServer, csp_violations

MODES = {"normal": "", "large": "large", "contrast": "contrast"}
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def kiosk_screens(page: Any, server: LiveServer, lang: str) -> Iterator[str]:
    """Walk through every kiosk screen and state; yields each one's name once it is on the screen."""
    base = f"{server.url}/skarholmen/kiosk"
    page.goto(f"{server.url}/skarholmen/kiosk?lang={lang}")
    yield "start"
    page.goto(f"{base}/meeting")
    yield "meeting-find"
    page.locator("[data-panel=by-code]").click()
    yield "meeting-booking-code"
    page.locator("#by-code [data-type='4']").click()
    page.locator("#by-code [data-type='7']").click()
    page.locator("#by-code [data-type='1']").click()
    page.locator("#by-code [data-type='1']").click()
    page.locator("#booking-code-find").click()
    visible(page, "#meeting-confirm")
    yield "meeting-confirm"
    page.locator("#meeting-confirm-button").click()
    visible(page, "#meeting-done")
    yield "meeting-done"
    page.goto(f"{base}/meeting")
    page.evaluate("document.getElementById('kiosk-idle').hidden = false")
    yield "inactivity-warning"
    page.goto(f"{base}/meeting")
    page.evaluate("document.getElementById('kiosk-offline').hidden = false")
    yield "server-unreachable"
    page.goto(f"{base}/guides")
    yield "guides"
    page.goto(f"{base}/guides/financial-assistance")
    yield "guide"
    page.goto(f"{base}/guides/housing?lang=so")  # no Somali housing guide: Swedish, with the note in Somali
    yield "guide-fallback"
    page.goto(f"{base}/talk?lang={lang}")
    yield "talk"
    page.goto(f"{base}/talk/housing")
    page.locator("#talk-submit").click()
    visible(page, "#talk-error")
    yield "talk-questions"
    for question in page.locator("fieldset.kiosk-question").all():
        question.locator("label.kiosk-option").first.click()
    page.locator("#talk-submit").click()
    visible(page, "#ticket-result")
    yield "talk-ticket"
    page.goto(f"{base}/tickets/computers")
    yield "computer-ticket"
    page.locator("#ticket-take-button").click()
    visible(page, "#ticket-result")
    yield "computer-ticket-taken"
    page.goto(f"{base}/tickets/closed-service")
    yield "not-available"
    page.goto(f"{server.url}/skarholmen/kiosk/phone/guides/preschool?lang={lang}")
    yield "phone-guide"
    kept = [c for c in page.context.cookies() if c["name"] != "mbk_device"]  # forget the enrolment only
    page.context.clear_cookies()
    page.context.add_cookies(kept)
    page.goto(f"{base}?lang={lang}")
    yield "not-enrolled"


@pytest.fixture
def kiosk_browser(browser: Any, live_server: LiveServer) -> Callable[[str], Any]:
    contexts: list[Any] = []
    blocked: list[str] = []

    def open_page(mode: str) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
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


# Swedish and Arabic in every display mode; the office's other languages (Persian right to left, Tigrinya in
# Ge'ez script, Somali, Finnish, English) in the normal mode, which keeps the run modest.
EVERY_LANGUAGE = [pytest.param(lang, mode, id=f"{lang}-{mode}") for lang in ("sv", "ar") for mode in MODES] + [
    pytest.param(lang, "normal", id=f"{lang}-normal") for lang in ("fa", "ti", "so", "fi", "en")]


@SQLITE_ONLY
@pytest.mark.parametrize(("lang", "mode"), EVERY_LANGUAGE)
def test_every_kiosk_screen_is_accessible(kiosk_browser: Callable[[str], Any], live_server: LiveServer,
                                          lang: str, mode: str) -> None:
    page = kiosk_browser(MODES[mode])
    seen = []
    for screen in kiosk_screens(page, live_server, lang):
        shown = "so" if screen == "guide-fallback" else lang
        assert page.locator("html").get_attribute("lang") == shown, screen
        assert page.locator("html").get_attribute("dir") == language_info(shown).dir, screen
        if MODES[mode]:
            assert page.locator(f"html.mbk-{MODES[mode]}").count() == 1, screen
        # Every visitor's screen can be read aloud (not the phone's copy, which has the phone's own reader, nor
        # the setup note of a screen not enrolled yet, which is for IT).
        if screen not in ("phone-guide", "not-enrolled"):
            assert page.locator("#mbk-read-aloud").is_visible(), screen
        try:
            results = assert_accessible(page)
        except AssertionError as exc:
            raise AssertionError(f"screen {screen!r} ({lang}, {mode}): {exc}") from None
        assert unreadable_text(page, results) == [], f"screen {screen!r} ({lang}, {mode})"
        seen.append(screen)
    assert len(seen) == 18


@SQLITE_ONLY
def test_touch_targets_are_at_least_48_px(kiosk_browser: Callable[[str], Any], live_server: LiveServer) -> None:
    page = kiosk_browser("")
    for screen in kiosk_screens(page, live_server, "ar"):
        small = page.evaluate("""() => [...document.querySelectorAll(
                "#main a[href], #main button, .mbk-header a[href], .mbk-header button, #main label.kiosk-option")]
            .filter(el => el.offsetParent !== null && !el.closest('.kiosk-guide-text, .mbk-error-detail, ol, p'))
            .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
            .filter(([, r]) => r.width < 48 || r.height < 48)
            .map(([text, r]) => `${text} ${Math.round(r.width)}x${Math.round(r.height)}`)""")
        assert small == [], f"{screen}: {small}"


@SQLITE_ONLY
@pytest.mark.parametrize("mode", list(MODES))
def test_kiosk_screenshots(kiosk_browser: Callable[[str], Any], live_server: LiveServer, screenshots_dir: Path,
                           mode: str) -> None:
    for lang in ("sv", "ar"):
        page = kiosk_browser(MODES[mode])
        for screen in kiosk_screens(page, live_server, lang):
            page.screenshot(path=str(screenshots_dir / f"kiosk-{screen}-{lang}-{mode}.png"), full_page=True)
