"""/docs in Chromium: Swagger UI starts from assets this server serves (no request leaves the machine) and
runs under the Content-Security-Policy (the ``page`` fixture fails on any CSP report)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.support import LiveServer


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no database involved
def test_swagger_ui_works_offline_under_the_csp(page: Any, live_server: LiveServer) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_server.url}/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/offices").first).to_be_visible(timeout=20000)
    assert hosts == {urlsplit(live_server.url).netloc}
