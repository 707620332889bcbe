"""Who may do what: staff roles per office, platform admins, devices, tokens, the login page and its session,
CSRF, throttling and the audit log, through real endpoints (core's and the dummy plugin's), on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from core import auth, devices
from core.web.app import AppContext
from tests.core.test_plugin_contract import with_dummy, write_deployment
from tests.support import PASSWORD, bearer, device_header

HTML = {"accept": "text/html"}
OFFICE = """
[office]
id = "{id}"
name = {{ sv = "{id}" }}
languages = ["sv", "en"]
[plugins]
enabled = ["dummy"]
[plugins.dummy]
greeting = "hej"
"""


@pytest.fixture
def ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    root = write_deployment(tmp_path / "dep", {o: OFFICE.format(id=o) for o in ("alpha", "gamma")})
    return make_context(deployment=root, plugins=with_dummy())


@pytest.fixture
def staff(make_user: Callable[..., str]) -> dict[str, str]:
    """One user per role at alpha, a guide at gamma, a platform admin."""
    users = {role: make_user(f"{role}-a", "alpha", role) for role in auth.ROLES}
    users["guide-g"] = make_user("guide-g", "gamma", "guide")
    users["root"] = make_user("root", None, None, platform_admin=True)
    return users


def csrf_of(page_text: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page_text).group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next: str = "/alpha/admin"):  # noqa: ANN201
    form = client.get("/login?lang=en", headers=HTML)  # the page is Swedish by default; the texts below are English
    return client.post("/login", data={"username": username, "password": password, "next": next,
                                       "csrf_token": csrf_of(form.text)}, follow_redirects=False)


# --- Roles and offices ------------------------------------------------------------------------------

STAFF_ENDPOINT = "/api/v1/offices/{office}/dummy/staff"
# user → (dummy staff route at alpha, at gamma, admin page at alpha, audit JSON at alpha)
EXPECTED = {
    "admin": (200, 403, 200, 200),
    "guide": (200, 403, 403, 403),
    "officer": (403, 403, 403, 403),
    "viewer": (403, 403, 200, 403),
    "guide-g": (403, 200, 403, 403),
    "root": (200, 200, 200, 200),
}


def test_every_role_reaches_only_what_it_may_at_its_own_office(client: TestClient, staff: dict[str, str]) -> None:
    for who, expected in EXPECTED.items():
        headers = bearer(client, staff[who])
        got = (client.get(STAFF_ENDPOINT.format(office="alpha"), headers=headers).status_code,
               client.get(STAFF_ENDPOINT.format(office="gamma"), headers=headers).status_code,
               client.get("/alpha/admin", headers={**headers, **HTML}).status_code,
               client.get("/api/v1/offices/alpha/audit", headers=headers).status_code)
        assert got == expected, who


def test_forbidden_is_json_naming_the_office(client: TestClient, staff: dict[str, str]) -> None:
    response = client.get(STAFF_ENDPOINT.format(office="gamma"), headers=bearer(client, staff["guide"]))
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "Not allowed for office 'gamma'."}


def test_anonymous_and_bad_tokens_are_401(client: TestClient) -> None:
    assert client.get(STAFF_ENDPOINT.format(office="alpha")).status_code == 401
    bad = client.get(STAFF_ENDPOINT.format(office="alpha"), headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    forged = client.get(STAFF_ENDPOINT.format(office="alpha"), headers={"Authorization": "Bearer mbkd_forged"})
    assert forged.status_code == 401
    # the admin page sends a browser without a login to the login page
    page = client.get("/alpha/admin", headers=HTML, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/alpha/admin")
    # ... and back to the very page, query included
    page = client.get("/alpha/admin?lang=en", headers=HTML, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/alpha/admin%3Flang%3Den")


def test_expired_token_is_rejected(client: TestClient, staff: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    issued_long_ago = int(time.time() - auth.TOKEN_LIFETIME.total_seconds() - 60)
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: issued_long_ago)
        headers = bearer(client, staff["guide"])
    response = client.get(STAFF_ENDPOINT.format(office="alpha"), headers=headers)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_disabled_user_loses_tokens_and_sessions_at_once(client: TestClient, ctx: AppContext,
                                                         staff: dict[str, str]) -> None:
    headers = bearer(client, staff["admin"])
    assert login(client, staff["admin"]).status_code == 303
    assert client.get("/alpha/admin", headers=HTML).status_code == 200
    with ctx.db.session() as session:
        auth.find_user(session, staff["admin"]).disabled = True
    assert client.get(STAFF_ENDPOINT.format(office="alpha"), headers=headers).status_code == 401
    assert client.get("/alpha/admin", headers=HTML, follow_redirects=False).headers["location"].startswith("/login")
    refused = client.post("/api/v1/auth/token", data={"username": staff["admin"], "password": PASSWORD})
    assert refused.status_code == 401


# --- Devices ----------------------------------------------------------------------------------------


def test_device_token_works_only_for_its_office_and_kind(client: TestClient, ctx: AppContext,
                                                         staff: dict[str, str]) -> None:
    kiosk = device_header(ctx, "alpha", "kiosk", "Entrance 1")
    display = device_header(ctx, "alpha", "display", "Board")
    other_kiosk = device_header(ctx, "gamma", "kiosk", "Entrance G")
    assert client.get("/api/v1/offices/alpha/dummy/kiosk", headers=kiosk).json() == {"kind": "device",
                                                                                     "name": "Entrance 1"}
    assert client.get("/api/v1/offices/gamma/dummy/kiosk", headers=kiosk).status_code == 403
    assert client.get("/api/v1/offices/alpha/dummy/kiosk", headers=display).status_code == 403
    assert client.get("/api/v1/offices/alpha/dummy/kiosk", headers=other_kiosk).status_code == 403
    # a kiosk is not staff
    assert client.get(STAFF_ENDPOINT.format(office="alpha"), headers=kiosk).status_code == 403
    assert client.get("/alpha/admin", headers={**kiosk, **HTML}).status_code == 403
    assert client.get("/api/v1/offices/alpha/audit", headers=kiosk).status_code == 403
    # and staff are not a kiosk
    assert client.get("/api/v1/offices/alpha/dummy/kiosk", headers=bearer(client, staff["admin"])).status_code == 403


def test_revoked_device_gets_401(client: TestClient, ctx: AppContext) -> None:
    kiosk = device_header(ctx, "alpha", "kiosk", "Entrance 1")
    with ctx.db.session() as session:
        device = session.scalars(select(devices.Device)).one()
        devices.revoke_device(session, device.id)
    response = client.get("/api/v1/offices/alpha/dummy/kiosk", headers=kiosk)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def enrolment_code(ctx: AppContext, office: str = "alpha", kind: str = "kiosk") -> tuple[int, str]:
    with ctx.db.session() as session:
        device, _token = devices.enrol_device(session, office, kind, "Entrance 1")
        return device.id, devices.new_enrolment_code(device)


def test_enrolment_link_works_once_sets_the_device_cookie_and_opens_the_device_page(
        client: TestClient, ctx: AppContext) -> None:
    device_id, code = enrolment_code(ctx)
    assert client.get(f"/gamma/enrol?code={code}", headers=HTML).status_code == 403  # another office's link
    response = client.get(f"/alpha/enrol?code={code}", headers=HTML, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/alpha/dummy")  # the dummy's kiosk page
    cookie = response.headers["set-cookie"]
    assert "mbk_device=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/api/v1/offices/alpha/dummy/kiosk").json()["name"] == "Entrance 1"
    # the link is spent: a second browser cannot enrol with it
    again = TestClient(client.app).get(f"/alpha/enrol?code={code}", headers=HTML)
    assert again.status_code == 403
    # revoking the device ends the cookie too
    with ctx.db.session() as session:
        devices.revoke_device(session, device_id)
    assert client.get("/api/v1/offices/alpha/dummy/kiosk").status_code == 401


def test_device_cookie_posts_need_the_csrf_header(client: TestClient, ctx: AppContext) -> None:
    _, code = enrolment_code(ctx)
    client.get(f"/alpha/enrol?code={code}", headers=HTML)
    # a kiosk's page may not do staff things, with or without the token
    page = client.get("/alpha", headers=HTML)
    refused = client.post("/api/v1/offices/alpha/dummy/staff-action")
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert client.post("/api/v1/offices/alpha/dummy/staff-action",
                       headers={"X-CSRF-Token": csrf_of(page.text)}).status_code == 403


# --- Passwords --------------------------------------------------------------------------------------


def test_passwords_are_argon2_and_never_stored_or_logged(client: TestClient, ctx: AppContext,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    secret = "a-very-secret-passphrase"
    caplog.set_level("DEBUG")
    with ctx.db.session() as session:
        auth.create_user(session, "kim", secret, office_id="alpha", role="guide")
    for attempt in ("wrong-password-1", secret + "x"):  # 4 failures: still below the throttle
        client.post("/api/v1/auth/token", data={"username": "kim", "password": attempt})
        login(client, "kim", attempt)
    assert client.post("/api/v1/auth/token", data={"username": "kim", "password": secret}).status_code == 200
    assert login(client, "kim", secret).status_code == 303
    with ctx.db.session() as session:
        stored = auth.find_user(session, "kim").password_hash
        assert stored.startswith("$argon2id$") and secret not in stored
        every_text = " ".join(str(value) for table in ("core_user", "core_audit", "core_login_failure",
                                                         "core_session")
                              for row in session.execute(select(auth.Base.metadata.tables[table])).all()
                              for value in row)
    assert secret not in every_text and "wrong-password" not in every_text
    logged = " ".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert "wrong-password" not in logged and secret not in logged


def test_a_login_rehashes_under_new_parameters_and_its_token_works(
        client: TestClient, staff: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    headers = bearer(client, staff["guide"])
    assert client.get(STAFF_ENDPOINT.format(office="alpha"), headers=headers).status_code == 200
    with client.app.state.ctx.db.session() as session:
        assert ",t=2," in auth.find_user(session, staff["guide"]).password_hash


def test_short_passwords_are_refused(ctx: AppContext) -> None:
    with pytest.raises(ValueError, match="at least 10"), ctx.db.session() as session:
        auth.create_user(session, "kim", "short", office_id="alpha", role="guide")


# --- Login page, session cookie, CSRF ---------------------------------------------------------------


def test_login_page_sets_a_signed_httponly_samesite_session(client: TestClient, staff: dict[str, str]) -> None:
    response = login(client, staff["admin"])
    assert (response.status_code, response.headers["location"]) == (303, "/alpha/admin")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mbk_session=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert client.get("/alpha/admin", headers=HTML).status_code == 200
    # a tampered cookie is not accepted; it replaces the cookie in the jar (set for the same domain), or the client
    # would send both and the server may read the untouched one
    value = client.cookies.get("mbk_session")
    client.cookies.set("mbk_session", value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb"),
                       domain=next(c.domain for c in client.cookies.jar if c.name == "mbk_session"))
    assert len([c for c in client.cookies.jar if c.name == "mbk_session"]) == 1
    assert client.get("/alpha/admin", headers=HTML, follow_redirects=False).status_code == 303


def test_wrong_password_on_the_login_page(client: TestClient, staff: dict[str, str]) -> None:
    response = login(client, staff["admin"], "not the password")
    assert response.status_code == 401 and "Wrong username or password." in response.text


def test_forms_without_the_csrf_token_are_refused(client: TestClient, staff: dict[str, str]) -> None:
    client.get("/login", headers=HTML)
    refused = client.post("/login", data={"username": staff["admin"], "password": PASSWORD}, headers=HTML)
    assert refused.status_code == 403
    wrong = client.post("/login", data={"username": staff["admin"], "password": PASSWORD, "csrf_token": "x"})
    assert wrong.status_code == 403
    assert login(client, staff["admin"]).status_code == 303
    assert client.post("/logout", follow_redirects=False).status_code == 403
    # with a session cookie, API writes need the header (a bearer token needs none)
    assert client.post("/api/v1/offices/alpha/dummy/staff-action").status_code == 403
    page = client.get("/alpha/admin", headers=HTML)
    assert client.post("/api/v1/offices/alpha/dummy/staff-action",
                       headers={"X-CSRF-Token": csrf_of(page.text)}).status_code == 200
    fresh = TestClient(client.app)
    assert fresh.post("/api/v1/offices/alpha/dummy/staff-action",
                      headers=bearer(fresh, staff["guide"])).status_code == 200


def test_logout_ends_the_session_even_for_a_copied_cookie(client: TestClient, staff: dict[str, str]) -> None:
    login(client, staff["admin"])
    copied = client.cookies.get("mbk_session")
    page = client.get("/alpha/admin", headers=HTML)
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert client.get("/alpha/admin", headers=HTML, follow_redirects=False).status_code == 303
    thief = TestClient(client.app, cookies={"mbk_session": copied})
    assert thief.get("/alpha/admin", headers=HTML, follow_redirects=False).status_code == 303


def test_login_starts_a_fresh_session(client: TestClient, staff: dict[str, str]) -> None:
    """Session fixation: nothing a browser held before logging in (cookie, CSRF token) is valid after."""
    before_page = client.get("/login", headers=HTML)
    before_cookie, before_csrf = client.cookies.get("mbk_session"), csrf_of(before_page.text)
    client.post("/login", data={"username": staff["admin"], "password": PASSWORD, "csrf_token": before_csrf},
                follow_redirects=False)
    after_page = client.get("/alpha/admin", headers=HTML)
    assert after_page.status_code == 200
    assert client.cookies.get("mbk_session") != before_cookie and csrf_of(after_page.text) != before_csrf
    planted = TestClient(client.app, cookies={"mbk_session": before_cookie})
    assert planted.get("/alpha/admin", headers=HTML, follow_redirects=False).status_code == 303
    # logging in as someone else replaces the first login
    first_cookie = client.cookies.get("mbk_session")
    login(client, staff["viewer"])
    earlier = TestClient(client.app, cookies={"mbk_session": first_cookie})
    assert earlier.get("/alpha/admin", headers=HTML, follow_redirects=False).status_code == 303


def test_login_redirects_only_within_the_site(client: TestClient, staff: dict[str, str]) -> None:
    for target, expected in (("//evil.example", "/"), ("/\\evil.example", "/"), ("https://evil.example", "/"),
                             ("/gamma/admin", "/gamma/admin")):
        client.cookies.clear()
        assert login(client, staff["root"], next=target).headers["location"] == expected


def test_sessions_expire(ctx: AppContext, staff: dict[str, str]) -> None:
    with ctx.db.session() as session:
        user = auth.find_user(session, staff["guide"])
        sid = auth.start_session(session, user)
    with ctx.db.session() as session:
        assert auth.user_from_session(session, sid).username == staff["guide"]
        later = auth.utcnow() + auth.SESSION_LIFETIME
        assert auth.user_from_session(session, sid, now=later) is None


# --- Throttling -------------------------------------------------------------------------------------


def token_attempt(client: TestClient, username: str, password: str):  # noqa: ANN201
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_failed_logins_are_slowed_per_username_on_the_token_endpoint(client: TestClient,
                                                                      staff: dict[str, str]) -> None:
    for _ in range(auth.THROTTLE_FREE_FAILURES_PER_USER):
        assert token_attempt(client, staff["guide"], "wrong password").status_code == 401
    throttled = token_attempt(client, staff["guide"], PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= auth.THROTTLE_FIRST_WAIT_SECONDS + 1
    assert throttled.json()["error"] == "too_many_attempts"
    # another user from the same address is not affected (the address has more room)
    assert token_attempt(client, staff["admin"], PASSWORD).status_code == 200


def test_failed_logins_are_slowed_on_the_login_page(client: TestClient, staff: dict[str, str]) -> None:
    for _ in range(auth.THROTTLE_FREE_FAILURES_PER_USER):
        assert login(client, staff["guide"], "wrong password").status_code == 401
    throttled = login(client, staff["guide"])
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "Too many failed attempts" in throttled.text


def test_failed_logins_are_slowed_per_address(client: TestClient, staff: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "THROTTLE_FREE_FAILURES_PER_ADDRESS", 3)
    for name in ("nobody-1", "nobody-2", "nobody-3"):  # one try each: per username they would all be free
        assert token_attempt(client, name, "guess").status_code == 401
    assert token_attempt(client, staff["admin"], PASSWORD).status_code == 429


def test_a_success_resets_the_count(client: TestClient, staff: dict[str, str]) -> None:
    for _ in range(auth.THROTTLE_FREE_FAILURES_PER_USER - 1):
        token_attempt(client, staff["guide"], "wrong password")
    assert token_attempt(client, staff["guide"], PASSWORD).status_code == 200
    for _ in range(auth.THROTTLE_FREE_FAILURES_PER_USER - 1):
        assert token_attempt(client, staff["guide"], "wrong password").status_code == 401
    assert token_attempt(client, staff["guide"], PASSWORD).status_code == 200


def test_waits_double_and_end(ctx: AppContext, staff: dict[str, str]) -> None:
    now = auth.utcnow()
    for _ in range(auth.THROTTLE_FREE_FAILURES_PER_USER):
        with pytest.raises(auth.AuthError):
            auth.authenticate(ctx.db, staff["guide"], "wrong password", "10.0.0.1", now=now)
    with pytest.raises(auth.Throttled) as first:
        auth.authenticate(ctx.db, staff["guide"], PASSWORD, "10.0.0.1", now=now)
    later = now + auth.timedelta(seconds=first.value.retry_after)
    with pytest.raises(auth.AuthError):  # allowed to try again, fails once more: the wait doubles
        auth.authenticate(ctx.db, staff["guide"], "wrong password", "10.0.0.1", now=later)
    with pytest.raises(auth.Throttled) as second:
        auth.authenticate(ctx.db, staff["guide"], PASSWORD, "10.0.0.1", now=later)
    assert second.value.retry_after > first.value.retry_after
    after_wait = later + auth.timedelta(seconds=second.value.retry_after)
    assert auth.authenticate(ctx.db, staff["guide"], PASSWORD, "10.0.0.1", now=after_wait).username == "guide-a"
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(auth.LoginFailure)) == 0


class CountingHasher(PasswordHasher):
    """argon2 at the tests' cost that counts its password checks (thread-safe: parallel logins share it)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's own name
        with self._lock:
            self.checks += 1
        return super().verify(hash, password)


