"""The kiosk's "read aloud" in Chromium: the clips the page asks to play (recorded by wrapping
HTMLMediaElement.play), in Swedish and Arabic; each choice as it gets focus; the state kept across screens and
forgotten when the kiosk starts over; reading from memory when the server cannot be reached; axe-clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from core.context import AppContext
from core.i18n import language_info
from core.speech import phrase
from tests.axe import assert_accessible
from tests.plugins.kiosk.browser import enrol_kiosk, quick_reset_deployment
from tests.support import LiveServer

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# What the page asked to play, in order: the clip URL of each play() (the element says which clip it holds),
# played fast so that the test need not wait for whole sentences.
RECORD_PLAYS = """
window.__played = [];
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.__played.push({ clip: this.dataset.clip || this.src, source: this.src });
  this.defaultPlaybackRate = this.playbackRate = 8;  // the same clips, sooner
  return play.call(this);
};
"""


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated clips shared by the tests (espeak-ng makes each once)."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture
def speaking_server(make_context: Callable[..., AppContext], speech_cache: Path) -> Iterator[LiveServer]:
    with LiveServer(make_context(speech_cache=speech_cache)) as server:
        yield server


def played(page: Any) -> list[str]:
    return [entry["clip"] for entry in page.evaluate("window.__played")]


def clip_url(language: str, text: str) -> str:
    return f"/api/v1/offices/skarholmen/speech/{language}/{phrase(text).name}.wav"


def wait_played(page: Any, count: int, seconds: float = 20) -> list[str]:
    """Once the page asked for at least ``count`` clips (polled: the page's CSP forbids wait_for_function)."""
    for _ in range(int(seconds * 10)):
        if len(sequence := played(page)) >= count:
            return sequence
        page.wait_for_timeout(100)
    raise AssertionError(f"the page asked for {played(page)}, expected at least {count} clips")


@SQLITE_ONLY
@pytest.mark.parametrize("language", ["sv", "ar"])
def test_read_aloud_plays_the_screen_in_order(page: Any, speaking_server: LiveServer, language: str) -> None:
    server = speaking_server
    _ = server.ctx.translator.gettext(language)
    page.add_init_script(RECORD_PLAYS)
    enrol_kiosk(page, server)
    page.goto(f"{server.url}/skarholmen/kiosk?lang={language}")
    button = page.locator("#mbk-read-aloud")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.__played") == []  # nothing plays until the visitor asks

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    heading, choose = _("Welcome! What do you want to do?"), _("Choose language")
    # The heading, the language section's title, then every language by its own name in its own voice (the
    # languages without clips, Somali and Tigrinya, are left to a browser voice, which headless Chromium lacks).
    names = [(code, language_info(code).native_name) for code in ("sv", "en", "ar", "fi", "fa")]
    expected = [clip_url(language, heading), clip_url(language, choose), *(clip_url(c, n) for c, n in names)]
    assert wait_played(page, len(expected))[:len(expected)] == expected
    # Then the choices: each tile's label, then its description.
    meeting = _("I have a booked meeting")
    tiles = [clip_url(language, meeting), clip_url(language, _("Tell the person you are meeting that you are here.")),
             clip_url(language, _("I need help with an errand"))]
    sequence = wait_played(page, len(expected) + 3)
    assert sequence[len(expected):len(expected) + 3] == tiles
    for url in sequence:  # every clip it asked for is there to be played
        assert page.request.get(server.url + url).headers["content-type"] == "audio/wav"

    # Each choice as it gets focus: its own clips, at once.
    before = len(played(page))
    page.locator("#tile-meeting").focus()
    assert wait_played(page, before + 1)[before] == clip_url(language, meeting)

    # On the next screen reading goes on by itself, starting with its heading.
    page.locator("#tile-guides").click()
    page.wait_for_url("**/kiosk/guides")
    expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "true")
    heading = page.locator("h1").inner_text().strip()
    assert wait_played(page, 1)[0] == clip_url(language, heading)
    assert_accessible(page)


