"""The queue's pages and hooks through the app: board, phone page, console login, kiosk contract, admin panel."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

import plugins.queue
from core.hookspecs import TicketRequest
from core.web.app import AppContext
from tests.support import PASSWORD, bearer, device_header

API = "/api/v1/offices/skarholmen/queue"
HTML = {"Accept": "text/html"}


def login(client: TestClient, username: str, target: str) -> None:
    page = client.get(f"/login?next={target}")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf,
                                           "next": target}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_board_page_shows_calls_without_personal_data(client: TestClient, ctx: AppContext) -> None:
    office = ctx.deployment.office("skarholmen")
    with ctx.db.session() as session:
        ctx.hooks(office).mbk_issue_ticket(office=office, session=session, request=TicketRequest(
            language="sv", category="housing", answers={"name": "Leila"}, phone="0701234567"))
    page = client.get("/skarholmen/queue/board", headers=HTML)
    assert page.status_code == 200
    assert "/static/queue/board.js" in page.text and "Informationsdisken" in page.text
    assert "Leila" not in page.text and "0701234567" not in page.text and "+46" not in page.text
    assert '"announcements"' in page.text


def test_phone_page_in_the_visitors_language_with_qr_and_no_text_form_without_texts(client: TestClient,
                                                                                     ctx: AppContext) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    first = client.post(f"{API}/tickets", headers=kiosk, json={"service": "guidance", "language": "en"}).json()
    mine = client.post(f"{API}/tickets", headers=kiosk, json={"service": "guidance", "language": "en"}).json()
    page = client.get(mine["status_path"], headers=HTML)
    assert page.status_code == 200 and 'lang="en"' in page.text
    assert "B002" in page.text and "1 person ahead of you" in page.text
    assert 'src="data:image/svg+xml' in page.text
    # the demo office has no rule that texts visitors (its SMS channel is commented out): no "text me"
    assert "Text me" not in page.text and 'name="phone"' not in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(f"{mine['status_path']}/phone", data={"phone": "070 123 45 67", "csrf_token": csrf})
    assert refused.status_code == 409 and refused.json()["error"] == "texts_unavailable"
    assert "cannot send text messages" in refused.json()["detail"]
    assert client.get(f"{API}/tickets/{mine['id']}").json()["text_requested"] is False
    status = client.get(f"{mine['status_path']}/status?lang=sv", headers=HTML)
    assert "1 person före dig" in status.text or "före dig" in status.text
    qr = client.get(f"{first['status_path']}/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and "<title>B001</title>" in qr.text
    assert client.get(f"{first['status_path']}/ticket", headers=HTML).status_code == 200
    assert client.get("/skarholmen/queue/t/unknown-ticket", headers=HTML).status_code == 404


def test_console_needs_a_guide_of_this_office(client: TestClient, make_user: Callable[..., str]) -> None:
    response = client.get("/skarholmen/queue/console", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/skarholmen/queue/console"
    login(client, make_user("rinkeby-guide", office="rinkeby"), "/skarholmen/queue/console")
    assert client.get("/skarholmen/queue/console", headers=HTML).status_code == 403
    assert client.get("/rinkeby/queue/console", headers=HTML).status_code == 200


def test_kiosk_contract_hooks(ctx: AppContext) -> None:
    office = ctx.deployment.office("skarholmen")
    hooks = ctx.hooks(office)
    with ctx.db.session() as session:
        receipt = hooks.mbk_issue_ticket(office=office, session=session, request=TicketRequest(
            language="ar", category="housing", answers={"need": "x"}, idempotency_key="kiosk-1"))
        again = hooks.mbk_issue_ticket(office=office, session=session, request=TicketRequest(
            language="ar", category="housing", idempotency_key="kiosk-1"))
        default = hooks.mbk_issue_ticket(office=office, session=session, request=TicketRequest(language="sv"))
        seat = hooks.mbk_issue_ticket(office=office, session=session, request=TicketRequest(
            language="sv", service="computers"))
        services = [s for group in hooks.mbk_ticket_services(office=office, session=session, language="en")
                    for s in group]
    assert (receipt.number, receipt.service, receipt.service_name) == ("B001", "guidance", "الإرشاد المجتمعي")
    assert receipt.status_path == f"/skarholmen/queue/t/{receipt.id}" and again.id == receipt.id
    assert default.service == "info" and seat.number == "D001"
    assert {s.id: s.waiting for s in services} == {"info": 1, "guidance": 1, "computers": 0}
    # Other plugins add tiles and links of their own: look at the queue's.
    tiles = plugins.queue.mbk_kiosk_tiles(office=office, language="en")
    assert [(t.id, t.ticket_service, t.label) for t in tiles] == [("computer", "computers", "I want to use a computer")]
    links = [(link.audience, link.path) for link in plugins.queue.mbk_page_links(office=office)]
    assert links == [("display", "/skarholmen/queue/board"), ("staff", "/skarholmen/queue/console"),
                     ("staff", "/skarholmen/queue/live")]


def test_guide_sees_the_errand_category_by_its_title(client: TestClient, ctx: AppContext,
                                                     make_user: Callable[..., str]) -> None:
    office = ctx.deployment.office("skarholmen")
    with ctx.db.session() as session:
        for title in ("Bostad", None):  # a kiosk that sends no title: the category's id stands in
            ctx.hooks(office).mbk_issue_ticket(office=office, session=session, request=TicketRequest(
                language="ar", category="housing", category_title=title))
    waiting = client.get(f"{API}/tickets", headers=bearer(client, make_user("guide"))).json()
    assert [(t["category"], t["category_title"]) for t in waiting] == [("housing", "Bostad"), ("housing", "housing")]


def test_admin_panel_has_a_chart_and_a_table(client: TestClient, ctx: AppContext,
                                             make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    client.post(f"{API}/tickets", headers=kiosk, json={"service": "info", "language": "sv"})
    login(client, make_user("boss", role="admin"), "/skarholmen/admin")
    page = client.get("/skarholmen/admin?lang=en", headers=HTML)
    assert page.status_code == 200
    assert '<svg class="queue-chart"' in page.text and "<title id=\"queue-chart-title\">" in page.text
    assert "Information desk" in page.text and "stats.csv" in page.text


def test_join_from_your_own_phone_where_allowed_and_leave_the_line(client: TestClient) -> None:
    assert client.get("/skarholmen/queue/join", headers=HTML).status_code == 404
    page = client.get("/rinkeby/queue/join?lang=en", headers=HTML)
    assert page.status_code == 200 and "Community guidance" in page.text
    form = {"csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0], "service": "guidance",
            "idempotency_key": page.text.split('name="idempotency_key" value="')[1].split('"')[0]}
    joined = client.post("/rinkeby/queue/join", data=form, follow_redirects=False)
    again = client.post("/rinkeby/queue/join", data=form, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == again.headers["location"]
    ticket_page = client.get(joined.headers["location"], headers=HTML)
    assert "A001" in ticket_page.text and "Leave the line" in ticket_page.text
    left = client.post(f"{joined.headers['location']}/cancel", data={"csrf_token": form["csrf_token"]},
                       follow_redirects=False)
    assert left.status_code == 303
    ticket_id = joined.headers["location"].rsplit("/", 1)[1]
    assert client.get(f"/api/v1/offices/rinkeby/queue/tickets/{ticket_id}").json()["status"] == "cancelled"
    assert client.post(f"{joined.headers['location']}/cancel", data={"csrf_token": form["csrf_token"]},
                       headers=HTML).status_code == 409
