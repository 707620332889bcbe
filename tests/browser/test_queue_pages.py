"""The queue in Chromium against a real server (SQLite and PostgreSQL): the board shows calls live, the guide
console calls the next visitor, the phone page follows the line, the board reconnects by itself after a server
restart; axe-core finds no serious problems."""

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


def open_console(page: Any, server: LiveServer, counter: str) -> None:
    """The guide console, logged in as "guide", at ``counter``."""
    page.goto(f"{server.url}/skarholmen/queue/console?lang=en")
    page.fill("#username", "guide")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/skarholmen/queue/console?lang=en")  # back to the page asked for
    page.select_option("#queue-counter", counter)


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


def test_guide_console_calls_the_next_visitor(page: Any, live_server: LiveServer,
                                              make_user: Callable[..., str]) -> None:
    make_user("guide")
    tickets = kiosk(live_server)
    tickets.post(f"{API}/tickets", json={"service": "guidance", "language": "ar", "errand": {
        "category": "housing", "answers": {"What do you need?": "A flat for my family"}}}).raise_for_status()

    open_console(page, live_server, "guide-2")
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


def test_console_keeps_the_called_visitor_when_an_older_refresh_answers_after_the_call(
        page: Any, live_server: LiveServer, make_user: Callable[..., str]) -> None:
    """A refresh of the line asked before "Call next" but answered after it read the visitor as still waiting. The
    console keeps the visitor the call's answer showed, with the buttons to serve them; it once hid them, and its
    next refreshes never brought them back."""
    make_user("guide")
    kiosk(live_server).post(f"{API}/tickets", json={"service": "guidance", "language": "sv"}).raise_for_status()
    page.clock.install()  # timers run only when the test says: no refresh is asked behind its back
    open_console(page, live_server, "guide-2")
    expect(page.locator("#queue-line .queue-number")).to_have_text(["B001"])
    wait_for_listeners(live_server, 1)
    page.clock.pause_at(time.time() + 1)

    def is_line(url: str) -> bool:
        return "/queue/tickets?services=guidance" in url

    asked: list[Any] = []
    held: list[tuple[Any, Any]] = []  # each with the server's answer when it was asked
    page.route(is_line, lambda route: held.append((route, route.fetch())))
    page.on("request", lambda request: asked.append(request) if is_line(request.url) else None)
    page.uncheck("#queue-service-choices input[value=guidance]")
    page.check("#queue-service-choices input[value=guidance]")  # asks for the line again
    deadline = time.monotonic() + 10
    while not held or len(held) < len(asked):
        assert time.monotonic() < deadline, "the console never asked for its line again"
        page.wait_for_timeout(20)

    page.click("#queue-call-next")
    expect(page.locator("#queue-current-number")).to_have_text("B001")
    for route, answer in held:  # the line as it was before the call: B001 waiting
        with page.expect_response(lambda response: is_line(response.url)) as late:
            route.fulfill(response=answer)
        late.value.finished()
    page.unroute(is_line)
    page.clock.run_for(1000)  # the refresh the call asked for
    expect(page.locator("#queue-line")).to_have_text("Nobody is waiting.")
    expect(page.locator("#queue-current-state")).to_have_text("called")
    expect(page.locator("[data-action=start]")).to_be_visible()
    page.click("[data-action=start]")
    expect(page.locator("#queue-current-state")).to_have_text("being served")


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
