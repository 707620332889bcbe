"""Staff see today's messages (dashboard panel and page) and retry failed ones; `mbk notify test` sends one now;
nothing personal reaches the logs at any level."""

from __future__ import annotations

import inspect
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core import auth, hookspecs
from core.web.app import AppContext, create_app
from plugins import notify
from plugins.notify.worker import Sender
from tests.plugins.notify.conftest import arrive, notify_and_publishers, publish_now
from tests.plugins.notify.fakes import ProviderServer, SmtpServer
from tests.plugins.notify.test_delivery import PHONE, messages, near, sender_for, wait_until
from tests.support import PASSWORD, drain_events, registered_event


def login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def add_user(ctx: AppContext, username: str, role: str) -> str:
    with ctx.db.session() as session:
        auth.create_user(session, username, PASSWORD, office_id="testoffice", role=role)
    return username


def a_failed_message(ctx: AppContext, provider: ProviderServer) -> None:
    """A ticket.near SMS that the provider refused for good."""
    provider.answers.append((400, {}))
    near(ctx)
    sender_for(ctx).run_once()


def test_failed_message_shown_and_retried_by_an_admin(notify_ctx: AppContext, provider: ProviderServer) -> None:
    a_failed_message(notify_ctx, provider)
    add_user(notify_ctx, "boss", "admin")
    with TestClient(create_app(notify_ctx)) as client:
        assert client.get("/testoffice/notify/messages", follow_redirects=False).headers["location"] == \
            "/login?next=/testoffice/notify/messages"
        login(client, "boss")
        dashboard = client.get("/testoffice/admin?lang=sv")
        assert "Meddelanden i dag" in dashboard.text  # the panel, in the admin's language
        assert "Misslyckades: <strong>1</strong>" in dashboard.text
        assert "HTTP 400" in dashboard.text and PHONE not in dashboard.text

        page = client.get("/testoffice/notify/messages?lang=en")
        assert page.status_code == 200
        [message_id] = re.findall(r'action="/testoffice/notify/messages/(\d+)/retry"', page.text)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        assert client.post(f"/testoffice/notify/messages/{message_id}/retry", data={"csrf_token": "forged"},
                           follow_redirects=False).status_code == 403
        retried = client.post(f"/testoffice/notify/messages/{message_id}/retry", data={"csrf_token": token},
                              follow_redirects=False)
        assert retried.status_code == 303
        assert messages(notify_ctx)[0].status == "pending"
        # retrying again is a state conflict, not a silent success
        again = client.post(f"/api/v1/offices/testoffice/notify/messages/{message_id}/retry",
                            headers={"X-CSRF-Token": token})
        assert again.status_code == 409 and "pending, not failed" in again.json()["detail"]
        assert client.post("/api/v1/offices/testoffice/notify/messages/999/retry",
                           headers={"X-CSRF-Token": token}).status_code == 404
    sender_for(notify_ctx).run_once()
    assert [(m.status, m.attempts) for m in messages(notify_ctx)] == [("sent", 1)]
    assert len(provider.sms()) == 2
    with notify_ctx.db.session() as session:
        assert [e.action for e in auth.audit_entries(session, "testoffice")][0] == "notify.retry"


def test_failed_messages_are_listed_with_failed_events_and_retried_from_there(notify_ctx: AppContext,
                                                                              provider: ProviderServer) -> None:
    a_failed_message(notify_ctx, provider)
    add_user(notify_ctx, "boss", "admin")
    with TestClient(create_app(notify_ctx)) as client:
        login(client, "boss")
        assert "Misslyckade och inte försökta igen: 1" in client.get("/testoffice/admin?lang=sv").text
        page = client.get("/testoffice/admin/failures?lang=en")
        [row] = re.findall(r'<tr id="failure-message-\d+">.*?</tr>', page.text, re.S)
        assert "Message" in row and "Turn coming soon → Visitor (sms)" in row and "HTTP 400" in row
        assert PHONE not in page.text
        action = re.search(r'action="(/testoffice/notify/messages/\d+/retry)"', row).group(1)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        retried = client.post(action, data={"csrf_token": token, "next": "/testoffice/admin/failures"},
                              follow_redirects=False)
        assert (retried.status_code, retried.headers["location"]) == (303, "/testoffice/admin/failures")
        assert messages(notify_ctx)[0].status == "pending"
        assert "failure-message-" not in client.get("/testoffice/admin/failures?lang=en").text


