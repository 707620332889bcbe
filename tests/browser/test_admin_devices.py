"""Devices in a real browser (Chromium): an office admin enrols a kiosk on the devices page, the kiosk opens the
shown link in its own browser and lands on the kiosk screen, the list shows it online with its check-in time,
and the admin revokes it. The pages pass axe-core in Swedish and Arabic and fit a 1,280 px screen. The manager's live
view counts a device that goes quiet, and no longer when it checks in again, without a reload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from core import devices
from core.db import utcnow
from tests.axe import assert_accessible
from tests.browser.test_admin_people import fits_the_screen, log_in
from tests.browser.test_admin_people import server as server  # noqa: F401  (the demo, served with its links)
from tests.browser.test_queue_pages import wait_for_listeners
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
    page.reload()  # post/redirect/get: the same device and code again, not a second device
    assert page.locator(".mbk-enrolment .mbk-secret-link").inner_text() == link
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

    page.reload()
    assert page.locator(".mbk-enrolment").count() == 0  # the code is used: not shown any more
    row = page.get_by_role("row", name="Entrance, left")
    assert row.count() == 1
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


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_the_live_view_counts_a_device_gone_quiet_until_it_checks_in(server: LiveServer, page: Any,
                                                                     language: str) -> None:
    ctx = server.ctx
    with ctx.db.session() as session:
        kiosk, token = devices.enrol_device(session, "skarholmen", "kiosk", "Entrance")
        kiosk.last_seen_at = utcnow() - timedelta(minutes=20)  # the demo's limit is 15 minutes
    log_in(page, server.url, "boss", PASSWORD, f"/skarholmen/queue/live?lang={language}")
    wait_for_listeners(server, 1)
    offline = page.locator("#queue-live-figures dd[data-figure=devices-offline]")
    expect(offline).to_have_text("1 · " + {"sv": "20 min", "ar": "20 دقيقة"}[language])
    assert_accessible(page)

    # Back: its check-in publishes device.online, and the open page counts it no longer.
    httpx.get(f"{server.url}/api/v1/device/heartbeat", headers={"Authorization": f"Bearer {token}"}
              ).raise_for_status()
    expect(offline).to_have_text("0")

    # Quiet again: the watcher (every minute in the server, called here) publishes device.offline; it shows at once.
    with ctx.db.session() as session:
        session.get(devices.Device, kiosk.id).last_seen_at = utcnow() - timedelta(minutes=16)
    with ctx.db.session() as session:
        devices.report_offline(session, ctx.deployment)
    expect(offline).to_have_text("1 · " + {"sv": "16 min", "ar": "16 دقيقة"}[language])