def test_parallel_wrong_passwords_get_no_more_checks_than_the_throttle_allows(
        ctx: AppContext, staff: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    attempts = 40
    start = threading.Barrier(10)

    def attempt(_: int) -> str:
        if _ < 10:
            start.wait()  # the first ten leave together: the most overlap a pool of ten can give
        try:
            auth.authenticate(ctx.db, staff["guide"], "wrong password", "10.0.0.7")
        except auth.Throttled:
            return "throttled"
        except auth.AuthError:
            return "refused"
        return "accepted"

    # ten at a time: PostgreSQL's connections are shared by every test process
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(attempts)))
    assert hasher.checks == auth.THROTTLE_FREE_FAILURES_PER_USER
    assert outcomes.count("refused") == auth.THROTTLE_FREE_FAILURES_PER_USER
    assert outcomes.count("throttled") == attempts - auth.THROTTLE_FREE_FAILURES_PER_USER
    with ctx.db.session() as session:  # every checked attempt is on record, the throttled ones are not
        keys = session.scalars(select(auth.LoginFailure.key)).all()
    assert sorted(set(keys)) == ["addr:10.0.0.7", f"user:{staff['guide']}"]
    assert keys.count(f"user:{staff['guide']}") == auth.THROTTLE_FREE_FAILURES_PER_USER


