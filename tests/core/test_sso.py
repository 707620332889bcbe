"""Single sign-on against a real OpenID Connect provider (npm oidc-provider on loopback): the authorization code
flow with PKCE, accounts made just in time, roles that follow the groups at every login, refusals, logout at the
provider, local passwords switched off, and `mbk check` on the [sso] section. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from core import auth, cli_support
from core import cli as mbk
from core.loading import load_deployment
from core.problems import ConfigError
from core.web.app import AppContext, create_app
from tests.core.test_auth import HTML, OFFICE, csrf_of
from tests.core.test_plugin_contract import with_dummy, write_deployment
from tests.support import PASSWORD, OidcProvider, free_port

SECRET_ENV = "MBK_TEST_SSO_SECRET"
CLIENT_SECRET = "a-client-secret-for-tests-only"
APP_BASE = "http://127.0.0.1:8000"  # the TestClient app's base_url: where the provider sends the browser back


def platform_toml(issuer: str, local_passwords: bool = True, break_glass: bool = False) -> str:
    return f"""
[platform]
name = {{ sv = "Test", en = "Test" }}

[sso]
name = {{ sv = "Staden", en = "the City" }}
issuer = "{issuer}"
client_id = "mbk"
client_secret_env = "{SECRET_ENV}"
scopes = ["openid", "profile", "groups"]
local_passwords = {str(local_passwords).lower()}
break_glass = {str(break_glass).lower()}
groups = [
  {{ group = "alpha-guides", office = "alpha", roles = ["guide"] }},
  {{ group = "alpha-admins", office = "alpha", roles = ["admin", "viewer"] }},
  {{ group = "gamma-staff", office = "gamma", roles = ["officer"] }},
  {{ group = "it", platform_admin = true }},
]
"""


ACCOUNTS = {"anna": {"name": "Anna Lind", "groups": ["alpha-guides", "unrelated"]},
            "bo": {"name": "Bo Ek", "groups": ["unrelated"]}}


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OidcProvider]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    with OidcProvider(tmp_path, APP_BASE, "mbk", CLIENT_SECRET, ACCOUNTS) as running:
        yield running


def sso_deployment(tmp_path: Path, issuer: str, local_passwords: bool = True, break_glass: bool = False) -> Path:
    return write_deployment(tmp_path / "dep", {o: OFFICE.format(id=o) for o in ("alpha", "gamma")},
                            platform_toml(issuer, local_passwords, break_glass))


@pytest.fixture
def sso_client(make_context: Callable[..., AppContext], tmp_path: Path, provider: OidcProvider
               ) -> Iterator[TestClient]:
    ctx = make_context(deployment=sso_deployment(tmp_path, provider.url), plugins=with_dummy(), base_url=APP_BASE)
    with TestClient(create_app(ctx), base_url=APP_BASE, cookies={"mbk_lang": "en"}) as client:
        yield client  # in English: the messages below are


def sign_in(app: TestClient, account: str, next_path: str = "/alpha/admin") -> httpx.Response:
    """The browser's part: our /login/sso, the provider's login form, back to our callback. Returns our answer."""
    started = app.get(f"/login/sso?next={next_path}", follow_redirects=False)
    assert started.status_code in (302, 303), started.text
    location = started.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43  # PKCE
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        for _ in range(10):
            if location.startswith(APP_BASE):
                return app.get(location.removeprefix(APP_BASE), follow_redirects=False)
            page = browser.get(location)
            if page.is_redirect:
                location = urljoin(location, page.headers["location"])
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
            answer = browser.post(urljoin(location, action), data={"prompt": "login", "login": account,
                                                                   "password": "anything"})
            location = urljoin(location, answer.headers["location"])
    raise AssertionError("the provider never sent the browser back")


def roles_of(app: TestClient, username: str) -> list[tuple[str, str]]:
    ctx: AppContext = app.app.state.ctx
    with ctx.db.session() as session:
        return sorted((r.office_id, r.role) for r in auth.find_user(session, username).roles)


def test_a_provider_login_makes_the_account_with_the_roles_its_groups_give(sso_client: TestClient) -> None:
    assert "Sign in with the City" in sso_client.get("/login?lang=en", headers=HTML).text
    assert "Logga in med Staden" in sso_client.get("/login?lang=sv", headers=HTML).text
    answer = sign_in(sso_client, "anna")
    assert (answer.status_code, answer.headers["location"]) == (303, "/alpha/admin")
    assert roles_of(sso_client, "anna") == [("alpha", "guide")]
    assert sso_client.get("/api/v1/offices/alpha/dummy/staff").status_code == 200  # a guide's endpoint
    assert sso_client.get("/alpha/admin", headers=HTML).status_code == 403  # guides do not see the dashboard
    ctx: AppContext = sso_client.app.state.ctx
    with ctx.db.session() as session:
        anna = auth.find_user(session, "anna")
        assert (anna.sso_subject, anna.display_name, anna.password_hash) == ("anna", "Anna Lind", "")
        actions = [e.action for e in session.scalars(select(auth.AuditEntry).order_by(auth.AuditEntry.id))]
    assert actions == ["user.created", "user.roles_changed", "login.sso"]


def test_roles_follow_the_groups_at_every_login(sso_client: TestClient, provider: OidcProvider) -> None:
    sign_in(sso_client, "anna")
    provider.set_groups("anna", ["alpha-admins", "gamma-staff"])
    sign_in(sso_client, "anna")
    assert roles_of(sso_client, "anna") == [("alpha", "admin"), ("alpha", "viewer"), ("gamma", "officer")]
    assert sso_client.get("/alpha/admin", headers=HTML).status_code == 200
    provider.set_groups("anna", ["it"])
    sign_in(sso_client, "anna", "/gamma/admin")
    ctx: AppContext = sso_client.app.state.ctx
    with ctx.db.session() as session:
        assert auth.find_user(session, "anna").is_platform_admin
    assert roles_of(sso_client, "anna") == []
    provider.set_groups("anna", [])
    refused = sign_in(sso_client, "anna")
    assert refused.status_code == 403 and "no role here" in refused.text
    with ctx.db.session() as session:
        assert not auth.find_user(session, "anna").is_platform_admin  # the lost groups are lost here too


def test_someone_whose_groups_give_nothing_gets_no_account(sso_client: TestClient) -> None:
    refused = sign_in(sso_client, "bo")
    assert refused.status_code == 403 and "no role here" in refused.text
    ctx: AppContext = sso_client.app.state.ctx
    with ctx.db.session() as session:
        assert auth.find_user(session, "bo") is None


def test_a_disabled_account_and_a_local_namesake_are_refused(sso_client: TestClient, provider: OidcProvider) -> None:
    ctx: AppContext = sso_client.app.state.ctx
    with ctx.db.session() as session:
        auth.create_user(session, "bo", PASSWORD, office_id="alpha", role="viewer")
    provider.set_groups("bo", ["alpha-guides"])
    taken = sign_in(sso_client, "bo")
    assert taken.status_code == 403 and "already called bo" in taken.text
    sign_in(sso_client, "anna")
    with ctx.db.session() as session:
        auth.find_user(session, "anna").disabled = True
    refused = sign_in(sso_client, "anna")
    assert refused.status_code == 403 and "disabled" in refused.text


def test_a_tampered_callback_is_refused(sso_client: TestClient) -> None:
    sso_client.get("/login/sso", follow_redirects=False)
    forged = sso_client.get("/login/sso/callback?code=made-up&state=made-up", headers=HTML)
    assert forged.status_code == 403 and "did not complete" in forged.text
    assert sso_client.get("/api/v1/offices/alpha/dummy/staff").status_code == 401


def test_logout_ends_the_session_at_the_provider_too(sso_client: TestClient, provider: OidcProvider) -> None:
    sign_in(sso_client, "anna")
    page = sso_client.get("/login?lang=en", headers=HTML)
    out = sso_client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    location = out.headers["location"]
    assert location.startswith(f"{provider.url}/session/end?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == [f"{APP_BASE}/login"] and query["client_id"] == ["mbk"]
    assert query["id_token_hint"][0].count(".") == 2  # the ID token of this login
    assert sso_client.get("/api/v1/offices/alpha/dummy/staff").status_code == 401
    with httpx.Client() as browser:
        assert browser.get(location).status_code == 200  # the provider knows the token and asks to confirm


def test_a_provider_that_does_not_answer_is_a_503_that_says_so(make_context: Callable[..., AppContext],
                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    ctx = make_context(deployment=sso_deployment(tmp_path, f"http://127.0.0.1:{free_port()}"), plugins=with_dummy())
    with TestClient(create_app(ctx)) as client:
        answer = client.get("/login/sso?lang=en", headers=HTML, follow_redirects=False)
    assert answer.status_code == 503 and "The identity provider does not answer" in answer.text


def test_local_passwords_can_be_switched_off(make_context: Callable[..., AppContext], tmp_path: Path,
                                             provider: OidcProvider) -> None:
    ctx = make_context(deployment=sso_deployment(tmp_path, provider.url, local_passwords=False),
                       plugins=with_dummy(), base_url=APP_BASE)
    with ctx.db.session() as session:
        auth.create_user(session, "local", PASSWORD, office_id="alpha", role="admin")
    with TestClient(create_app(ctx), base_url=APP_BASE, cookies={"mbk_lang": "en"}) as client:
        page = client.get("/login?lang=en", headers=HTML)
        assert 'name="password"' not in page.text and "Sign in with the City" in page.text
        refused = client.post("/login", data={"username": "local", "password": PASSWORD, "next": "/",
                                              "csrf_token": csrf_of(page.text)}, headers=HTML)
        assert refused.status_code == 403 and client.get("/alpha/admin", headers=HTML, follow_redirects=False
                                                         ).status_code == 303
        token = client.post("/api/v1/auth/token", data={"username": "local", "password": PASSWORD})
        assert (token.status_code, token.json()["error"]) == (403, "passwords_off")
        assert sign_in(client, "anna").status_code == 303


def test_break_glass_lets_platform_admins_in_with_a_password_when_the_provider_is_down(
        make_context: Callable[..., AppContext], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    down = f"http://127.0.0.1:{free_port()}"  # nothing answers there
    ctx = make_context(deployment=sso_deployment(tmp_path, down, local_passwords=False, break_glass=True),
                       plugins=with_dummy())
    with ctx.db.session() as session:
        auth.create_user(session, "root", PASSWORD, platform_admin=True)  # as `mbk user add --platform-admin`
        auth.create_user(session, "local", PASSWORD, office_id="alpha", role="admin")
        auth.create_user(session, "sso-admin", PASSWORD, platform_admin=True).sso_subject = "sso-admin"
    with TestClient(create_app(ctx), cookies={"mbk_lang": "en"}) as client:
        assert client.get("/login/sso", headers=HTML, follow_redirects=False).status_code == 503
        page = client.get("/login?lang=en", headers=HTML)
        assert "Emergency login for platform admins" in page.text and 'name="password"' in page.text
        for username, password in (("local", PASSWORD), ("sso-admin", PASSWORD), ("root", "not-the-password")):
            refused = client.post("/login", data={"username": username, "password": password, "next": "/alpha/admin",
                                                  "csrf_token": csrf_of(page.text)}, headers=HTML)
            assert refused.status_code == 401 and "Wrong username or password." in refused.text, username
        token = client.post("/api/v1/auth/token", data={"username": "root", "password": PASSWORD})
        assert (token.status_code, token.json()["error"]) == (403, "passwords_off")  # the browser only
        assert client.get("/alpha/admin", headers=HTML, follow_redirects=False).status_code == 303
        entered = client.post("/login", data={"username": "root", "password": PASSWORD, "next": "/alpha/admin",
                                              "csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert (entered.status_code, entered.headers["location"]) == (303, "/alpha/admin")
        assert client.get("/alpha/admin", headers=HTML).status_code == 200
    with ctx.db.session() as session:
        logins = [(e.actor, e.action) for e in session.scalars(select(auth.AuditEntry)) if e.action.startswith("login")]
    assert logins == [("user:root", "login.break_glass")]


def test_mbk_check_says_whether_anyone_can_get_in_when_the_provider_is_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    monkeypatch.setattr(cli_support, "load_plugins", with_dummy)
    notes = {}
    for local_passwords, break_glass in ((True, False), (False, False), (False, True)):
        root = sso_deployment(tmp_path / f"{local_passwords}-{break_glass}", "https://login.example.org",
                              local_passwords, break_glass)
        checked = CliRunner().invoke(mbk.cli, ["check", "--deployment", str(root)])
        assert checked.exit_code == 0, checked.output
        notes[(local_passwords, break_glass)] = [line for line in checked.output.splitlines()
                                                 if line.startswith("sso: ")]
    assert notes[(True, False)] == []
    assert "when the identity provider is down, nobody can log in" in notes[(False, False)][0]
    assert "audited as login.break_glass" in notes[(False, True)][0]


@pytest.mark.parametrize(("change", "key", "message"), [
    (("https://login.example.org", "ftp://login.example.org"), "sso.issuer", "is not an issuer URL"),
    (("https://login.example.org", "http://login.example.org"), "sso.issuer", "plain http only on this machine"),
    (('client_secret_env = "MBK_TEST_SSO_SECRET"', 'client_secret_env = "MBK_NOT_SET_ANYWHERE"'),
     "sso.client_secret_env", "environment variable MBK_NOT_SET_ANYWHERE (the SSO client secret) is not set"),
    (('client_secret_env = "MBK_TEST_SSO_SECRET"', 'client_secret_env = "not a name"'),
     "sso.client_secret_env", "should match pattern"),
    (('office = "gamma"', 'office = "atlantis"'), "sso.groups[2].office", "unknown office 'atlantis'"),
    (('roles = ["officer"]', 'roles = ["boss"]'), "sso.groups[2].roles[0]", "Input should be"),
    (('{ group = "it", platform_admin = true }', '{ group = "it" }'), "sso.groups[3]",
     "give either office and roles, or platform_admin = true"),
    (("break_glass = false", "break_glass = true"), "sso", "applies only with local_passwords = false"),
])
def test_mbk_check_validates_the_sso_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             change: tuple[str, str], key: str, message: str) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    monkeypatch.delenv("MBK_NOT_SET_ANYWHERE", raising=False)
    root = sso_deployment(tmp_path, "https://login.example.org")
    assert load_deployment(root, with_dummy()).sso.issuer == "https://login.example.org"
    platform = root / "platform.toml"
    platform.write_text(platform.read_text().replace(*change))
    with pytest.raises(ConfigError) as raised:
        load_deployment(root, with_dummy())
    found = [p for p in raised.value.problems if p.path == key]
    assert found and message in found[0].message, raised.value.problems
