"""The display board in Chromium: a burst of calls announced in order from the office's clips, none swallowed
(what the page asked to play, recorded); sound that starts by itself where the browser allows it, and says so
where it does not; readable from five metres at 1920×1080 in every office language; taking turns in languages;
free computers shown as they are; axe-clean in the normal, large-text and high-contrast modes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from core.context import AppContext
from tests.axe import assert_accessible
from tests.browser.test_kiosk_read_aloud import RECORD_PLAYS, played, wait_played
from tests.browser.test_queue_pages import kiosk, staff, wait_for_listeners
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.plugins.kiosk.browser import DEMO
from tests.support import LiveServer

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
API = "/api/v1/offices/skarholmen/queue"
FULL_HD = {"width": 1920, "height": 1080}
LANGUAGES = ("sv", "en", "ar", "so", "fi", "fa", "ti")


@pytest.fixture
def board_server(make_context: Callable[..., AppContext], tmp_path: Path) -> Iterator[LiveServer]:
    """The demo, its board taking turns in Swedish and Arabic every 3 seconds."""
    deployment = tmp_path / "deployment"
    shutil.copytree(DEMO, deployment)
    office = deployment / "offices" / "skarholmen.toml"
    text = office.read_text()
    assert 'announce_languages = ["sv", "en", "ar"]\n' in text
    office.write_text(text.replace('announce_languages = ["sv", "en", "ar"]\n', 'announce_languages = ["sv", "en", '
                                   '"ar"]\nboard_languages = ["sv", "ar"]\nboard_language_seconds = 3\n'))
    with LiveServer(make_context(deployment=deployment, speech_cache=tmp_path / "clips",
                                 run_dispatcher=True)) as server:
        yield server


@pytest.fixture
def autoplay_page(browser: Any) -> Iterator[Any]:
    """A board whose browser was started the way docs/deploying.md says: sound without a tap."""
    # The same Playwright session, another browser process with the flag.
    launched = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                           args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
    try:
        yield launched.new_context(viewport=FULL_HD).new_page()
    finally:
        launched.close()


def calls_asked(page: Any) -> list[tuple[str, str, str]]:
    """(language, number, counter or seat) of every announcement the page asked to play, in order."""
    asked = []
    for url in played(page):
        query = parse_qs(urlparse(url).query)
        asked.append((query["language"][0], query["number"][0], (query.get("counter") or query.get("seat"))[0]))
    return asked


@SQLITE_ONLY
def test_a_burst_of_calls_is_announced_in_order_from_the_clips(autoplay_page: Any, board_server: LiveServer,
                                                               make_user: Callable[..., str]) -> None:
    page = autoplay_page
    tickets, guide = kiosk(board_server), staff(board_server, make_user("guide"))
    for _ in range(3):
        tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    page.add_init_script(RECORD_PLAYS)
    page.goto(f"{board_server.url}/skarholmen/queue/board?lang=sv")
    wait_for_listeners(board_server, 1)
    # Started the way the docs say, the board may play sound by itself: no button, and it says so.
    expect(page.locator("body")).to_have_attribute("data-sound", "allowed")
    expect(page.locator("#queue-sound")).to_be_hidden()

    for counter in ("info-1", "guide-1", "info-1"):
        assert guide.post(f"{API}/call-next", json={"counter": counter}).status_code == 200
    # Each call in the office's three announcement languages, the calls in the order they were made.
    expected = [(language, number, counter) for number, counter in (("A001", "info-1"), ("A002", "guide-1"),
                                                                     ("A003", "info-1"))
                for language in ("sv", "en", "ar")]
    wait_played(page, len(expected), seconds=60)
    assert calls_asked(page) == expected
    for url in played(page):  # each of them is a real announcement
        answer = httpx.get(board_server.url + url)
        assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"


@SQLITE_ONLY
def test_a_board_whose_browser_blocks_sound_says_so(page: Any, board_server: LiveServer) -> None:
    page.goto(f"{board_server.url}/skarholmen/queue/board?lang=sv")
    expect(page.locator("body")).to_have_attribute("data-sound", "blocked")
    expect(page.locator("#queue-sound")).to_be_visible()
    page.locator("#queue-sound").click()
    expect(page.locator("body")).to_have_attribute("data-sound", "allowed")
    expect(page.locator("#queue-sound")).to_be_hidden()


def text_problems(page: Any) -> list[str]:
    """Visible text under 48 px, and boxes whose text does not fit, at the page's current size."""
    return page.evaluate("""() => {
      const problems = [];
      for (const el of document.querySelectorAll("body *")) {
        if (!el.getClientRects().length || el.closest("[hidden], .mbk-sr, .mbk-skip, script")) continue;
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (own && size < 47.5) problems.push(`${el.className || el.tagName}: ${size}px "${el.textContent.trim()}"`);
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible")
          problems.push(`${el.className || el.tagName} overflows: "${el.textContent.trim()}"`);
      }
      for (const name of document.querySelectorAll(".queue-service-name, .queue-counter")) {
        const box = name.closest("li, .queue-now-call").getBoundingClientRect();
        const text = name.getBoundingClientRect();
        if (text.left < box.left - 1 || text.right > box.right + 1)
          problems.push(`"${name.textContent}" leaves its box`);
      }
      const page = document.documentElement;
      if (page.scrollHeight > innerHeight + 1 || page.scrollWidth > innerWidth + 1)
        problems.push(`the board scrolls: ${page.scrollWidth}×${page.scrollHeight}`);
      return problems;
    }""")


