"""The login page in a real browser (Chromium): redirect to login, log in, HttpOnly SameSite session cookie that
page scripts cannot read, the admin page, logout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import auth
from core.web.app import AppContext
from tests.core.test_auth import OFFICE
from tests.core.test_plugin_contract import with_dummy, write_deployment
from tests.support import PASSWORD, LiveServer


def test_log_in_and_out_in_a_browser(make_context: Callable[..., AppContext], tmp_path: Path, page: Any) -> None:
    root = write_deployment(tmp_path / "dep", {"alpha": OFFICE.format(id="alpha")})
    ctx = make_context(deployment=root, plugins=with_dummy())
    with ctx.db.session() as session:
        auth.create_user(session, "boss", PASSWORD, office_id="alpha", role="admin")
    with LiveServer(ctx) as server:
        page.goto(f"{server.url}/alpha/admin")
        assert page.url == f"{server.url}/login?next=/alpha/admin"
        page.fill("#username", "boss")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/alpha/admin")
        assert page.locator("#panel-dummy").is_visible()  # the dashboard with the dummy plugin's panel
        session_cookie = next(c for c in page.context.cookies() if c["name"] == "mbk_session")
        assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"
        assert "mbk_session" not in page.evaluate("document.cookie")  # out of reach of page scripts
        page.click("form[action='/logout'] button")
        page.wait_for_url(f"{server.url}/login")
        page.goto(f"{server.url}/alpha/admin")
        assert page.url == f"{server.url}/login?next=/alpha/admin"