@SQLITE_ONLY
@pytest.mark.parametrize("language", ["sv", "ar"])
def test_the_ticket_number_is_read_as_the_board_says_it(page: Any, speaking_server: LiveServer, language: str
                                                        ) -> None:
    server = speaking_server
    page.add_init_script(RECORD_PLAYS)
    enrol_kiosk(page, server)
    page.goto(f"{server.url}/skarholmen/kiosk/tickets/info?lang={language}")
    page.locator("#mbk-read-aloud").click()
    expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "true")
    before = len(wait_played(page, 1))
    page.locator("#ticket-take-button").click()
    expect(page.locator("#ticket-number")).to_have_text("A001")
    # The result is read as it appears; its number is "A", "one" (not "A", "zero", "zero", "one").
    letter, number = (f"/api/v1/offices/skarholmen/speech/{language}/{name}.wav" for name in ("letter-a", "number-1"))
    for _ in range(200):
        sequence = played(page)[before:]
        if any(sequence[i:i + 2] == [letter, number] for i in range(len(sequence))):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"the page asked for {played(page)[before:]}, without {letter}, {number}")


@SQLITE_ONLY
def test_reading_goes_on_without_the_server_and_the_shortcut_toggles(page: Any, speaking_server: LiveServer
                                                                     ) -> None:
    server = speaking_server
    page.add_init_script(RECORD_PLAYS)
    enrol_kiosk(page, server)
    page.goto(f"{server.url}/skarholmen/kiosk/talk?lang=sv")
    # The screen's clips are fetched as it opens; wait until the last one is in, then cut the server off.
    heading = page.locator("h1").inner_text().strip()
    page.wait_for_load_state("networkidle")
    page.route("**/*", lambda route: route.abort())

    page.keyboard.press("Alt+r")
    expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "true")
    first = wait_played(page, 2)
    assert first[0] == clip_url("sv", heading)
    assert all(entry["source"].startswith("blob:") for entry in page.evaluate("window.__played"))
    page.keyboard.press("Alt+r")
    expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "false")


@SQLITE_ONLY
def test_reading_is_forgotten_when_the_kiosk_starts_over(page: Any, make_context: Callable[..., AppContext],
                                                         speech_cache: Path, tmp_path: Path) -> None:
    deployment = quick_reset_deployment(tmp_path / "deployment", inactivity=6, warning=3)
    page.clock.install()  # the kiosk's timers run on a clock the test moves on instead of waiting
    with LiveServer(make_context(deployment=deployment, speech_cache=speech_cache)) as server:
        enrol_kiosk(page, server)
        page.goto(f"{server.url}/skarholmen/kiosk?lang=sv")
        page.locator("#mbk-read-aloud").click()
        expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "true")
        # Reading on is something to forget: the start screen now starts over after the inactivity time.
        page.clock.run_for(3_000)  # the inactivity time less the warning's
        expect(page.locator("#kiosk-idle")).to_be_visible(timeout=10000)
        page.clock.run_for(3_000)  # the warning's count-down
        expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "false", timeout=10000)
        expect(page.locator("html")).not_to_have_class("mbk-speech")


@SQLITE_ONLY
@pytest.mark.parametrize("mode", ["", "large", "contrast"])
def test_the_read_aloud_control_is_accessible(page: Any, speaking_server: LiveServer, mode: str) -> None:
    enrol_kiosk(page, speaking_server)
    for language in ("sv", "ar"):
        page.goto(f"{speaking_server.url}/skarholmen/kiosk/talk?lang={language}")
        if mode:
            page.locator(f".mbk-toggle[data-display={mode}]").click()
        page.locator("#mbk-read-aloud").click()
        expect(page.locator("#mbk-read-aloud")).to_be_in_viewport()
        assert_accessible(page)
        page.evaluate("window.mbkForgetDisplay()")


@SQLITE_ONLY
def test_read_aloud_screenshots(page: Any, speaking_server: LiveServer, screenshots_dir: Path) -> None:
    """`make screenshots`: the start screen with reading aloud switched on, in Swedish and Arabic."""
    enrol_kiosk(page, speaking_server)
    for language in ("sv", "ar"):
        page.goto(f"{speaking_server.url}/skarholmen/kiosk?lang={language}")
        page.locator("#mbk-read-aloud").click()
        expect(page.locator("#mbk-read-aloud")).to_have_attribute("aria-pressed", "true")
        page.screenshot(path=str(screenshots_dir / f"kiosk-read-aloud-{language}-normal.png"))
        page.locator("#mbk-read-aloud").click()