# --- Audit log --------------------------------------------------------------------------------------


@pytest.fixture
def audited(client: TestClient, ctx: AppContext, staff: dict[str, str]) -> Iterator[None]:
    for who, office in (("guide", "alpha"), ("guide-g", "gamma")):
        response = client.post(f"/api/v1/offices/{office}/dummy/staff-action", headers=bearer(client, staff[who]))
        assert response.status_code == 200
    _, code = enrolment_code(ctx)
    TestClient(client.app).get(f"/alpha/enrol?code={code}", headers=HTML)
    yield


def test_audit_log_shows_who_did_what_where_and_when_to_office_admins_only(
        client: TestClient, staff: dict[str, str], audited: None) -> None:
    entries = client.get("/api/v1/offices/alpha/audit", headers=bearer(client, staff["admin"])).json()
    assert [(e["actor"], e["action"], e["office"]) for e in entries] == [
        ("device:Entrance 1", "device.enrolled", "alpha"), ("user:guide-a", "dummy.staff_action", "alpha")]
    assert all(auth.utcnow() - auth.datetime.fromisoformat(e["at"]) < auth.timedelta(minutes=5) for e in entries)
    assert client.get("/api/v1/offices/gamma/audit", headers=bearer(client, staff["admin"])).status_code == 403
    gamma = client.get("/api/v1/offices/gamma/audit", headers=bearer(client, staff["root"])).json()
    assert [(e["actor"], e["action"]) for e in gamma] == [("user:guide-g", "dummy.staff_action")]


