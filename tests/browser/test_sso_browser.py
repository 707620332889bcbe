"""Single sign-on in a real browser (Chromium) against a real OpenID Connect provider (npm oidc-provider on
loopback): "Sign in with the City" on our login page, the provider's login form, back to the office admin page
with the role the account's group maps to; logout ends the session at the provider too. The login page with the
provider's button passes axe-core in Swedish and Arabic, and so does its break-glass form, which lets a platform
admin in while the provider is down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import auth
from core.web.app import AppContext
from tests.axe import assert_accessible
from tests.core.test_plugin_contract import with_dummy
from tests.core.test_sso import CLIENT_SECRET, SECRET_ENV, sso_deployment
from tests.support import PASSWORD, LiveServer, OidcProvider, free_port


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the round trip, not the database, is under test
def test_a_full_single_sign_on_round_trip(make_context: Callable[..., AppContext], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, page: Any) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    accounts = {"maria": {"name": "Maria Kaya", "groups": ["alpha-admins", "staff-everyone"]}}
    # The provider must know our callback before it starts, and our server the provider's address: our port is
    # chosen first, then the provider started, then our server with the provider as its issuer.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with OidcProvider(tmp_path, base, "mbk", CLIENT_SECRET, accounts) as provider:
        ctx = make_context(deployment=sso_deployment(tmp_path, provider.url), plugins=with_dummy(), base_url=base)
        with LiveServer(ctx, port=port) as server:
            page.goto(f"{server.url}/alpha/admin?lang=en")
            assert page.url.startswith(f"{server.url}/login?next=/alpha/admin")
            for language in ("sv", "ar"):
                page.goto(f"{server.url}/login?next=/alpha/admin&lang={language}")
                assert_accessible(page)
            page.goto(f"{server.url}/login?next=/alpha/admin&lang=en")
            page.get_by_role("link", name="Sign in with the City").click()
            page.wait_for_url(f"{provider.url}/interaction/**")
            page.fill("input[name=login]", "maria")
            page.fill("input[name=password]", "whatever the provider checks")
            page.locator("button[type=submit]").click()
            page.wait_for_url(f"{server.url}/alpha/admin")
            assert page.get_by_role("heading", name="Admin dashboard").is_visible()  # alpha-admins → admin
            with ctx.db.session() as session:
                maria = auth.find_user(session, "maria")
                assert sorted((r.office_id, r.role) for r in maria.roles) == [("alpha", "admin"), ("alpha", "viewer")]
            page.goto(f"{server.url}/gamma/admin")
            assert page.get_by_role("heading", name="Not allowed").count() == 1  # no group for gamma

            page.goto(f"{server.url}/alpha/admin?lang=en")
            page.get_by_role("button", name="Log out").click()
            page.wait_for_url(f"{provider.url}/session/end**")
            page.locator("button[autofocus], button[type=submit]").first.click()  # the provider asks to confirm
            page.wait_for_url(f"{server.url}/login")
            # Logged out at the provider too: signing in again asks for the login, not just a click-through.
            page.get_by_role("link", name="Sign in with the City").click()
            page.wait_for_url(f"{provider.url}/interaction/**")
            assert page.locator("input[name=login]").is_visible()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_break_glass_login_when_the_provider_is_down(make_context: Callable[..., AppContext], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, page: Any) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    down = f"http://127.0.0.1:{free_port()}"  # no provider answers there
    ctx = make_context(deployment=sso_deployment(tmp_path, down, local_passwords=False, break_glass=True),
                       plugins=with_dummy())
    with ctx.db.session() as session:
        auth.create_user(session, "it-emergency", PASSWORD, platform_admin=True)
    with LiveServer(ctx) as server:
        for language in ("sv", "ar"):
            page.goto(f"{server.url}/login?next=/alpha/admin&lang={language}")
            assert not page.locator("#password").is_visible()  # folded away
            page.locator(".mbk-break-glass summary").click()
            assert page.locator("#password").is_visible()
            assert_accessible(page)
        page.goto(f"{server.url}/login?next=/alpha/admin&lang=en")
        page.get_by_text("Emergency login for platform admins").click()
        page.fill("#username", "it-emergency")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{server.url}/alpha/admin")
        assert page.get_by_role("heading", name="Admin dashboard").is_visible()
