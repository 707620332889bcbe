"""Devices in a real browser (Chromium): an office admin enrols a kiosk on the devices page, the kiosk opens the
shown link in its own browser and lands on the kiosk screen, the list shows it online with its check-in time,
and the admin revokes it. The pages pass axe-core in Swedish and Arabic and fit a 1,280 px screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.axe import assert_accessible
from tests.browser.test_admin_people import fits_the_screen, log_in
from tests.browser.test_admin_people import server as server  # noqa: F401  (the demo, served with its links)
from tests.support import PASSWORD, LiveServer, csp_violations


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the pages, not the database, are under test
def test_enrolling_a_kiosk_by_opening_the_shown_link_in_a_second_browser(server: LiveServer, page: Any,
                                                                          browser: Any) -> None:
    base = server.url
    log_in(page, base, "boss", PASSWORD, "/skarholmen/admin")
    page.get_by_role("navigation", name="Admin pages").get_by_role("link", name="Devices").click()
    page.wait_for_url(f"{base}/skarholmen/admin/devices")
    page.get_by_label("Kiosk").check()
    page.fill("#name", "Entrance, left")
    page.get_by_role("button", name="Enrol", exact=True).click()
    link = page.locator(".mbk-enrolment .mbk-secret-link").inner_text()
    assert link.startswith(f"{base}/skarholmen/enrol?code=")
    assert page.get_by_role("img", name="QR code of the enrolment link").is_visible()
    row = page.get_by_role("row", name="Entrance, left")
    assert row.get_by_text("Waiting for enrolment").is_visible()

    kiosk_context = browser.new_context(viewport={"width": 1080, "height": 1920})
    kiosk = kiosk_context.new_page()
    blocked = csp_violations(kiosk)
    kiosk.goto(link)
    kiosk.wait_for_url(f"{base}/skarholmen/kiosk**")
    assert kiosk.locator('meta[name="mbk-heartbeat"]').count() == 1  # it will keep checking in
    cookie = next(c for c in kiosk_context.cookies() if c["name"] == "mbk_device")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    kiosk_context.close()
    assert blocked == []

    page.goto(f"{base}/skarholmen/admin/devices")  # (reloading would send the form again)
    row = page.get_by_role("row", name="Entrance, left")
    assert row.get_by_text("Online").is_visible()
    assert row.locator("td").nth(3).inner_text() != "–"  # its last check-in
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_url(f"{base}/skarholmen/admin/devices")
    assert page.get_by_role("row", name="Entrance, left").get_by_text("Revoked").is_visible()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["sv", "ar"])
def test_device_pages_pass_axe_and_fit(server: LiveServer, page: Any, language: str) -> None:
    base = server.url
    log_in(page, base, "boss", PASSWORD, "/skarholmen/admin")
    page.goto(f"{base}/skarholmen/admin/devices?lang={language}")
    page.locator("input[name=kind][value=display]").check()
    page.fill("#name", "Tavlan i väntrummet – den stora vid fönstret mot torget")
    page.locator("form[action='/skarholmen/admin/devices'] button[type=submit]").click()
    assert page.locator(".mbk-code").is_visible()
    for path in (None, "/skarholmen/admin/devices", "/skarholmen/admin", "/enrol"):
        if path:
            page.goto(f"{base}{path}?lang={language}")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert_accessible(page)
        assert fits_the_screen(page), path
