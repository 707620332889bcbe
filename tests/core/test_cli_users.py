"""`mbk user`, `mbk device`, `mbk events` and the core part of `mbk purge`, run through Typer's CliRunner
against a migrated database (SQLite and PostgreSQL), then checked through the public web app."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from core import auth, cli_support, devices
from core import cli as mbk
from core.db import utcnow
from core.dispatch import Dispatcher
from core.events import EventDelivery, OutboxEvent, publish
from core.web.app import AppContext, create_app
from tests.core import dummy
from tests.core.test_auth import OFFICE
from tests.core.test_plugin_contract import with_dummy, write_deployment

SECRET = "a-long-enough-passphrase"


@pytest.fixture
def ctx(make_context: Callable[..., AppContext], tmp_path: Path, db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> AppContext:
    root = write_deployment(tmp_path / "dep", {o: OFFICE.format(id=o) for o in ("alpha", "gamma")})
    monkeypatch.setenv("MBK_DATABASE_URL", db_url)
    monkeypatch.setenv("MBK_DEPLOYMENT", str(root))
    monkeypatch.setenv("MBK_SECRET_KEY", "test-secret-key-0123456789")
    monkeypatch.setattr(cli_support, "load_plugins", with_dummy)  # the plugins of the test, not whatever is installed
    return make_context(deployment=root, plugins=with_dummy())


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(mbk.cli, list(args), input=input)


def token_status(client: TestClient, username: str, password: str = SECRET) -> int:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password}).status_code


def test_user_add_list_disable(ctx: AppContext, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    added = run("user", "add", "--office", "alpha", "--role", "guide", "--username", "kim", input=SECRET + "\n")
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "user kim created: guide at alpha"
    assert run("user", "add", "--office", "gamma", "--role", "admin", "--username", "kim").output.strip() == (
        "user kim role added: admin at gamma")
    assert run("user", "add", "--platform-admin", "--username", "root", input=SECRET + "\n").exit_code == 0
    listed = run("user", "list")
    assert listed.output.splitlines() == ["kim: guide@alpha, admin@gamma", "root platform-admin: -"]
    assert run("user", "list", "--office", "gamma").output.splitlines() == ["kim: admin@gamma"]
    with TestClient(create_app(ctx)) as client:
        assert token_status(client, "kim") == 200
        assert run("user", "disable", "kim").output.strip() == "user kim disabled"
        assert token_status(client, "kim") == 401
    assert "kim DISABLED: guide@alpha, admin@gamma" in run("user", "list").output
    with ctx.db.session() as session:
        stored = auth.find_user(session, "kim").password_hash
        trail = [(e.actor.split(":")[0], e.action, e.office_id) for e in session.scalars(
            select(auth.AuditEntry).order_by(auth.AuditEntry.id))]
    assert stored.startswith("$argon2id$")
    assert ("cli", "user.created", "alpha") in trail and ("cli", "user.role_added", "gamma") in trail
    assert ("cli", "user.disabled", "alpha") in trail and ("cli", "user.disabled", "gamma") in trail
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert SECRET not in logged and SECRET not in added.output


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("--office", "atlantis", "--role", "guide"), SECRET, "unknown office 'atlantis'"),
    (("--office", "alpha", "--role", "boss"), SECRET, "Unknown role 'boss'"),
    (("--role", "guide",), SECRET, "--role needs --office"),
    ((), SECRET, "give --office and --role, or --platform-admin"),
    (("--office", "alpha", "--role", "guide"), "short", "at least 10 characters"),
])
def test_user_add_explains_what_is_wrong(ctx: AppContext, args: tuple[str, ...], stdin: str, message: str) -> None:
    result = run("user", "add", "--username", "kim", *args, input=stdin + "\n")
    assert result.exit_code == 2 and message in result.output
    assert "kim" not in run("user", "list").output


def test_disable_unknown_user(ctx: AppContext) -> None:
    result = run("user", "disable", "nobody")
    assert result.exit_code == 2 and "No user 'nobody'" in result.output


def test_device_add_link_list_revoke(ctx: AppContext) -> None:
    added = run("device", "add", "--office", "alpha", "--kind", "kiosk", "--name", "Entrance 1")
    assert added.exit_code == 0, added.output
    link = re.search(r"http://127\.0\.0\.1:8000(/alpha/enrol\?code=\S+)", added.output).group(1)
    token = re.search(r"token \(for API clients, shown only now\): (mbkd_\S+)", added.output).group(1)
    assert re.search(r"^\s+1 alpha\s+kiosk\s+Entrance 1\s+not enrolled\s+last seen never$",
                     run("device", "list").output, re.M)
    with ctx.db.session() as session:
        device = session.scalars(select(devices.Device)).one()
        assert token not in (device.token_hash, device.enrolment_code_hash) and len(device.token_hash) == 64
    with TestClient(create_app(ctx)) as client:
        enrolled = client.get(link, headers={"accept": "text/html"}, follow_redirects=False)
        assert (enrolled.status_code, enrolled.headers["location"]) == (303, "/alpha/dummy")
        assert client.get("/api/v1/offices/alpha/dummy/kiosk").json() == {"kind": "device", "name": "Entrance 1"}
        api = TestClient(client.app, headers={"Authorization": f"Bearer {token}"})
        assert api.get("/api/v1/offices/alpha/dummy/kiosk").status_code == 200
        assert "active" in run("device", "list", "--office", "alpha").output
        assert run("device", "list", "--office", "gamma").output == ""
        assert run("device", "revoke", "1").output.strip() == "device 1 revoked"
        assert client.get("/api/v1/offices/alpha/dummy/kiosk").status_code == 401
        assert api.get("/api/v1/offices/alpha/dummy/kiosk").status_code == 401
    assert "revoked" in run("device", "list").output


@pytest.mark.parametrize(("args", "message"), [
    (("--office", "atlantis", "--kind", "kiosk", "--name", "X"), "unknown office 'atlantis'"),
    (("--office", "alpha", "--kind", "toaster", "--name", "X"), "Unknown kind of device 'toaster'"),
    (("--office", "alpha", "--kind", "kiosk", "--name", " "), "A device needs a name"),
])
def test_device_add_explains_what_is_wrong(ctx: AppContext, args: tuple[str, ...], message: str) -> None:
    result = run("device", "add", *args)
    assert result.exit_code == 2 and message in result.output


def test_revoke_unknown_device(ctx: AppContext) -> None:
    result = run("device", "revoke", "42")
    assert result.exit_code == 2 and "No device with id 42" in result.output


def test_events_failed_and_retry(ctx: AppContext) -> None:
    dummy.calls.clear()
    assert run("events", "failed").output.strip() == "no failed deliveries"
    with ctx.db.session() as session:
        publish(session, "alpha", dummy.DummyHappened(value=13))
    Dispatcher(ctx.db, ctx.plugins, ctx.deployment, max_attempts=1).run_once()
    failed = run("events", "failed")
    assert re.search(r"^\s+1 alpha\s+dummy\.happened\s+-> dummy\s+attempts=1 error=RuntimeError: unlucky number$",
                     failed.output, re.M), failed.output
    assert run("events", "retry", "1").output.strip() == "delivery 1 queued again"
    assert run("events", "failed").output.strip() == "no failed deliveries"
    with ctx.db.session() as session:
        assert session.get(EventDelivery, 1).status == "pending"
        assert [e.action for e in session.scalars(select(auth.AuditEntry))] == ["event.retry"]
    missing = run("events", "retry", "1")
    assert missing.exit_code == 2 and "no failed delivery 1" in missing.output


def test_purge_deletes_delivered_events_past_retention(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    with ctx.db.session() as session:
        for value in (1, 2, 13, 4):
            publish(session, "alpha", dummy.DummyHappened(value=value))
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    dispatcher.run_once()
    with ctx.db.session() as session:
        # 1 and 13 are old; 13 is still being retried, so it stays; 2 and 4 are recent
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([1, 3]))
                        .values(created_at=utcnow() - timedelta(days=8)))
    result = run("purge")
    assert result.exit_code == 0, result.output
    assert "delivered events older than 7 day(s): 1 deleted" in result.output
    with ctx.db.session() as session:
        assert list(session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id))) == [2, 3, 4]
        assert 1 not in set(session.scalars(select(EventDelivery.event_id)))
    assert "expired sessions and old login failures: 0 deleted" in result.output
    monkeypatch.setenv("MBK_EVENT_RETENTION_DAYS", "1")
    with ctx.db.session() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.id == 2).values(created_at=utcnow() - timedelta(days=2)))
    assert "delivered events older than 1 day(s): 1 deleted" in run("purge").output


def test_purge_deletes_expired_sessions_and_old_login_failures(ctx: AppContext) -> None:
    long_ago = utcnow() - timedelta(days=1)
    with ctx.db.session() as session:
        user = auth.create_user(session, "kim", SECRET, office_id="alpha", role="guide")
        live = auth.start_session(session, user)
        auth.start_session(session, user, now=long_ago)
    with pytest.raises(auth.AuthError):
        auth.authenticate(ctx.db, "kim", "wrong password", "10.1.2.3")
    with pytest.raises(auth.AuthError):
        auth.authenticate(ctx.db, "kim", "wrong password", "10.1.2.3", now=long_ago)
    assert "expired sessions and old login failures: 3 deleted" in run("purge").output  # 1 session, 2 failures
    with ctx.db.session() as session:
        assert auth.user_from_session(session, live).username == "kim"
        assert {f.key for f in session.scalars(select(auth.LoginFailure))} == {"user:kim", "addr:10.1.2.3"}


def test_user_password_and_enable(ctx: AppContext) -> None:
    run("user", "add", "--office", "alpha", "--role", "guide", "--username", "kim", input=SECRET + "\n")
    with ctx.db.session() as session:
        kim = auth.find_user(session, "kim")
        browser_login = auth.start_session(session, kim)
        old_token = {"Authorization": f"Bearer {auth.issue_token(ctx.secret_key, kim)}"}
    new_secret = "another-long-passphrase"
    assert run("user", "password", "kim", input="short\n").exit_code == 2
    changed = run("user", "password", "kim", input=new_secret + "\n")
    assert changed.output.strip() == "user kim: password set"
    with TestClient(create_app(ctx)) as client:
        assert client.get("/api/v1/offices/alpha/dummy/staff", headers=old_token).status_code == 401
        assert token_status(client, "kim") == 401
        assert token_status(client, "kim", new_secret) == 200
        run("user", "disable", "kim")
        assert token_status(client, "kim", new_secret) == 401
        assert run("user", "enable", "kim").output.strip() == "user kim enabled"
        assert token_status(client, "kim", new_secret) == 200
    with ctx.db.session() as session:
        assert auth.user_from_session(session, browser_login) is None  # the new password logged the browser out
        trail = [e.action for e in session.scalars(select(auth.AuditEntry).where(auth.AuditEntry.actor.like("cli:%"))
                                                   .order_by(auth.AuditEntry.id))]
    assert trail == ["user.created", "user.password_set", "user.disabled", "user.enabled"]
    missing = run("user", "password", "nobody", input=new_secret + "\n")
    assert missing.exit_code == 2 and "No user 'nobody'" in missing.output