@SQLITE_ONLY
def test_the_board_reads_from_five_metres_in_every_language(browser: Any, board_server: LiveServer,
                                                            make_user: Callable[..., str]) -> None:
    tickets, guide = kiosk(board_server), staff(board_server, make_user("guide"))
    for service in ("info", "guidance", "guidance"):
        tickets.post(f"{API}/tickets", json={"service": service, "language": "sv"}).raise_for_status()
    for counter in ("info-1", "guide-2"):
        assert guide.post(f"{API}/call-next", json={"counter": counter}).status_code == 200
    context = browser.new_context(viewport=FULL_HD)
    page = context.new_page()
    try:
        for language in LANGUAGES:
            page.goto(f"{board_server.url}/skarholmen/queue/board?lang={language}")
            expect(page.locator("#queue-services li")).to_have_count(3)
            assert text_problems(page) == [], language
        for mode in ("large", "contrast"):
            for language in ("sv", "ar"):
                context.add_cookies([{"name": "mbk_display", "value": mode, "url": board_server.url}])
                page.goto(f"{board_server.url}/skarholmen/queue/board?lang={language}")
                expect(page.locator("#queue-services li")).to_have_count(3)
                assert text_problems(page) == [], (mode, language)
                assert_accessible(page)
    finally:
        context.close()


@SQLITE_ONLY
def test_the_board_takes_turns_in_the_office_languages(page: Any, board_server: LiveServer,
                                                       make_user: Callable[..., str]) -> None:
    tickets, guide = kiosk(board_server), staff(board_server, make_user("guide"))
    tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
    assert guide.post(f"{API}/call-next", json={"counter": "guide-2"}).status_code == 200
    page.goto(f"{board_server.url}/skarholmen/queue/board?lang=sv")
    expect(page.locator("#queue-now-title")).to_have_text("Nu ropas")
    expect(page.locator("#queue-now .queue-counter")).to_have_text("Disk 2")
    expect(page.locator("html")).to_have_attribute("lang", "ar", timeout=5000)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#queue-now .queue-counter")).to_have_text("المكتب 2")
    expect(page.locator("[data-service=guidance] .queue-service-name")).to_have_text("الإرشاد المجتمعي")
    assert_accessible(page)
    expect(page.locator("html")).to_have_attribute("lang", "sv", timeout=5000)
    expect(page.locator("[data-service=guidance] .queue-service-name")).to_have_text("Samhällsvägledning")


@SQLITE_ONLY
def test_free_computers_are_shown_as_they_are(page: Any, live_server: LiveServer,
                                              make_user: Callable[..., str]) -> None:
    board_server = live_server  # the demo's board, in one language (its texts are compared below)
    tickets, guide = kiosk(board_server), staff(board_server, make_user("guide"))
    page.goto(f"{board_server.url}/skarholmen/queue/board?lang=en")
    wait_for_listeners(board_server, 1)
    computers = page.locator("[data-service=computers]")
    expect(computers).to_contain_text("7 of 7 free")
    seated = [tickets.post(f"{API}/tickets", json={"service": "computers", "language": "en"}).json()
              for _ in range(8)]
    # Seven seated at once, the eighth waits: no computer is free, one visitor waits for one.
    expect(computers).to_contain_text("0 of 7 free", timeout=5000)
    expect(computers.locator(".queue-service-waiting strong")).to_have_text("1")
    first = next(t for t in seated if t.get("seat"))
    assert guide.post(f"{API}/tickets/{first['id']}/done").status_code == 200
    # The freed computer goes to the one who waited: still none free, nobody waiting.
    expect(computers.locator(".queue-service-waiting strong")).to_have_text("0", timeout=5000)
    expect(computers).to_contain_text("0 of 7 free")
    other = next(t for t in seated[1:] if t.get("seat"))
    assert guide.post(f"{API}/tickets/{other['id']}/done").status_code == 200
    expect(computers).to_contain_text("1 of 7 free", timeout=5000)
    expect(computers.locator(".queue-service-waiting")).to_have_count(0)


@SQLITE_ONLY
def test_board_screenshots(browser: Any, live_server: LiveServer, make_user: Callable[..., str],
                           screenshots_dir: Path) -> None:
    """`make screenshots`: the board at 1920×1080 with two calls made, in Swedish and Arabic."""
    tickets, guide = kiosk(live_server), staff(live_server, make_user("guide"))
    for service in ("info", "guidance", "guidance", "guidance"):
        tickets.post(f"{API}/tickets", json={"service": service, "language": "sv"}).raise_for_status()
    for counter in ("info-1", "guide-2"):
        assert guide.post(f"{API}/call-next", json={"counter": counter}).status_code == 200
    context = browser.new_context(viewport=FULL_HD)
    try:
        page = context.new_page()
        for language in ("sv", "ar"):
            page.goto(f"{live_server.url}/skarholmen/queue/board?lang={language}")
            expect(page.locator("#queue-now .queue-counter")).to_be_visible()
            page.screenshot(path=str(screenshots_dir / f"board-{language}-normal.png"))
    finally:
        context.close()
