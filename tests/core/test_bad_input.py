"""Bad input is refused with a 4xx and the usual problem JSON, logged as one short line without a traceback: NUL
characters (PostgreSQL refuses them in text), integers and dates at the edges of their range, malformed cookies,
tokens and headers. A genuine bug still answers 500 (also one line in the log), never a 4xx. On SQLite and
PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.web.app import AppContext, create_app
from tests.support import bearer, device_header

OFFICE_API = "/api/v1/offices/skarholmen"
HTML = {"accept": "text/html"}


@pytest.fixture
def admin(client: TestClient, make_user: Callable[..., str]) -> dict[str, str]:
    return bearer(client, make_user("bad-input-root", None, None, platform_admin=True))


def refused_once(caplog: pytest.LogCaptureFixture, response: Any, status: int, error: str) -> None:
    """``response`` is the problem JSON for ``status``/``error``, with one log line and no traceback."""
    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    lines = [r for r in caplog.records if r.name == "core.web.errors"]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO and str(status) in lines[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "a refusal logged a traceback"


def test_nul_in_a_json_body_is_refused(client: TestClient, ctx: AppContext, caplog: pytest.LogCaptureFixture) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    caplog.set_level(logging.INFO)
    response = client.post(f"{OFFICE_API}/queue/tickets", headers=kiosk,
                           json={"service": "guidance", "phone": "0701\x00234", "idempotency_key": "k\x00"})
    refused_once(caplog, response, 400, "invalid_request")
    assert "NUL" in response.json()["detail"]
    assert client.get(f"{OFFICE_API}/queue/services").json()[1]["waiting"] == 0  # nothing was written


def test_nul_in_a_form_is_refused(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/api/v1/auth/token", data={"username": "guide\x00", "password": "x"})
    refused_once(caplog, response, 400, "invalid_request")


@pytest.mark.parametrize("path", ["/api/v1/offices/skarholmen/queue/board?lang=sv%00",
                                  "/api/v1/offices/skarholmen/queue/tickets/abc%00def"])
def test_nul_in_the_url_is_refused(client: TestClient, caplog: pytest.LogCaptureFixture, path: str) -> None:
    caplog.set_level(logging.INFO)
    refused_once(caplog, client.get(path), 400, "invalid_request")


@pytest.mark.parametrize("message_id", ["0", "-1", str(2**31), str(2**63), "9" * 30])
def test_row_ids_out_of_range_are_refused(client: TestClient, admin: dict[str, str],
                                          caplog: pytest.LogCaptureFixture, message_id: str) -> None:
    caplog.set_level(logging.INFO)
    response = client.post(f"{OFFICE_API}/notify/messages/{message_id}/retry", headers=admin)
    refused_once(caplog, response, 422, "invalid_request")
    assert "message_id" in response.json()["detail"]


def test_the_largest_row_id_is_an_ordinary_404(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(f"{OFFICE_API}/notify/messages/{2**31 - 1}/retry", headers=admin)
    assert response.status_code == 404


@pytest.mark.parametrize("query", [
    "/queue/stats?to=0001-01-01", "/queue/stats.csv?from=9999-12-30&to=9999-12-31",
    "/surveys/exit/report?end=0001-01-01", "/surveys/exit/report.csv?start=9999-12-31&end=9999-12-31",
    "/surveys/compare/learned?end=0001-01-01",
])
def test_dates_at_the_edges_of_their_range_are_refused(client: TestClient, admin: dict[str, str],
                                                       caplog: pytest.LogCaptureFixture, query: str) -> None:
    caplog.set_level(logging.INFO)
    response = client.get(OFFICE_API + query, headers=admin)
    refused_once(caplog, response, 422, "invalid_request")
    assert "1900-01-01" in response.json()["detail"] or "2999-12-31" in response.json()["detail"]


def test_a_date_at_the_edge_on_a_page_is_a_422_page(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/skarholmen/surveys/exit/report?end=0001-01-01", headers={**admin, **HTML})
    assert response.status_code == 422 and "1900-01-01" in response.text


@pytest.mark.parametrize("headers", [
    {"cookie": "mbk_device=garbage"},
    {"cookie": "mbk_device=eyJkZXZpY2UiOjF9.Zz.Zz"},
    {"authorization": "Bearer "},
    {"authorization": "Bearer mbkd_"},
    {"authorization": "Bearer eyJ1aWQiOjF9.abc.def"},
])
def test_malformed_cookies_and_tokens_are_401(client: TestClient, caplog: pytest.LogCaptureFixture,
                                              headers: dict[str, str]) -> None:
    caplog.set_level(logging.INFO)
    refused_once(caplog, client.get(f"{OFFICE_API}/queue/tickets", headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("headers", [
    {"cookie": "mbk_session=not-a-signed-session; mbk_lang=zz; mbk_display=%ZZ%ff"},
    {"accept-language": ",,;q=x, *;q=nan, xx-@@"},
    {"accept-language": ""},
    {"accept": ""},
])
def test_odd_cookies_and_headers_on_pages_are_ignored(client: TestClient, headers: dict[str, str]) -> None:
    page = client.get("/skarholmen", headers={**HTML, **headers})
    assert page.status_code == 200 and '<html lang="sv"' in page.text


def test_an_empty_idempotency_header_and_a_wrong_content_type_are_4xx(client: TestClient, ctx: AppContext) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    response = client.post(f"{OFFICE_API}/queue/tickets", headers={**kiosk, "content-type": "text/plain"},
                           content=b'{"service": "guidance"}')
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"
    too_long = client.post(f"{OFFICE_API}/queue/tickets", headers={**kiosk, "idempotency-key": "k" * 101},
                           json={"service": "guidance"})
    assert too_long.status_code == 422


def test_a_genuine_bug_is_a_500_with_one_log_line(ctx: AppContext, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(ctx)

    @app.get("/api/v1/bug")
    def bug() -> None:
        raise RuntimeError("a bug\nwith a second line")

    caplog.set_level(logging.INFO)
    with TestClient(app) as client:
        response = client.get("/api/v1/bug")
        page = client.get("/api/v1/bug", headers=HTML)
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    assert "a bug" not in response.text  # nothing of the exception reaches the client
    assert page.status_code == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and not [r for r in caplog.records if r.exc_info]
    line = errors[0].getMessage()
    assert "\n" not in line and "RuntimeError: a bug" in line and "test_bad_input.py" in line


def test_a_genuine_bug_is_told_in_the_readers_language(ctx: AppContext) -> None:
    """A visitor may meet it (a kiosk's call, a page): on the error page in the page's language, in JSON in the one
    asked for with ?lang=; a program that asks for none gets the English."""
    app = create_app(ctx)

    def bug() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/bug", bug)
    app.add_api_route("/bug", bug)
    app.router.routes.insert(0, app.router.routes.pop())  # a page, before the office pages' /{office}
    with TestClient(app) as client:
        swedish = client.get("/api/v1/bug?lang=sv")
        arabic = client.get("/bug?lang=ar", headers=HTML)
        english = client.get("/api/v1/bug")
    assert swedish.status_code == 500
    assert swedish.json()["detail"] == "Något gick fel hos oss. Felet är loggat; försök igen senare."
    assert arabic.status_code == 500 and arabic.headers["content-type"].startswith("text/html")
    assert "حدث خطأ من جانبنا. تم تسجيله؛ حاول مرة أخرى لاحقًا." in arabic.text
    assert english.json()["detail"] == "Something went wrong on our side. It has been logged; try again later."


def test_an_address_nothing_answers_is_told_in_the_readers_language(client: TestClient) -> None:
    """The router's own 404 and 405 (a mistyped or old address) are told as core's other refusals are, not in
    Starlette's English ("Not Found")."""
    arabic = client.get("/skarholmen/queue/no-such-page?lang=ar", headers=HTML)
    swedish = client.get("/api/v1/offices/skarholmen/queue/no-such-thing?lang=sv")
    finnish = client.delete("/api/v1/offices/skarholmen/queue/tickets?lang=fi")
    english = client.get("/api/v1/offices/skarholmen/queue/no-such-thing")
    assert arabic.status_code == 404 and arabic.headers["content-type"].startswith("text/html")
    assert "لا يوجد شيء على هذا العنوان." in arabic.text and "Not Found" not in arabic.text
    assert swedish.status_code == 404
    assert swedish.json() == {"error": "not_found", "detail": "Det finns ingenting på den här adressen."}
    assert finnish.status_code == 405
    assert finnish.json() == {"error": "method_not_allowed", "detail": "Tämä osoite ei ota vastaan tällaista pyyntöä."}
    assert english.json()["detail"] == "There is nothing at this address."