def test_the_log_names_each_event_by_its_type_label_in_the_readers_language(
        notify_ctx: AppContext, provider: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The names come from the event types' labels (the queue's "Turn coming soon" for ticket.near), translated
    from their publisher's catalog, on the page, the dashboard's panel and the "What failed" page."""
    a_failed_message(notify_ctx, provider)
    add_user(notify_ctx, "boss", "admin")
    with TestClient(create_app(notify_ctx)) as client:
        login(client, "boss")
        for language, name in (("sv", "Snart din tur"), ("ar", "الدور قريب")):
            for path in ("/testoffice/notify/messages", "/testoffice/admin"):
                [row] = re.findall(r'<tr id="message-\d+".*?</tr>', client.get(f"{path}?lang={language}").text, re.S)
                assert f"<td>{name}</td>" in row, (path, language)
            failed = client.get(f"/testoffice/admin/failures?lang={language}").text
            assert f"{name} → " in failed, language
        monkeypatch.delattr(notify_ctx.plugins.event_types["ticket.near"].model, "label")
        row = client.get("/testoffice/notify/messages?lang=sv").text
        assert "<td>ticket.near</td>" in row and "Snart din tur" not in row


def test_viewer_sees_the_log_but_cannot_retry(notify_ctx: AppContext, provider: ProviderServer) -> None:
    a_failed_message(notify_ctx, provider)
    add_user(notify_ctx, "watcher", "viewer")
    with TestClient(create_app(notify_ctx)) as client:
        login(client, "watcher")
        page = client.get("/testoffice/notify/messages")
        assert "HTTP 400" in page.text and "/retry" not in page.text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        [listed] = client.get("/api/v1/offices/testoffice/notify/messages").json()
        assert listed["status"] == "failed" and listed["retryable"] is True
        assert set(listed) >= {"id", "event", "channel", "recipient", "attempts", "error", "created_at"}
        assert PHONE not in str(listed)
        assert client.post(f"/api/v1/offices/testoffice/notify/messages/{listed['id']}/retry",
                           headers={"X-CSRF-Token": token}).status_code == 403


def test_mbk_notify_test_sends_now_and_reports_failures(notify_ctx: AppContext, deployment: Path, db_url: str,
                                                        smtp: SmtpServer, provider: ProviderServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from core import cli_support
    from plugins.notify.cli import notify_cli

    monkeypatch.setattr(cli_support, "load_plugins", notify_and_publishers)
    monkeypatch.setenv("MBK_DATABASE_URL", db_url)
    runner = CliRunner()
    base = ["test", "--office", "testoffice", "--deployment", str(deployment)]
    result = runner.invoke(notify_cli, [*base, "--channel", "email", "--to", "it@test.example", "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "sent over email" in result.output
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["it@test.example"]
    assert mail["Subject"] == "Test message"

    result = runner.invoke(notify_cli, [*base, "--channel", "sms", "--to", PHONE])
    assert result.exit_code == 0 and "provider id s000001" in result.output
    assert provider.sms()[0].form["message"] == "Det här är ett testmeddelande från Medborgarkontoret Test."

    provider.answers.append((401, {}))
    result = runner.invoke(notify_cli, [*base, "--channel", "sms", "--to", PHONE])
    assert result.exit_code == 1
    assert "failed over sms: HTTP 401 (permanent)" in result.output
    result = runner.invoke(notify_cli, [*base, "--channel", "fax", "--to", PHONE])
    assert result.exit_code == 2 and "unknown channel 'fax' at testoffice (channels: chat, email, sms)" in result.output


def test_nothing_personal_is_logged_at_any_level(notify_ctx: AppContext, smtp: SmtpServer, provider: ProviderServer,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    smtp.stop()  # a failure and a retry too, not only the happy path
    provider.answers.extend([(500, {}), (400, {})])
    arrive(notify_ctx, officer_id="a-lind", first_name="Zackarias")
    near(notify_ctx, ticket="t5", number="B777")
    publish_now(notify_ctx, registered_event(notify_ctx.plugins, "ticket.called", ticket_id="t5", number="B777",
                                             service="guidance", counter="2", counter_name="Lucka 2", recall=False,
                                             language="sv", seat=None))
    drain_events(notify_ctx)
    sender = Sender(notify_ctx.db, notify_ctx.deployment, "http://127.0.0.1:8000")
    sender.run_once()
    smtp.start()
    sender.start()
    try:
        wait_until(lambda: {m.status for m in messages(notify_ctx)} <= {"sent", "failed"})
    finally:
        sender.stop()
    assert sorted(m.status for m in messages(notify_ctx)) == ["failed", "sent", "sent", "sent"]
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # mail.log: the fake SMTP server's
    assert any(r.name.startswith("plugins.notify") for r in ours)  # it does log, only not this:
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in ours)
    for personal in ("Zackarias", "anna.lind", "test.example", PHONE, "701234567", "B777", "har kommit", "Lucka 2",
                     "a-lind"):
        assert personal not in logged, personal


@pytest.mark.parametrize("hook", ["mbk_admin_panels", "mbk_failures"])
def test_the_hooks_that_name_event_types_take_the_hookspecs_types(hook: str) -> None:
    spec = inspect.signature(getattr(hookspecs, hook)).parameters
    implemented = inspect.signature(getattr(notify, hook)).parameters
    assert {name: p.annotation for name, p in implemented.items()} == {name: spec[name].annotation
                                                                       for name in implemented}
