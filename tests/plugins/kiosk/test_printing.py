"""Paper tickets through the kiosk API onto a receipt printer on loopback (tests/plugins/kiosk/escpos_receiver.py
reads the ESC/POS bytes as a printer would), on SQLite and PostgreSQL: what is printed, what the visitor is told
when the paper is out or the printer is off, what staff see, and the printer settings' checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import plugins.kiosk
from core.config import OpeningHours
from core.db import utcnow
from core.hookspecs import DeviceInfo
from core.plugins import PluginManager
from core.web.app import AppContext, create_app
from plugins.kiosk import printing
from plugins.kiosk.background import PrinterWatch, start_background
from plugins.kiosk.settings import PrinterSetting
from tests.plugins.kiosk import fakemessenger, fakequeue
from tests.plugins.kiosk.conftest import write_deployment
from tests.plugins.kiosk.escpos_receiver import EscposReceiver, closed_port, describe
from tests.plugins.kiosk.test_settings_and_guides import problems_with
from tests.support import device_header

API = "/api/v1/offices/testby/kiosk"


def kiosk_plugins() -> PluginManager:
    return PluginManager.from_objects({"kiosk": plugins.kiosk, "fakequeue": fakequeue, "fakemessenger": fakemessenger})


def with_printers(root: Path, printers: str) -> Path:
    office = root / "offices" / "testby.toml"
    office.write_text(office.read_text().replace("warning_seconds = 10\n", f"warning_seconds = 10\n{printers}\n", 1))
    return root


@pytest.fixture
def receiver() -> Iterator[EscposReceiver]:
    with EscposReceiver() as printer:
        yield printer


@pytest.fixture
def printing_client(make_context: Callable[..., AppContext], tmp_path: Path, receiver: EscposReceiver
                    ) -> Iterator[tuple[TestClient, AppContext]]:
    """Office "testby" with a printer beside the kiosk "Entrance" (the receiver) and one beside "Side door" where
    nothing answers."""
    fakequeue.requests.clear()
    fakequeue.closed.clear()
    root = with_printers(write_deployment(tmp_path / "deployment"),
                         f'printers = [{{ device = "Entrance", address = "{receiver.address}" }}, '
                         f'{{ device = "Side door", address = "{closed_port()}" }}]')
    ctx = make_context(deployment=root, plugins=kiosk_plugins())
    with TestClient(create_app(ctx)) as client:
        yield client, ctx


def take_and_print(client: TestClient, headers: dict[str, str], key: str, language: str = "sv",
                   service: str = "guidance") -> tuple[dict, dict]:
    body = {"language": language, "idempotency_key": key}
    ticket = client.post(f"{API}/tickets", json={**body, "service": service}, headers=headers)
    assert ticket.status_code == 201, ticket.text
    printed = client.post(f"{API}/tickets/print", json=body, headers=headers)
    assert printed.status_code == 200, printed.text
    return ticket.json(), printed.json()


def alerts(ctx: AppContext) -> list[str]:
    office = ctx.deployment.office("testby")
    with ctx.db.session() as session:
        return [a.text for group in ctx.hooks(office).mbk_staff_alerts(office=office, session=session, language="en")
                for a in group]


def test_a_swedish_ticket_carries_number_service_wait_qr_and_a_cut(printing_client: tuple[TestClient, AppContext],
                                                                    receiver: EscposReceiver) -> None:
    client, ctx = printing_client
    entrance = device_header(ctx, "testby", "kiosk", "entrance")  # names compare without regard to case
    ticket, printed = take_and_print(client, entrance, "screen-print-1")
    assert printed == {"printer": "paper", "printed": True, "state": "ready",
                       "message": "Ta din kölapp från skrivaren."}
    paper = receiver.wait_for_ticket()
    assert paper.errors == []
    take_a_seat = "Sätt dig och vänta. Ditt nummer ropas upp på skärmarna och i högtalarna."
    assert paper.lines == ["Kontoret testby", ticket["number"], "Guidance", ticket["position_text"],
                           ticket["wait_text"], take_a_seat]
    assert ticket["number"] == "B001" and "cirka 5 minuter" in ticket["wait_text"]
    assert paper.qr_codes == [ticket["phone_url"]] and ticket["phone_url"].endswith("/testby/fakequeue/t1?lang=sv")
    assert paper.cuts == 1 and paper.pictures == 0
    assert paper.status_queries == 2  # paper checked before the ticket and after it
    assert alerts(ctx) == []


def test_an_arabic_ticket_draws_its_texts_and_keeps_the_number_as_text(
        printing_client: tuple[TestClient, AppContext], receiver: EscposReceiver) -> None:
    client, ctx = printing_client
    ticket, printed = take_and_print(client, device_header(ctx, "testby", "kiosk", "Entrance"), "screen-print-ar",
                                     language="ar")
    assert printed["printed"] is True and printed["message"] == "خذ تذكرتك من الطابعة."
    paper = receiver.wait_for_ticket()
    assert paper.errors == []
    assert ticket["number"] in paper.lines and paper.qr_codes == [ticket["phone_url"]]
    assert ticket["phone_url"].endswith("lang=ar")
    # Arabic goes to paper as pictures (shaped, right to left), never as code-page text the printer garbles
    assert paper.pictures >= 3 and not any("\u0600" <= ch <= "\u06ff" for ch in paper.text)
    assert paper.cuts == 1


def test_out_of_paper_prints_nothing_says_so_with_the_number_and_tells_staff(
        printing_client: tuple[TestClient, AppContext], receiver: EscposReceiver) -> None:
    client, ctx = printing_client
    receiver.paper = "out"
    entrance = device_header(ctx, "testby", "kiosk", "Entrance")
    ticket, printed = take_and_print(client, entrance, "screen-print-2", language="en")
    assert printed["printer"] == "paper" and printed["printed"] is False and printed["state"] == "paper_out"
    assert printed["message"] == ("The printer is out of paper, so no ticket was printed. Remember your number, "
                                  f"{ticket['number']}, or scan the code with your phone.")
    assert receiver.tickets == []  # the status query only: no ticket bytes were sent
    assert alerts(ctx) == ["The ticket printer at Entrance: Out of paper."]

    receiver.paper = "low"  # paper put in (a short roll): printed, and the alert goes
    _, printed = take_and_print(client, entrance, "screen-print-3", language="en")
    assert printed["printed"] is True and printed["state"] == "paper_low"
    assert receiver.wait_for_ticket().cuts == 1
    assert alerts(ctx) == []


def test_a_printer_that_is_off_is_offline_and_staff_see_it_on_the_dashboard(
        printing_client: tuple[TestClient, AppContext], make_user: Callable[..., str]) -> None:
    client, ctx = printing_client
    side = device_header(ctx, "testby", "kiosk", "Side door")
    ticket, printed = take_and_print(client, side, "screen-print-4")
    assert printed["printed"] is False and printed["state"] == "offline"
    assert printed["message"].startswith("Skrivaren fungerar inte just nu, så ingen kölapp skrevs ut.")
    assert ticket["number"] in printed["message"]
    assert alerts(ctx) == ["The ticket printer at Side door: Not answering."]
    office = ctx.deployment.office("testby")
    with ctx.db.session() as session:
        panels = [p for group in ctx.hooks(office).mbk_admin_panels(
                      office=office, session=session, language="en", event_label=ctx.event_labels("en"))
                  for p in group if p.id == "kiosk-printers"]
    [panel] = panels
    states = {line.device: line.state for line in panel.context["printers"]}
    assert states == {"Entrance": "unknown", "Side door": "offline"}
    # the devices page: a line for the kiosk beside the printer, nothing for other kiosks or other kinds
    side_door = next(p for p in panel.context["printers"] if p.device == "Side door")
    with ctx.db.session() as session:
        def status(kind: str, name: str) -> list[str]:
            device = DeviceInfo(id=1, kind=kind, name=name, state="active")
            return [line for group in ctx.hooks(office).mbk_device_status(office=office, session=session,
                                                                          device=device, language="en")
                    for line in group]
        assert status("kiosk", "side door") == [f"Ticket printer {side_door.address}: Not answering"]
        assert status("kiosk", "Upstairs") == [] and status("display", "Side door") == []


def test_a_kiosk_without_a_printer_prints_through_the_browser(printing_client: tuple[TestClient, AppContext],
                                                               receiver: EscposReceiver) -> None:
    client, ctx = printing_client
    _, printed = take_and_print(client, device_header(ctx, "testby", "kiosk", "Upstairs"), "screen-print-5")
    assert printed == {"printer": "browser", "printed": False, "state": None, "message": ""}
    assert receiver.tickets == []


def test_printing_a_ticket_the_screen_never_took_is_refused(printing_client: tuple[TestClient, AppContext],
                                                             receiver: EscposReceiver) -> None:
    client, ctx = printing_client
    answer = client.post(f"{API}/tickets/print", json={"language": "en", "idempotency_key": "never-taken"},
                         headers=device_header(ctx, "testby", "kiosk", "Entrance"))
    assert answer.status_code == 404 and answer.json()["detail"] == (
        "This screen has taken no ticket to print; start again.")
    assert receiver.tickets == []


def test_the_background_poll_tells_staff_the_paper_ran_out_before_a_visitor_meets_it(
        printing_client: tuple[TestClient, AppContext], receiver: EscposReceiver) -> None:
    client, ctx = printing_client
    watch = PrinterWatch(ctx)  # what the kiosk's background work runs every few seconds, driven here by hand
    office = ctx.deployment.office("testby")
    receiver.paper = "out"
    assert watch.check() == {"testby": {"Entrance": printing.PrinterStatus.PAPER_OUT,
                                        "Side door": printing.PrinterStatus.OFFLINE}}
    assert receiver.tickets == [] and receiver.status_queries == 1  # asked, nothing printed
    assert alerts(ctx) == ["The ticket printer at Entrance: Out of paper.",
                           "The ticket printer at Side door: Not answering."]

    # Heard from a moment ago: not asked again until a minute has passed.
    assert watch.check() == {"testby": {}}
    assert receiver.status_queries == 1
    receiver.paper = "ok"  # a new roll
    later = utcnow() + timedelta(seconds=printing.POLL_SECONDS)
    assert printing.poll(ctx.db, office, watch.offices[0][1], now=later) == {
        "Entrance": printing.PrinterStatus.READY, "Side door": printing.PrinterStatus.OFFLINE}
    assert receiver.status_queries == 2 and receiver.tickets == []
    assert alerts(ctx) == ["The ticket printer at Side door: Not answering."]

    # A printed ticket counts as hearing from the printer: the poll leaves it alone for a minute after.
    take_and_print(client, device_header(ctx, "testby", "kiosk", "Entrance"), "screen-print-poll")
    assert receiver.wait_for_ticket().cuts == 1
    queries = receiver.status_queries
    assert printing.poll(ctx.db, office, watch.offices[0][1]) == {}
    assert receiver.status_queries == queries

    # Outside the office's opening hours nobody is asked (a printer switched off for the night is not trouble).
    mondays = replace(office, hours=(OpeningHours(days=("mon",), opens=time(8), closes=time(9)),))
    monday = datetime(2026, 12, 7, tzinfo=mondays.tz)
    assert printing.poll(ctx.db, mondays, watch.offices[0][1], now=monday.replace(hour=12)) == {}
    assert receiver.status_queries == queries
    assert set(printing.poll(ctx.db, mondays, watch.offices[0][1], now=monday.replace(hour=8, minute=30))) == {
        "Entrance", "Side door"}
    assert receiver.status_queries == queries + 1


def test_the_background_work_watches_the_printers_where_there_are_any(
        make_context: Callable[..., AppContext], tmp_path: Path, receiver: EscposReceiver) -> None:
    with_printer = with_printers(write_deployment(tmp_path / "printers"),
                                 f'printers = [{{ device = "Entrance", address = "{receiver.address}" }}]')
    for deployment, expected in ((with_printer, ["kiosk-escalation", "kiosk-printers"]),
                                 (write_deployment(tmp_path / "none"), ["kiosk-escalation"])):
        ctx = make_context(deployment=deployment, plugins=kiosk_plugins(), run_dispatcher=True)
        work = start_background(ctx)
        try:
            assert [w.name for w in work] == expected
        finally:
            for w in work:
                w.stop()
    # a process without background work
    assert start_background(make_context(deployment=with_printer, plugins=kiosk_plugins())) == []


def test_the_stand_in_printer_for_the_demo_shows_each_ticket() -> None:
    got: list[str] = []
    ticket = printing.PaperTicket(number="B012", language="sv", lines=("Kontoret", "Vägledning", "", ""),
                                  phone_url="http://127.0.0.1:8000/t", note="Sätt dig.")
    with EscposReceiver(on_ticket=lambda t: got.append(describe(t))) as printer:
        assert printing.send(PrinterSetting(device="Demo kiosk", address=printer.address),
                             printing.compose(ticket)) is printing.PrinterStatus.READY
        printer.wait_for_ticket()
    assert got == ["Kontoret\nB012\nVägledning\nSätt dig.\n[QR code: http://127.0.0.1:8000/t]\n"
                   "[0 picture(s) of text, 1 cut(s)]\n" + "-" * 40]


def test_a_printer_that_takes_the_connection_and_never_answers_ends_in_time() -> None:
    with EscposReceiver(answer=False) as silent:
        printer = PrinterSetting(device="Entrance", address=silent.address)
        status = printing.send(printer, b"ticket", seconds=0.5)
        asked = printing.check(printer, seconds=0.5)  # the background poll's question, within its own limit
    assert status is printing.PrinterStatus.OFFLINE and asked is printing.PrinterStatus.OFFLINE
    assert silent.tickets == []  # nothing but the status query was sent


@pytest.mark.parametrize(("printers", "expected"), [
    ('printers = [{ device = "Entrance", address = "10.0.0.5" }]',
     "plugins.kiosk.printers[0].address: '10.0.0.5' is not a printer address: write host:port"),
    ('printers = [{ device = "Entrance", address = "10.0.0.5:70000" }]',
     "plugins.kiosk.printers[0].address: port 70000 in '10.0.0.5:70000' is outside 1–65535"),
    ('printers = [{ device = " ", address = "10.0.0.5:9100" }]',
     "plugins.kiosk.printers[0].device: a printer needs the name of the kiosk device"),
    ('printers = [{ device = "Entrance", address = "a:9100" }, { device = "ENTRANCE", address = "b:9100" }]',
     "plugins.kiosk: two printers are set for the same kiosk device"),
])
def test_printer_settings_problems_name_the_key(tmp_path: Path, printers: str, expected: str) -> None:
    problems = problems_with(tmp_path, "warning_seconds = 10\n", f"warning_seconds = 10\n{printers}\n")
    assert any(p.startswith(expected) for p in problems), problems
