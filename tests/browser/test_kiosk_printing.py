"""Paper tickets in a real browser (Chromium), Swedish and Arabic: the kiosk prints to a receipt printer on
loopback that reads the ESC/POS bytes (tests/plugins/kiosk/escpos_receiver.py), says so only once it printed,
and shows the number with a clear message when the paper is out; without a printer the browser prints the
ticket alone. The screens with a printer's answer pass axe-core. (The printing does not depend on the
database, so these run on SQLite only.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.web.app import AppContext
from tests.axe import assert_accessible
from tests.plugins.kiosk.browser import enrol_kiosk, printer_deployment, visible
from tests.plugins.kiosk.escpos_receiver import EscposReceiver
from tests.support import LiveServer

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TAKE_YOUR_TICKET = {"sv": "Ta din kölapp från skrivaren.", "ar": "خذ تذكرتك من الطابعة."}
OUT_OF_PAPER = {"sv": "Skrivaren har slut på papper, så ingen kölapp skrevs ut.",
                "ar": "نفد الورق من الطابعة، لذلك لم تُطبع أي تذكرة."}


@pytest.fixture
def printer() -> Iterator[EscposReceiver]:
    with EscposReceiver() as receiver:
        yield receiver


@pytest.fixture
def printing_server(make_context: Callable[..., AppContext], tmp_path: Path, printer: EscposReceiver
                    ) -> Iterator[LiveServer]:
    with LiveServer(make_context(deployment=printer_deployment(tmp_path / "printing", printer.address))) as server:
        yield server


def take_ticket(page: Any, server: LiveServer, lang: str) -> str:
    page.goto(f"{server.url}/skarholmen/kiosk/tickets/info?lang={lang}")
    page.locator("#ticket-take-button").click()
    visible(page, "#ticket-result")
    page.wait_for_selector("#ticket-print:not([data-state=printing])", state="visible", timeout=10000)
    return page.locator("#ticket-number").inner_text()


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_a_ticket_printed_to_the_receipt_printer(page: Any, printing_server: LiveServer, printer: EscposReceiver,
                                                 lang: str) -> None:
    enrol_kiosk(page, printing_server)
    number = take_ticket(page, printing_server, lang)
    status = page.locator("#ticket-print")
    assert status.get_attribute("data-state") == "ready"
    assert status.inner_text() == TAKE_YOUR_TICKET[lang]
    paper = printer.wait_for_ticket()
    assert paper.errors == [] and paper.cuts == 1
    assert number.startswith("A") and number in paper.lines
    [qr] = paper.qr_codes
    base = printing_server.ctx.settings.base_url
    assert qr.startswith(f"{base}/skarholmen/queue/") and qr.endswith(f"lang={lang}")
    assert_accessible(page)


@SQLITE_ONLY
@pytest.mark.parametrize("mode", ["", "large", "contrast"])
@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_out_of_paper_shows_the_number_and_says_nothing_was_printed(
        page: Any, printing_server: LiveServer, printer: EscposReceiver, lang: str, mode: str) -> None:
    printer.paper = "out"
    enrol_kiosk(page, printing_server)
    if mode:
        page.context.add_cookies([{"name": "mbk_display", "value": mode, "url": printing_server.url}])
    number = take_ticket(page, printing_server, lang)
    status = page.locator("#ticket-print")
    assert status.get_attribute("data-state") == "paper_out"
    text = status.inner_text()
    assert text.startswith(OUT_OF_PAPER[lang]) and number in text
    assert TAKE_YOUR_TICKET[lang] not in page.locator("#main").inner_text()
    assert page.locator("#ticket-number").is_visible() and page.locator("#ticket-qr").is_visible()
    assert printer.tickets == []
    assert_accessible(page)


@SQLITE_ONLY
def test_without_a_printer_the_browser_prints_the_ticket_alone(page: Any, live_server: LiveServer) -> None:
    page.add_init_script("window.print = () => { window.mbkPrinted = (window.mbkPrinted || 0) + 1; };")
    enrol_kiosk(page, live_server)  # the demo sets no printer
    page.goto(f"{live_server.url}/skarholmen/kiosk/tickets/info?lang=sv")
    page.locator("#ticket-take-button").click()
    page.wait_for_selector("#ticket-print[data-state=browser]", state="attached")
    assert page.evaluate("window.mbkPrinted") == 1
    assert page.locator("#ticket-print").is_hidden()
    number = page.locator("#ticket-number").inner_text()
    page.emulate_media(media="print")
    shown = page.locator("body").inner_text()
    assert number in shown and "Sätt dig och vänta." in shown
    for hidden in (".mbk-header", ".kiosk-home", "#ticket-result a", "#ticket-take", "h1.kiosk-title"):
        assert page.locator(hidden).first.is_hidden(), hidden


@SQLITE_ONLY
def test_printing_screenshots(browser: Any, printing_server: LiveServer, live_server: LiveServer,
                              printer: EscposReceiver, screenshots_dir: Path) -> None:
    """The ticket screen once the receipt printer printed (sv) and when its paper is out (ar), and the ticket as
    the browser prints it where a kiosk has no printer (sv, print media)."""
    for lang, paper, name in (("sv", "ok", "printed"), ("ar", "out", "paper-out")):
        printer.paper = paper
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        enrol_kiosk(page, printing_server)
        take_ticket(page, printing_server, lang)
        page.screenshot(path=str(screenshots_dir / f"kiosk-ticket-{name}-{lang}-normal.png"), full_page=True)
        context.close()
    context = browser.new_context(viewport={"width": 600, "height": 900})
    page = context.new_page()
    page.add_init_script("window.print = () => {};")  # the print itself is the print-media screenshot below
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk/tickets/info?lang=sv")
    page.locator("#ticket-take-button").click()
    page.wait_for_selector("#ticket-print[data-state=browser]", state="attached")
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshots_dir / "kiosk-ticket-browser-print-sv.png"), full_page=True)
    context.close()
