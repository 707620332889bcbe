"""People in a real browser (Chromium): an office admin adds a guide on the people page, the guide opens the
one-time link in their own browser, chooses a password and logs in; the pages pass axe-core in Swedish and Arabic
and fit a 1,280 px screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core import auth
from core.web.app import AppContext
from tests.axe import assert_accessible
from tests.support import PASSWORD, LiveServer, csp_violations

NEW_SECRET = "guide chooses this one"


@pytest.fixture
def server(make_context: Callable[..., AppContext]) -> Iterator[LiveServer]:
    """The demo deployment served on loopback; the links it shows point at this server."""
    ctx = make_context()
    with ctx.db.session() as session:
        auth.create_user(session, "boss", PASSWORD, office_id="skarholmen", role="admin")
    with LiveServer(ctx) as live:
        ctx.settings = ctx.settings.model_copy(update={"base_url": live.url})
        yield live


def log_in(page: Any, base: str, username: str, password: str, next_path: str) -> None:
    page.goto(f"{base}/login?lang=en&next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def fits_the_screen(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the pages, not the database, are under test
def test_an_office_admin_adds_a_guide_who_then_logs_in(server: LiveServer, page: Any, browser: Any) -> None:
    base = server.url
    log_in(page, base, "boss", PASSWORD, "/skarholmen/admin")
    page.get_by_role("navigation", name="Admin pages").get_by_role("link", name="People").click()
    page.wait_for_url(f"{base}/skarholmen/admin/people")
    page.fill("#username", "nina")
    page.fill("#display_name", "Nina Berg")
    page.get_by_label("Guide").check()
    page.get_by_role("button", name="Add").click()
    link = page.locator(".mbk-secret-link").inner_text()
    assert link.startswith(f"{base}/password?code=")
    page.reload()  # post/redirect/get: the same link again, nothing added or voided
    assert page.locator(".mbk-secret-link").inner_text() == link
    assert page.get_by_role("row", name="Nina Berg").get_by_text("No password yet").is_visible()

    guide_context = browser.new_context(viewport={"width": 1280, "height": 900})
    guide = guide_context.new_page()
    blocked = csp_violations(guide)
    guide.goto(link + "&lang=en")
    guide.fill("#password", NEW_SECRET)
    guide.fill("#repeat", NEW_SECRET)
    guide.get_by_role("button", name="Save password").click()
    guide.wait_for_url(f"{base}/login?password_set=1")
    assert guide.get_by_role("status").inner_text() == "Your password is saved. Log in with it."
    log_in(guide, base, "nina", NEW_SECRET, "/skarholmen/queue/console")
    assert guide.locator("h1").count() == 1 and "/login" not in guide.url  # a guide's page, not a refusal
    guide_context.close()
    assert blocked == []

    page.reload()
    assert page.locator(".mbk-secret-link").count() == 0  # the link is used: not shown any more
    assert page.get_by_role("row", name="Nina Berg").get_by_text("Active").is_visible()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["sv", "ar"])
def test_people_pages_pass_axe_and_fit(server: LiveServer, page: Any, language: str) -> None:
    base = server.url
    with server.ctx.db.session() as session:
        auth.create_user(session, "kim-with-a-rather-long-username@skarholmen.example.org", PASSWORD,
                         office_id="skarholmen", role="guide", display_name="Kim Andersson-Lindqvist")
    log_in(page, base, "boss", PASSWORD, "/skarholmen/admin")
    for path in ("/skarholmen/admin/people", "/skarholmen/admin/people/"
                 "kim-with-a-rather-long-username@skarholmen.example.org"):
        page.goto(f"{base}{path}?lang={language}")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert_accessible(page)
        assert fits_the_screen(page), path
    page.goto(f"{base}/skarholmen/admin/people/kim-with-a-rather-long-username@skarholmen.example.org"
              f"?lang={language}")
    page.locator("form:has(input[value=password_link]) button").click()
    assert_accessible(page)  # with the new link shown
    assert fits_the_screen(page)
    link = page.locator(".mbk-secret-link").inner_text()
    page.goto(f"{link}&lang={language}")
    assert_accessible(page)
