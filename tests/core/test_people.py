"""People: office admins and platform admins manage staff accounts through the API and the admin pages, under the
same rules as `mbk user`, every change audited; one-time password links. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core import auth, people
from core.db import utcnow
from core.problems import Conflict
from core.web.app import AppContext
from tests.core.test_auth import HTML, csrf_of, login
from tests.core.test_auth import ctx as ctx  # noqa: F401  (alpha and gamma with the dummy plugin)
from tests.support import PASSWORD, bearer

USERS = "/api/v1/offices/{office}/users"
NEW_SECRET = "a brand new passphrase"


@pytest.fixture
def staff(make_user: Callable[..., str], ctx: AppContext) -> dict[str, str]:
    """Admins and viewers at alpha and gamma, a guide at both, a platform admin."""
    users = {name: make_user(name, office, role) for name, office, role in (
        ("admin-a", "alpha", "admin"), ("viewer-a", "alpha", "viewer"), ("admin-g", "gamma", "admin"),
        ("guide-a", "alpha", "guide"), ("guide-g", "gamma", "guide"), ("both", "alpha", "guide"))}
    with ctx.db.session() as session:
        auth.grant_role(auth.find_user(session, "both"), "gamma", "guide")
    users["root"] = make_user("root", None, None, platform_admin=True)
    return users


def trail(ctx: AppContext) -> list[tuple[str, str, str | None, str]]:
    with ctx.db.session() as session:
        return [(e.actor, e.action, e.office_id, e.detail.get("username", ""))
                for e in session.scalars(select(auth.AuditEntry).where(auth.AuditEntry.action.like("user.%"))
                                         .order_by(auth.AuditEntry.id))]


def path_of(link: str) -> str:
    return urlsplit(link).path + "?" + urlsplit(link).query


def set_password_through(client: TestClient, link: str, password: str = NEW_SECRET):  # noqa: ANN201
    form = client.get(path_of(link) + "&lang=en", headers=HTML)
    assert form.status_code == 200, form.text
    code = re.search(r'name="code" value="([^"]+)"', form.text).group(1)
    return client.post("/password", data={"code": code, "password": password, "repeat": password,
                                          "csrf_token": csrf_of(form.text)}, follow_redirects=False)


def token_status(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password}).status_code


def test_an_office_admin_adds_a_guide_who_sets_a_password_through_the_link_once(
        client: TestClient, ctx: AppContext, staff: dict[str, str]) -> None:
    admin = bearer(client, "admin-a")
    added = client.post(USERS.format(office="alpha"), headers=admin,
                        json={"username": "nina", "display_name": "Nina Berg", "roles": ["guide"]})
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["username"], body["roles"], body["has_password"], body["created"]) == ("nina", ["guide"], False, True)
    assert body["password_link"].startswith(f"{ctx.settings.base_url}/password?code=")
    assert token_status(client, "nina", "any password at all") == 401  # no password yet: nothing logs in
    listed = client.get(USERS.format(office="alpha"), headers=admin).json()
    assert {p["username"]: p["roles"] for p in listed}["nina"] == ["guide"]
    assert "nina" not in {p["username"] for p in client.get(USERS.format(office="gamma"), headers=bearer(
        client, "admin-g")).json()}

    assert set_password_through(client, body["password_link"]).headers["location"] == "/login?password_set=1"
    assert token_status(client, "nina", NEW_SECRET) == 200
    again = client.get(path_of(body["password_link"]) + "&lang=en", headers=HTML)
    assert again.status_code == 404 and "already used" in again.text
    assert ("user:admin-a", "user.created", "alpha", "nina") in trail(ctx)
    assert ("user:nina", "user.password_set", "alpha", "nina") in trail(ctx)


def test_a_password_link_expires_and_a_new_one_replaces_the_old(client: TestClient, ctx: AppContext,
                                                                staff: dict[str, str]) -> None:
    admin = bearer(client, "admin-a")
    first = client.patch(USERS.format(office="alpha") + "/guide-a", headers=admin, json={"password_link": True})
    second = client.patch(USERS.format(office="alpha") + "/guide-a", headers=admin, json={"password_link": True})
    assert first.status_code == second.status_code == 200
    assert client.get(path_of(first.json()["password_link"]), headers=HTML).status_code == 404  # replaced
    assert token_status(client, "guide-a", PASSWORD) == 200  # the old password works until a link is used
    code = urlsplit(second.json()["password_link"]).query.removeprefix("code=")
    with ctx.db.session() as session, pytest.raises(Conflict, match="expired"):
        people.password_link_user(session, code, now=utcnow() + people.PASSWORD_LINK_LIFETIME + timedelta(seconds=1))
    assert set_password_through(client, second.json()["password_link"]).status_code == 303
    assert token_status(client, "guide-a", PASSWORD) == 401 and token_status(client, "guide-a", NEW_SECRET) == 200


def test_roles_change_only_at_the_admins_office_and_disabling_logs_out(client: TestClient, ctx: AppContext,
                                                                      staff: dict[str, str]) -> None:
    admin = bearer(client, "admin-a")
    guide = bearer(client, "guide-a")
    changed = client.patch(USERS.format(office="alpha") + "/both", headers=admin, json={"roles": ["officer", "guide"]})
    assert changed.json()["roles"] == ["guide", "officer"]
    with ctx.db.session() as session:
        assert sorted((r.office_id, r.role) for r in auth.find_user(session, "both").roles) == [
            ("alpha", "guide"), ("alpha", "officer"), ("gamma", "guide")]
    assert client.patch(USERS.format(office="alpha") + "/guide-a", headers=admin,
                        json={"disabled": True}).json()["disabled"] is True
    assert client.get("/api/v1/offices/alpha/dummy/staff", headers=guide).status_code == 401
    assert client.patch(USERS.format(office="alpha") + "/guide-a", headers=admin,
                        json={"disabled": False}).status_code == 200
    assert token_status(client, "guide-a", PASSWORD) == 200
    assert [a for a in trail(ctx) if a[0] == "user:admin-a"] == [
        ("user:admin-a", "user.roles_changed", "alpha", "both"), ("user:admin-a", "user.disabled", "alpha", "guide-a"),
        ("user:admin-a", "user.enabled", "alpha", "guide-a")]


def test_a_viewer_cannot_manage_people(client: TestClient, staff: dict[str, str]) -> None:
    viewer = bearer(client, "viewer-a")
    assert client.get(USERS.format(office="alpha"), headers=viewer).status_code == 403
    assert client.post(USERS.format(office="alpha"), headers=viewer,
                       json={"username": "x", "roles": ["guide"]}).status_code == 403
    assert client.patch(USERS.format(office="alpha") + "/guide-a", headers=viewer,
                        json={"disabled": True}).status_code == 403
    login(client, "viewer-a")
    assert client.get("/alpha/admin/people", headers=HTML).status_code == 403


def test_an_admin_of_one_office_cannot_touch_another_offices_people(client: TestClient, ctx: AppContext,
                                                                    staff: dict[str, str]) -> None:
    admin = bearer(client, "admin-a")
    assert client.get(USERS.format(office="gamma"), headers=admin).status_code == 403
    assert client.post(USERS.format(office="gamma"), headers=admin,
                       json={"username": "x", "roles": ["admin"]}).status_code == 403
    assert client.patch(USERS.format(office="gamma") + "/guide-g", headers=admin,
                        json={"disabled": True}).status_code == 403
    # Through their own office: someone who does not work there is not found, and someone who also works at
    # gamma cannot be locked out or given a new password from alpha.
    assert client.patch(USERS.format(office="alpha") + "/guide-g", headers=admin,
                        json={"roles": []}).status_code == 404
    for change in ({"disabled": True}, {"password_link": True}):
        refused = client.patch(USERS.format(office="alpha") + "/both", headers=admin, json=change)
        assert (refused.status_code, refused.json()["error"]) == (403, "other_offices")
    assert client.patch(USERS.format(office="alpha") + "/root", headers=admin,
                        json={"disabled": True}).status_code == 404
    # The roles at alpha are alpha's business.
    assert client.patch(USERS.format(office="alpha") + "/both", headers=admin, json={"roles": []}).status_code == 200
    with ctx.db.session() as session:
        both = auth.find_user(session, "both")
        assert [(r.office_id, r.role) for r in both.roles] == [("gamma", "guide")] and not both.disabled
    # A platform admin manages every office.
    root = bearer(client, "root")
    assert client.patch(USERS.format(office="gamma") + "/both", headers=root,
                        json={"disabled": True}).json()["disabled"] is True


def test_nobody_disables_themselves_or_drops_their_own_admin_role(client: TestClient, staff: dict[str, str]) -> None:
    admin = bearer(client, "admin-a")
    own = USERS.format(office="alpha") + "/admin-a"
    assert client.patch(own, headers=admin, json={"disabled": True}).json()["error"] == "own_account"
    assert client.patch(own, headers=admin, json={"roles": ["guide"]}).json()["error"] == "own_admin_role"
    assert client.patch(own, headers=admin, json={"roles": ["admin", "guide"]}).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"username": "nina", "roles": []}, "roles"),
    ({"username": "nina", "roles": ["boss"]}, "roles"),
    ({"username": "", "roles": ["guide"]}, "username"),
    ({"username": "nina berg", "roles": ["guide"]}, "username"),
])
def test_bad_people_are_422_naming_the_field(client: TestClient, staff: dict[str, str], body: dict[str, object],
                                           field: str) -> None:
    answer = client.post(USERS.format(office="alpha"), headers=bearer(client, "admin-a"), json=body)
    assert answer.status_code == 422 and field in answer.text, answer.text


def test_adding_someone_from_another_office_gives_them_roles_here_and_keeps_their_password(
        client: TestClient, ctx: AppContext, staff: dict[str, str]) -> None:
    added = client.post(USERS.format(office="alpha"), headers=bearer(client, "admin-a"),
                        json={"username": "guide-g", "roles": ["viewer"]})
    assert added.status_code == 200 and added.json()["created"] is False and added.json()["password_link"] is None
    assert token_status(client, "guide-g", PASSWORD) == 200
    assert ("user:admin-a", "user.role_added", "alpha", "guide-g") in trail(ctx)


def test_the_people_pages_add_change_and_disable(client: TestClient, ctx: AppContext, staff: dict[str, str]) -> None:
    login(client, "admin-a")
    page = client.get("/alpha/admin/people?lang=en", headers=HTML)
    assert page.status_code == 200 and "guide-g" not in page.text
    form = {"csrf_token": csrf_of(page.text), "username": "omar", "display_name": "Omar H", "roles": ["guide"]}
    refused = client.post("/alpha/admin/people", data={**form, "roles": []}, headers=HTML)
    assert refused.status_code == 422 and "Choose at least one role." in refused.text
    assert 'value="omar"' in refused.text  # what was typed is kept
    shown = client.post("/alpha/admin/people", data=form, headers=HTML)
    link = re.search(r'class="mbk-secret-link" href="([^"]+)"', shown.text).group(1)
    assert "omar was added" in shown.text and "No password yet" in shown.text
    person = client.get("/alpha/admin/people/omar?lang=en", headers=HTML)
    csrf = csrf_of(person.text)
    client.post("/alpha/admin/people/omar", data={"csrf_token": csrf, "action": "roles", "roles": ["guide", "viewer"]})
    client.post("/alpha/admin/people/omar", data={"csrf_token": csrf, "action": "disable"})
    with ctx.db.session() as session:
        omar = auth.find_user(session, "omar")
        assert (sorted(r.role for r in omar.roles), omar.disabled) == (["guide", "viewer"], True)
    assert client.post("/alpha/admin/people/omar", data={"action": "enable"}).status_code == 403  # no CSRF token
    refused_link = client.get(path_of(link), headers=HTML)
    assert refused_link.status_code == 404  # a disabled account's link does not work


def test_a_reload_after_a_form_shows_the_same_link_and_voids_none(client: TestClient, ctx: AppContext,
                                                                   staff: dict[str, str]) -> None:
    def link_on(path: str, who: TestClient = client) -> str | None:
        found = re.search(r'class="mbk-secret-link" href="([^"]+)"', who.get(path, headers=HTML).text)
        return found.group(1) if found else None

    login(client, "admin-a")
    csrf = csrf_of(client.get("/alpha/admin/people?lang=en", headers=HTML).text)
    added = client.post("/alpha/admin/people", data={"csrf_token": csrf, "username": "lea", "roles": ["guide"]},
                        follow_redirects=False)
    assert (added.status_code, added.headers["location"]) == (303, "/alpha/admin/people?added=lea")
    first = link_on(added.headers["location"])
    assert first is not None and link_on(added.headers["location"]) == first  # reloaded: the same link
    made = client.post("/alpha/admin/people/lea", data={"csrf_token": csrf, "action": "password_link"},
                       follow_redirects=False)
    assert (made.status_code, made.headers["location"]) == (303, "/alpha/admin/people/lea")
    second = link_on("/alpha/admin/people/lea")
    assert second not in (None, first) and link_on("/alpha/admin/people/lea") == second
    other = TestClient(client.app)  # another admin (a platform admin): no link that is not theirs
    login(other, "root")
    assert link_on("/alpha/admin/people/lea", other) is None
    assert client.get(path_of(second), headers=HTML).status_code == 200  # the reloads voided nothing
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(people.PasswordLink)) == 1  # one link: the latest