def test_audit_log_on_the_admin_page(client: TestClient, staff: dict[str, str], audited: None) -> None:
    login(client, staff["admin"])
    page = client.get("/alpha/admin?lang=en", headers=HTML).text
    # who by their username or device name, core's actions by their names, a plugin's as it wrote them
    assert "dummy.staff_action" in page and "<td>guide-a</td>" in page and "<td>Device enrolled</td>" in page
    assert "<td>Device: Entrance 1</td>" in page and "user:" not in page
    assert "guide-g" not in page
    client.cookies.clear()
    login(client, staff["viewer"])
    assert "Audit log" not in client.get("/alpha/admin", headers=HTML).text  # viewers see dashboards only


def test_admin_page_lists_the_office_staff_and_devices(client: TestClient, ctx: AppContext,
                                                       staff: dict[str, str]) -> None:
    device_header(ctx, "alpha", "kiosk", "Entrance 1")
    device_header(ctx, "gamma", "display", "Board G")
    login(client, staff["admin"])
    page = client.get("/alpha/admin?lang=en", headers=HTML).text
    assert "Enrolled devices: 1" in page
    listed = client.get("/alpha/admin/devices?lang=en", headers=HTML).text
    assert "Entrance 1" in listed and "Board G" not in listed
    assert "People with a role at this office: 4" in page  # one per role at alpha; guide-g works at gamma
    people = client.get("/alpha/admin/people?lang=en", headers=HTML).text
    assert re.search(r"<td>guide-a</td>\s*<td>Guide</td>\s*<td>Active</td>", people) and "guide-g" not in people
