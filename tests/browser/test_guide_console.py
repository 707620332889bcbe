"""The guide console's day and the manager's live view in Chromium against a real server (SQLite and PostgreSQL),
in Swedish and Arabic: calling a chosen ticket, holding and resuming it, recording the outcome; an urgent kiosk
answer reaching the console flagged; the console on a phone; the live view updating when a ticket is issued.
An answer that comes back after a newer one (the line read before a call, older figures) changes nothing.
axe-core finds no serious problems on any of them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.axe import assert_accessible
from tests.browser.late_answers import HeldAnswer
from tests.browser.test_queue_pages import keeps_the_newest_count, kiosk, staff, wait_for_listeners
from tests.plugins.kiosk.browser import enrol_kiosk
from tests.support import PASSWORD, LiveServer

API = "/api/v1/offices/skarholmen/queue"
# What the console says, per language: the state of a called ticket, "on hold", "urgent", "Arabic" in the page's
# language and in its own script.
TEXTS = {"sv": {"called": "uppropad", "held": "Parkerad", "urgent": "Akut", "arabic": "arabiska · العربية"},
         "ar": {"called": "تم النداء", "held": "في الانتظار", "urgent": "عاجل", "arabic": "العربية"}}


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(url)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(url)


def open_console(page: Any, server: LiveServer, language: str, counter: str = "guide-2") -> None:
    log_in(page, f"{server.url}/skarholmen/queue/console?lang={language}", "guide")
    page.select_option("#queue-counter", counter)
    wait_for_listeners(server, 1)


def line_item(page: Any, number: str) -> Any:
    return page.locator(f"#queue-line li[data-ticket={number}]")


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_the_console_calls_a_chosen_ticket_holds_and_resumes_it_and_records_the_outcome(
        page: Any, live_server: LiveServer, make_user: Callable[..., str], language: str) -> None:
    guide = staff(live_server, make_user("guide"))
    tickets = kiosk(live_server)
    for _ in range(2):
        tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "ar"}).raise_for_status()
    open_console(page, live_server, language)
    expect(line_item(page, "B002")).to_contain_text(TEXTS[language]["arabic"])
    assert_accessible(page)

    line_item(page, "B002").locator("button").first.click()  # call B002, out of turn
    expect(page.locator("#queue-current-number")).to_have_text("B002")
    expect(page.locator("#queue-current-state")).to_have_text(TEXTS[language]["called"])
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B001"])

    page.click("[data-action=hold]")  # the visitor fills in a form meanwhile
    expect(page.locator("#queue-current")).to_be_hidden()
    expect(line_item(page, "B002").locator(".queue-badge--held")).to_have_text(TEXTS[language]["held"])
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B001", "B002"])  # in its place
    assert guide.post(f"{API}/call-next", json={"counter": "guide-3"}).json()["number"] == "B001"  # passed by
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B002"])
    assert guide.post(f"{API}/call-next", json={"counter": "guide-3"}).status_code == 204
    assert_accessible(page)

    line_item(page, "B002").locator("button").nth(1).click()  # resume
    expect(line_item(page, "B002").locator(".queue-badge--held")).to_have_count(0)
    line_item(page, "B002").locator("button").first.click()
    expect(page.locator("#queue-current-number")).to_have_text("B002")
    page.check("#queue-done input[value=referred]")
    expect(page.locator("#queue-referral")).to_be_visible()
    page.select_option("#queue-referred-to", "insurance")
    assert_accessible(page)
    page.click("#queue-done-button")
    expect(page.locator("#queue-current")).to_be_hidden()
    rows = guide.get(f"{API}/stats").json()
    assert next(r for r in rows if r["service"] == "guidance")["referred"] == 1


# Notes whether the line on the screen ever loses its tickets from now on.
LINE_EMPTIED_WATCH = """() => {
  window.lineEmptied = false;
  const line = document.getElementById("queue-line");
  new MutationObserver(() => {
    if (!line.querySelector(".queue-number")) window.lineEmptied = true;
  }).observe(line, {childList: true, subtree: true});
}"""
INFO_DESK_LINE = re.compile(r"/queue/tickets\?services=info&")  # what the console asks first: its first counter's


def test_the_console_shows_the_line_of_the_counter_chosen_last(page: Any, live_server: LiveServer,
                                                                make_user: Callable[..., str]) -> None:
    """The line of the counter the page opened with, answered after the one the guide then chose, is not shown."""
    make_user("guide")
    kiosk(live_server).post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
    held_back: list[Any] = []
    page.route(INFO_DESK_LINE, lambda route: held_back.append(route))
    open_console(page, live_server, "sv", counter="guide-2")
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B001"])
    assert held_back, "the console never asked for the line of the counter it opened with"
    page.evaluate(LINE_EMPTIED_WATCH)
    for route in held_back:
        route.continue_()
    page.unroute(INFO_DESK_LINE)
    # Another refresh of the chosen line, answered before or after the held one: either way an answer that put the
    # information desk's empty line on the screen is seen (by the watch, or as the line left at the end).
    page.select_option("#queue-counter", "guide-3")
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B001"])
    assert page.evaluate("window.lineEmptied") is False


def test_the_console_keeps_the_called_visitor_when_an_older_refresh_answers_after_the_call(
        page: Any, live_server: LiveServer, make_user: Callable[..., str]) -> None:
    """A refresh of the line asked before "Call next" but answered after it read the visitor as still waiting. The
    console keeps the visitor the call's answer showed, with the buttons to serve them; it once hid them, and its
    next refreshes never brought them back."""
    make_user("guide")
    kiosk(live_server).post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
    page.clock.install()  # timers run only when the test says: no refresh is asked behind its back
    open_console(page, live_server, "en", counter="guide-2")
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B001"])
    page.clock.pause_at(time.time() + 1)

    first_refresh = HeldAnswer(page, lambda url: "/queue/tickets?services=guidance" in url)
    page.uncheck("#queue-service-choices input[value=guidance]")
    page.check("#queue-service-choices input[value=guidance]")  # asks for the line again
    first_refresh.wait("its line again")  # B001 waiting
    page.click("#queue-call-next")
    expect(page.locator("#queue-current-number")).to_have_text("B001")
    first_refresh.hand_over()
    page.clock.run_for(1000)  # the refresh the call asked for
    expect(page.locator("#queue-line")).to_have_text("Nobody is waiting.")
    expect(page.locator("#queue-current-state")).to_have_text("called")
    expect(page.locator("[data-action=start]")).to_be_visible()
    page.click("[data-action=start]")
    expect(page.locator("#queue-current-state")).to_have_text("being served")


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_an_urgent_kiosk_answer_reaches_the_console_flagged_on_a_phone(
        browser: Any, live_server: LiveServer, make_user: Callable[..., str], language: str) -> None:
    make_user("guide")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    screen = browser.new_context(viewport={"width": 1080, "height": 1920})
    try:
        page, entrance = phone.new_page(), screen.new_page()
        kiosk(live_server).post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
        open_console(page, live_server, language, counter="guide-3")
        expect(page.locator("#queue-line .queue-number")).to_have_text(["B001"])

        # At the entrance screen: no money for food today, and an interpreter in Tigrinya.
        enrol_kiosk(entrance, live_server)
        entrance.goto(f"{live_server.url}/skarholmen/kiosk/talk/financial-assistance?lang={language}")
        entrance.check("input[name=need][value=urgent]")
        entrance.check("input[name=tried][value=nothing]")
        entrance.check("input[name=interpreter][value=ti]")
        assert_accessible(entrance)
        entrance.click("#talk-submit")
        expect(entrance.locator("#ticket-number")).to_have_text("B002", timeout=5000)

        # It comes in live, first in line, marked urgent in words (not colour alone), with the interpreter asked.
        expect(page.locator("#queue-line .queue-number")).to_have_text(["B002", "B001"])
        urgent = line_item(page, "B002")
        expect(urgent).to_have_class("queue-line-item queue-line-item--urgent")
        expect(urgent.locator(".queue-badge--urgent")).to_have_text(TEXTS[language]["urgent"])
        expect(urgent).to_contain_text("ትግርኛ")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sideways on a phone
        assert_accessible(page)
    finally:
        phone.close()
        screen.close()


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_the_live_view_updates_when_a_ticket_is_issued(page: Any, live_server: LiveServer,
                                                       make_user: Callable[..., str], language: str) -> None:
    make_user("manager", role="viewer")
    tickets = kiosk(live_server)
    tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    log_in(page, f"{live_server.url}/skarholmen/queue/live?lang={language}", "manager")
    wait_for_listeners(live_server, 1)
    info = page.locator("#queue-live-services tr[data-service=info] td").first
    expect(info).to_have_text("1")
    assert_accessible(page)

    tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    expect(info).to_have_text("2")
    guide = staff(live_server, make_user("guide"))
    guide.put(f"{API}/counters/guide-3", json={"state": "paused"}).raise_for_status()
    paused = {"sv": "Paus", "ar": "متوقف مؤقتًا"}[language]
    expect(page.locator("#queue-live-counters li[data-counter=guide-3] strong")).to_contain_text(paused)
    assert_accessible(page)
    # Two reads overlap and the older answer comes back last: the newer figures stay.
    keeps_the_newest_count(page, tickets, lambda url: "/api/v1/offices/skarholmen/queue/live?" in url, info, shown=2)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_console_screenshots(browser: Any, live_server: LiveServer, make_user: Callable[..., str],
                             screenshots_dir: Path) -> None:
    """`make screenshots`: the console with an urgent ticket that asks for an interpreter, in Swedish and Arabic."""
    make_user("guide")
    kiosk(live_server).post(f"{API}/tickets", json={"service": "guidance", "language": "ar"}).raise_for_status()
    console, screen = (browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2))
    try:
        page, entrance = console.new_page(), screen.new_page()
        enrol_kiosk(entrance, live_server)
        entrance.goto(f"{live_server.url}/skarholmen/kiosk/talk/financial-assistance?lang=sv")
        entrance.check("input[name=need][value=urgent]")
        entrance.check("input[name=tried][value=nothing]")
        entrance.check("input[name=interpreter][value=ti]")
        entrance.click("#talk-submit")
        expect(entrance.locator("#ticket-number")).to_have_text("B002", timeout=5000)
        open_console(page, live_server, "sv", counter="guide-3")
        for language in ("sv", "ar"):
            if language != "sv":
                page.goto(f"{live_server.url}/skarholmen/queue/console?lang={language}")
                page.select_option("#queue-counter", "guide-3")
            expect(line_item(page, "B002").locator(".queue-badge--urgent")).to_have_text(TEXTS[language]["urgent"])
            page.screenshot(path=str(screenshots_dir / f"console-urgent-{language}-normal.png"), full_page=True)
    finally:
        console.close()
        screen.close()

