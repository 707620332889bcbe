"""The web shell: health, offices, landing, errors, language negotiation, plugin 404s."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from core.config import PlatformSettings
from core.i18n import negotiate
from core.problems import Kind, NotFound, Problem
from core.web.app import AppContext, create_app, create_context
from tests.support import builtin_plugins

DEMO = Path(__file__).resolve().parents[2] / "deployments" / "demo"

HTML = {"accept": "text/html"}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_offices_listed_with_their_plugins(client: TestClient) -> None:
    offices = {o["id"]: o for o in client.get("/api/v1/offices").json()}
    assert offices["skarholmen"]["plugins"] == ["kiosk", "queue", "surveys", "notify", "appointments"]
    assert offices["rinkeby"]["plugins"] == ["queue", "surveys", "appointments"]


def test_unknown_office_is_json_for_api_and_a_page_for_browsers(client: TestClient) -> None:
    api = client.get("/api/v1/offices/atlantis")
    assert api.status_code == 404
    assert api.json()["error"] == "unknown_office"
    assert "skarholmen" in api.json()["detail"]
    page = client.get("/atlantis", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "atlantis" in page.text


def test_landing_lists_offices_and_admin_pages(client: TestClient) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "/skarholmen/admin" in page.text and "/rinkeby/admin" in page.text


def test_rtl_and_lang_on_pages(client: TestClient) -> None:
    page = client.get("/skarholmen?lang=ar", headers=HTML)
    assert '<html lang="ar" dir="rtl"' in page.text
    assert page.cookies.get("mbk_lang") == "ar"
    # the cookie now carries the choice
    again = client.get("/skarholmen", headers=HTML)
    assert '<html lang="ar" dir="rtl"' in again.text


def test_language_outside_the_office_is_not_used(client: TestClient) -> None:
    # rinkeby offers sv, en, so, ar: Persian falls back to the office default
    page = client.get("/rinkeby?lang=fa", headers=HTML)
    assert '<html lang="sv" dir="ltr"' in page.text


def test_negotiation_order() -> None:
    allowed = ("sv", "en", "ar")
    assert negotiate("ar", "en", "en", allowed) == "ar"
    assert negotiate(None, "en", "ar", allowed) == "en"
    assert negotiate(None, None, "fi;q=0.9, ar-SA;q=0.8, en;q=0.5", allowed) == "ar"
    assert negotiate("xx", "yy", "zz", allowed) == "sv"


def test_display_modes_render_on_the_server(client: TestClient) -> None:
    client.cookies.set("mbk_display", "large,contrast")
    page = client.get("/skarholmen", headers=HTML)
    assert 'class="mbk-large mbk-contrast"' in page.text


def test_openapi_docs_are_served(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    # Everything the page loads comes from this server: /docs works without the internet.
    assert "//" not in docs.text.replace("<!doctype html>", "")
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert len(assets) == 3 and all(a.startswith("/static/") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 300, asset
    assert "SwaggerUIBundle" in client.get("/static/swagger-ui/swagger-ui-bundle.js").text
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/offices" in paths and "/healthz" in paths and "/readyz" in paths


def test_office_detail_lists_its_pages(client: TestClient) -> None:
    detail = client.get("/api/v1/offices/skarholmen").json()
    assert detail["languages"][0] == "sv" and detail["timezone"] == "Europe/Stockholm"
    assert {"label": "Admin dashboard", "path": "/skarholmen/admin", "audience": "staff"} in detail["pages"]


def test_office_page_links_and_translated_chrome(client: TestClient) -> None:
    page = client.get("/skarholmen?lang=sv", headers=HTML)
    assert page.status_code == 200
    assert 'href="/skarholmen/admin"' in page.text
    assert "Hoppa till innehållet" in page.text and "Hög kontrast" in page.text
    arabic = client.get("/skarholmen?lang=ar", headers=HTML).text
    assert "تباين عالٍ" in arabic


def test_landing_offers_every_office_language(client: TestClient) -> None:
    page = client.get("/?lang=en", headers=HTML).text
    assert '<html lang="en" dir="ltr"' in page
    for code in ("sv", "en", "ar", "so", "fi", "fa", "ti"):
        assert f'hreflang="{code}"' in page


def test_unknown_pages_are_404_in_the_right_form(client: TestClient) -> None:
    assert client.get("/api/v1/nothing").json()["error"] == "not_found"
    page = client.get("/skarholmen/nothing/here", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    # a plugin the office does not enable: a readable page for a browser
    disabled = client.get("/rinkeby/kiosk", headers=HTML)
    assert disabled.status_code == 404 and "kiosk" in disabled.text and "<h1>" in disabled.text


def test_bad_form_input_is_a_page_for_browsers_and_json_for_clients(client: TestClient) -> None:
    page = client.post("/login?lang=sv", data={"password": "x"}, headers=HTML)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "Kontrollera det du har fyllt i" in page.text and "username" in page.text
    api = client.post("/login", data={"password": "x"})
    assert api.status_code == 422 and api.json()["problems"] == ["username: Field required"]


def test_bad_input_is_told_in_the_readers_language(client: TestClient) -> None:
    """The page in its language; JSON in the one asked for with ?lang= (programs that ask for none: above)."""
    for language, missing in (("sv", "username: saknas"), ("ar", "username: مفقود")):
        page = client.post("/login", params={"lang": language}, data={"password": "x"}, headers=HTML)
        assert page.status_code == 422 and f'lang="{language}"' in page.text
        assert f'<p class="mbk-error-detail">{missing}</p>' in page.text
        api = client.post("/login", params={"lang": language}, data={"password": "x"})
        assert api.status_code == 422 and api.json()["problems"] == [missing]


def test_not_ready_while_the_database_is_unreachable() -> None:
    settings = PlatformSettings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere", deployment=DEMO,
                                secret_key="test-secret-key-0123456789", run_dispatcher=False)
    ctx = create_context(settings, builtin_plugins())
    client = TestClient(create_app(ctx))  # no lifespan: its live listener would wait for the database
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["detail"].startswith("database: ")


def test_each_kind_of_domain_problem_has_one_http_status(ctx: AppContext) -> None:
    app = create_app(ctx)

    @app.get("/api/v1/test-problem/{kind}")
    def refuse(kind: Kind) -> None:
        raise Problem("test_code", "Said to the person who asked.", kind=kind, field="phone", retry_after=30)

    expected = {"not_found": 404, "conflict": 409, "invalid": 422, "refused": 409, "unauthorized": 401,
                "forbidden": 403, "throttled": 429, "unavailable": 503}
    assert set(expected) == {kind.value for kind in Kind}
    with TestClient(app) as client:
        for kind, status in expected.items():
            answer = client.get(f"/api/v1/test-problem/{kind}")
            assert answer.status_code == status, kind
            assert answer.json()["error"] == "test_code"
            assert answer.headers["Retry-After"] == "30"
        assert client.get("/api/v1/test-problem/invalid").json()["detail"] == "phone: Said to the person who asked."
        assert client.get("/api/v1/test-problem/refused").json()["detail"] == "Said to the person who asked."
        assert client.get("/api/v1/test-problem/unauthorized").headers["WWW-Authenticate"] == "Bearer"


def test_a_subclass_names_its_kind(ctx: AppContext) -> None:
    app = create_app(ctx)

    @app.get("/test-problem")
    def missing() -> None:
        raise NotFound("no_such_thing", "There is no such thing here.")

    app.router.routes.insert(0, app.router.routes.pop())  # before core's /{office} page
    with TestClient(app) as client:
        page = client.get("/test-problem", headers=HTML)
        assert page.status_code == 404 and "There is no such thing here." in page.text
