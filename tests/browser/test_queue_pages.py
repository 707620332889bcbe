"""The queue in Chromium against a real server (SQLite and PostgreSQL): the board shows calls live, the guide
console calls the next visitor, the phone page follows the line, the board reconnects by itself after a server
restart; an answer that comes back after a newer one (older counts, an older status) changes nothing; axe-core
finds no serious problems."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import expect

from core.web.app import create_app
from tests.axe import assert_accessible
from tests.browser.late_answers import HeldAnswer
from tests.support import PASSWORD, LiveServer, device_header

API = "/api/v1/offices/skarholmen/queue"


def wait_for_listeners(server: LiveServer, count: int) -> None:
    """Until the pages' event streams are subscribed (so a call right after cannot be missed)."""
    deadline = time.monotonic() + 10
    while server.ctx.broker.subscriber_count("skarholmen") < count:
        assert time.monotonic() < deadline, "the page never opened its event stream"
        time.sleep(0.05)


def staff(server: LiveServer, username: str) -> httpx.Client:
    token = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token.json()['access_token']}"})


def kiosk(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=device_header(server.ctx, "skarholmen", "kiosk"))


def test_board_shows_calls_live_and_in_order(page: Any, live_server: LiveServer,
                                             make_user: Callable[..., str]) -> None:
    tickets, guide = kiosk(live_server), staff(live_server, make_user("guide"))
    for _ in range(4):
        tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    page.goto(f"{live_server.url}/skarholmen/queue/board?lang=sv")
    wait_for_listeners(live_server, 1)
    assert_accessible(page)

    assert guide.post(f"{API}/call-next", json={"counter": "info-1"}).status_code == 200
    expect(page.locator("#queue-now .queue-number")).to_have_text("A001")
    expect(page.locator("#queue-now .queue-counter")).to_have_text("Informationsdisken")
    expect(page.locator("#queue-services [data-service=info] strong")).to_have_text("3")

    # Three calls in quick succession: all listed at once, newest first, then each announced in turn.
    for counter in ("info-1", "guide-1", "info-1"):
        assert guide.post(f"{API}/call-next", json={"counter": counter}).status_code == 200
    expect(page.locator("#queue-calls li .queue-number")).to_have_text(["A004", "A003", "A002", "A001"])
    # Announced one by one in call order: the next highlighted is A002, not the newest.
    expect(page.locator("#queue-now .queue-number")).to_have_text("A002", timeout=6000)


def keeps_the_newest_count(page: Any, tickets: httpx.Client, read: Callable[[str], bool], waiting: Any,
                           shown: int) -> None:
    """Two reads of a page's counts overlap and the older one's answer comes back last: the page keeps the newer
    count. ``waiting`` shows the information desk's waiting visitors, ``shown`` of them now; ``read`` matches the
    address the page reads its counts from."""
    first_read = HeldAnswer(page, read)
    tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    first_read.wait("its counts after a ticket was issued")  # shown + 1
    tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    expect(waiting).to_have_text(str(shown + 2))
    first_read.hand_over()
    expect(waiting).to_have_text(str(shown + 2))


def test_board_keeps_the_newest_counts_when_an_older_answer_comes_last(page: Any, live_server: LiveServer) -> None:
    tickets = kiosk(live_server)
    tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    page.goto(f"{live_server.url}/skarholmen/queue/board?lang=en")
    wait_for_listeners(live_server, 1)
    waiting = page.locator("#queue-services [data-service=info] strong")
    expect(waiting).to_have_text("1")
    keeps_the_newest_count(page, tickets, lambda url: "/queue/board?" in url, waiting, shown=1)


def test_guide_console_calls_the_next_visitor(page: Any, live_server: LiveServer,
                                              make_user: Callable[..., str]) -> None:
    make_user("guide")
    tickets = kiosk(live_server)
    tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "ar", "errand": {
        "category": "housing", "answers": {"What do you need?": "A flat for my family"}}}).raise_for_status()

    page.goto(f"{live_server.url}/skarholmen/queue/console?lang=en")
    page.fill("#username", "guide")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/skarholmen/queue/console?lang=en")  # back to the page asked for
    page.select_option("#queue-counter", "guide-2")
    expect(page.locator("#queue-line")).to_contain_text("A flat for my family")
    assert_accessible(page)

    page.click("#queue-call-next")
    expect(page.locator("#queue-current-number")).to_have_text("B001")
    expect(page.locator("#queue-current-errand")).to_contain_text("housing")
    page.click("[data-action=start]")
    expect(page.locator("#queue-current-state")).to_have_text("being served")
    page.check("#queue-done input[value=helped]")
    page.click("#queue-done-button")
    expect(page.locator("#queue-current")).to_be_hidden()
    page.click("#queue-call-next")
    expect(page.locator("#queue-message")).to_have_text("Nobody is waiting.")

    # A visitor who arrives now shows up in the line without reloading.
    tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B002"])

    # A visitor takes a public computer by themselves; the guide sees who sits where and can free it.
    tickets.post(f"{API}/tickets", json={"service": "computers", "language": "sv"}).raise_for_status()
    expect(page.locator("#queue-seats")).to_contain_text("Computer 1 D001")
    page.click("#queue-seats button")
    expect(page.locator("#queue-seats")).to_have_text("Nobody is at a computer.")


def test_phone_page_follows_the_line_and_ticket_and_join_pages_are_accessible(
        page: Any, live_server: LiveServer, make_user: Callable[..., str]) -> None:
    tickets, guide = kiosk(live_server), staff(live_server, make_user("guide"))
    tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
    mine = tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "ar"}).json()
    page.goto(live_server.url + mine["status_path"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#queue-status")).to_contain_text("شخص واحد قبلك")
    wait_for_listeners(live_server, 1)
    assert_accessible(page)

    guide.post(f"{API}/call-next", json={"counter": "guide-1", "services": ["guidance"]}).raise_for_status()
    expect(page.locator("#queue-status")).to_contain_text("أنت التالي في الدور")
    guide.post(f"{API}/call-next", json={"counter": "guide-3", "services": ["guidance"]}).raise_for_status()
    expect(page.locator("#queue-status")).to_contain_text("حان دورك")
    expect(page.locator("#queue-status")).to_contain_text("المكتب 3")

    page.goto(live_server.url + mine["status_path"] + "/ticket")
    expect(page.locator(".queue-printed img")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/rinkeby/queue/join?lang=so")
    expect(page.locator(".queue-join button")).to_have_count(1)
    assert_accessible(page)


def test_phone_page_keeps_the_newest_status_when_an_older_one_answers_last(page: Any, live_server: LiveServer,
                                                                          make_user: Callable[..., str]) -> None:
    """Two refreshes of the phone's status overlap and the older answer ("You are next in line") comes back after
    the newer one ("It is your turn!"): the page keeps the turn. It once showed the older answer and kept it until
    the line moved again, while the visitor was being called."""
    tickets, guide = kiosk(live_server), staff(live_server, make_user("guide"))
    tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "en"}).raise_for_status()
    mine = tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "en"}).json()
    page.goto(live_server.url + mine["status_path"])
    expect(page.locator("#queue-status")).to_contain_text("1 person ahead of you")
    wait_for_listeners(live_server, 1)

    first_refresh = HeldAnswer(page, lambda url: "/status?" in url)
    guide.post(f"{API}/call-next", json={"counter": "guide-1", "services": ["guidance"]}).raise_for_status()
    first_refresh.wait("its status after the first call")  # "You are next in line"
    guide.post(f"{API}/call-next", json={"counter": "guide-3", "services": ["guidance"]}).raise_for_status()
    expect(page.locator("#queue-status")).to_contain_text("It is your turn!")
    first_refresh.hand_over()
    expect(page.locator("#queue-status")).to_contain_text("It is your turn!")
    expect(page.locator("#queue-status")).to_contain_text("Please go to Desk 3.")

def test_board_reconnects_by_itself_after_a_server_restart(page: Any, live_server: LiveServer,
                                                          make_user: Callable[..., str]) -> None:
    tickets, guide = kiosk(live_server), staff(live_server, make_user("guide"))
    tickets.post(f"{API}/tickets", json={"service": "info", "language": "sv"}).raise_for_status()
    page.goto(f"{live_server.url}/skarholmen/queue/board?lang=sv")
    wait_for_listeners(live_server, 1)

    live_server.__exit__(None, None, None)  # the server goes away (a deploy): the board's stream drops
    expect(page.locator("#queue-connection")).to_be_visible(timeout=5000)
    config = uvicorn.Config(create_app(live_server.ctx), host="127.0.0.1", port=live_server.port,
                            log_level="warning", timeout_graceful_shutdown=1)
    restarted = uvicorn.Server(config)
    thread = threading.Thread(target=restarted.run, daemon=True)
    thread.start()
    try:
        expect(page.locator("#queue-connection")).to_be_hidden(timeout=10000)  # back by itself, no reload
        guide.post(f"{API}/call-next", json={"counter": "info-1"}).raise_for_status()
        expect(page.locator("#queue-now .queue-number")).to_have_text("A001")
    finally:
        restarted.should_exit = True
        thread.join(timeout=10)
