"""Events become messages that really arrive: a real SMTP server and a 46elks-shaped HTTP server on loopback.
Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core.db import utcnow
from core.dispatch import Dispatcher
from core.events import Event
from core.web.app import AppContext
from plugins.notify import service
from plugins.notify.models import NotifyContact, NotifyMessage
from plugins.notify.worker import Sender
from tests.plugins.notify.conftest import arrive, notify_and_publishers, publish_now
from tests.plugins.notify.fakes import REPORT_TOKEN, ProviderServer, SmtpServer, write_deployment
from tests.support import drain_events, registered_event

PHONE = "+46701234567"


def messages(ctx: AppContext) -> list[NotifyMessage]:
    with ctx.db.session() as session:
        return list(session.scalars(select(NotifyMessage).order_by(NotifyMessage.id)))


def sender_for(ctx: AppContext) -> Sender:
    return Sender(ctx.db, ctx.deployment, "http://127.0.0.1:8000")


def wait_until(condition, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def nothing_left_to_do(ctx: AppContext) -> None:
    """Further passes of the dispatcher and of a sender (as after a restart): none may find anything to do.
    Passes in place of waiting a while to see that nothing is sent again. A send publishes message.sent, so the
    dispatcher first hands those out (a few passes at most), then must find nothing more."""
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    assert any(not dispatcher.run_once() for _ in range(5)), "the dispatcher kept finding work"
    restarted = sender_for(ctx)
    try:
        assert [restarted.run_once() for _ in range(3)] == [0, 0, 0]
    finally:
        restarted.stop()
    assert not dispatcher.run_once()  # nothing sent again, so nothing new published


def near(ctx: AppContext, ticket: str = "t1", number: str = "B012", language: str = "sv") -> None:
    publish_now(ctx, registered_event(ctx.plugins, "ticket.near", ticket_id=ticket, number=number, service="guidance",
                                      position=2, phone=PHONE, language=language))
    drain_events(ctx)


def test_arrival_mails_the_officer_in_their_language(notify_ctx: AppContext, smtp: SmtpServer,
                                                     provider: ProviderServer) -> None:
    arrive(notify_ctx, officer_id="a-lind", first_name="Amina", language="ar")
    sender_for(notify_ctx).run_once()

    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["anna.lind@test.example"]
    assert mail["Subject"] == "Amina har kommit till det bokade mötet"  # Anna Lind reads Swedish
    body = mail.get_content()
    assert "Amina har registrerat sin ankomst till ett bokat möte kl." in body
    assert "Väntrummet på plan 2" in body  # her unit's waiting area, in her language
    assert "Medborgarkontoret Test" in body
    assert mail["Auto-Submitted"] == "auto-generated"
    # and her chat webhook got the short text as JSON
    [hook] = provider.hooks()
    assert hook.path == "/hook/a-lind"
    assert hook.json["text"].startswith("Medborgarkontoret Test: Amina har kommit till det bokade mötet")
    # the log keeps status and timestamps, not the address or the text
    for row in messages(notify_ctx):
        assert (row.status, row.address, row.subject, row.body) == ("sent", None, None, None)
        assert row.sent_at is not None


def test_english_officer_gets_english_and_no_name_gives_a_neutral_text(notify_ctx: AppContext,
                                                                      smtp: SmtpServer) -> None:
    arrive(notify_ctx, officer_id="j-smith", first_name=None)
    sender_for(notify_ctx).run_once()
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["john.smith@test.example"]
    assert mail["Subject"] == "Your visitor has arrived for the booked meeting"
    assert "A visitor registered their arrival for a booked meeting at" in mail.get_content()


def test_arrival_without_officer_goes_to_the_unit(notify_ctx: AppContext, smtp: SmtpServer,
                                                  provider: ProviderServer) -> None:
    arrive(notify_ctx, officer_id=None, unit_id="social", first_name="Amina")
    sender_for(notify_ctx).run_once()
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["social@test.example"]
    assert "Väntrummet på plan 2" in mail.get_content()  # the office's first language: sv
    assert provider.hooks() == []  # the chat rule is for the officer only


def test_same_event_handled_twice_makes_one_message(notify_ctx: AppContext) -> None:
    office = notify_ctx.deployment.office("testoffice")
    event = Event(41, "testoffice", "visitor.arrived", {"arrival_id": "a", "officer_id": "a-lind", "unit_id": None,
                                                       "first_name": "Amina", "language": "sv"}, utcnow())
    for _ in range(3):
        with notify_ctx.db.session() as session:
            service.handle_event(event, office, session)
    assert [(m.idempotency_key, m.channel) for m in messages(notify_ctx)] == [("41:0:officer:a-lind", "email"),
                                                                              ("41:1:officer:a-lind", "chat")]


def test_smtp_down_at_arrival_then_started_delivers_once(notify_ctx: AppContext, smtp: SmtpServer) -> None:
    smtp.stop()
    sender = sender_for(notify_ctx)
    arrive(notify_ctx)
    sender.run_once()
    [mail_row] = [m for m in messages(notify_ctx) if m.channel == "email"]
    assert mail_row.status == "pending" and mail_row.attempts == 1
    assert mail_row.last_error == "ConnectionRefusedError"

    smtp.start()
    sender.start()
    try:
        smtp.wait_for(1)
        wait_until(lambda: [m.status for m in messages(notify_ctx) if m.channel == "email"] == ["sent"])
    finally:
        sender.stop()
    nothing_left_to_do(notify_ctx)
    assert len(smtp.messages()) == 1


def test_provider_500_then_200_delivers_once(notify_ctx: AppContext, provider: ProviderServer) -> None:
    provider.answers.append((500, {}))
    near(notify_ctx, language="sv")
    sender = sender_for(notify_ctx)
    sender.start()
    try:
        wait_until(lambda: [m.status for m in messages(notify_ctx)] == ["sent"])
    finally:
        sender.stop()
    nothing_left_to_do(notify_ctx)
    first, second = provider.sms()
    assert first.form == second.form  # the same message, tried again
    assert second.form["to"] == PHONE and second.form["from"] == "Skarholmen"
    assert second.form["message"] == ("Medborgarkontoret Test: Nummer B012: snart är det din tur. "
                                      "Kom tillbaka nu.")
    assert second.form["whendelivered"] == ("http://notify:report-token-0123456789@127.0.0.1:8000/api/v1/offices/"
                                            "testoffice/notify/sms/sms/report")
    [row] = messages(notify_ctx)
    assert (row.attempts, row.provider_id, row.address, row.body) == (2, "s000002", None, None)


def test_provider_400_fails_without_retry(notify_ctx: AppContext, provider: ProviderServer) -> None:
    provider.answers.append((400, {}))
    near(notify_ctx)
    sender = sender_for(notify_ctx)
    sender.start()
    try:
        wait_until(lambda: [m.status for m in messages(notify_ctx)] == ["failed"])
    finally:
        sender.stop()
    nothing_left_to_do(notify_ctx)
    assert len(provider.sms()) == 1
    [row] = messages(notify_ctx)
    assert (row.attempts, row.last_error) == (1, "HTTP 400")
    assert row.body is not None  # kept, so that staff can retry it


def test_wrong_credentials_are_permanent(notify_ctx: AppContext, provider: ProviderServer) -> None:
    provider.credentials = ("u123", "another")
    near(notify_ctx)
    sender_for(notify_ctx).run_once()
    [row] = messages(notify_ctx)
    assert (row.status, row.last_error) == ("failed", "HTTP 401")


def test_retry_after_is_honoured(notify_ctx: AppContext, provider: ProviderServer) -> None:
    provider.answers.append((429, {"Retry-After": "30"}))
    near(notify_ctx)
    before = utcnow()
    sender = sender_for(notify_ctx)
    sender.run_once()
    [row] = messages(notify_ctx)
    assert (row.status, row.last_error) == ("pending", "HTTP 429")
    assert row.next_attempt_at >= before + timedelta(seconds=30)  # not the 0.05 s backoff
    assert sender.run_once() == 0  # not due yet


def test_attempts_run_out_then_failed(notify_ctx: AppContext, provider: ProviderServer) -> None:
    provider.answers.extend([(503, {})] * 3)
    near(notify_ctx)
    sender = sender_for(notify_ctx)
    sender.start()
    try:
        wait_until(lambda: [m.status for m in messages(notify_ctx)] == ["failed"])
    finally:
        sender.stop()
    [row] = messages(notify_ctx)
    assert (row.attempts, row.last_error) == (3, "HTTP 503")  # max_attempts = 3
    assert len(provider.sms()) == 3


def test_a_message_whose_sender_died_mid_send_is_sent_after_its_lease(notify_ctx: AppContext,
                                                                      smtp: SmtpServer) -> None:
    arrive(notify_ctx, officer_id="j-smith")
    with notify_ctx.db.session() as session:  # a sender claims it, then its process dies
        [stale] = service.claim_due(session, {"testoffice": notify_ctx.deployment.office("testoffice")}, utcnow())
    assert messages(notify_ctx)[0].status == "sending"
    sender = sender_for(notify_ctx)
    assert sender.run_once() == 0  # leased: nobody else touches it yet
    with notify_ctx.db.session() as session:  # the lease runs out (instead of waiting lease_seconds)
        session.get(NotifyMessage, stale.id).lease_until = utcnow() - timedelta(seconds=1)
    assert sender.run_once() == 1
    assert len(smtp.wait_for(1)) == 1
    with notify_ctx.db.session() as session:  # the dead sender's late result is ignored
        settings = service.settings_of(notify_ctx.deployment.office("testoffice"))
        from plugins.notify.channels import SendResult
        assert service.record_result(session, stale, SendResult.retry("late"), settings) is None
    assert [(m.status, m.attempts) for m in messages(notify_ctx)] == [("sent", 2)]


def test_ticket_called_uses_the_phone_from_ticket_near_and_done_deletes_it(notify_ctx: AppContext,
                                                                          provider: ProviderServer) -> None:
    near(notify_ctx, ticket="t7", number="A007", language="en")
    publish_now(notify_ctx, registered_event(notify_ctx.plugins, "ticket.called", ticket_id="t7", number="A007",
                                             service="info", counter="3", counter_name="Counter 3", recall=False,
                                             language="en", seat=None))
    drain_events(notify_ctx)
    sender_for(notify_ctx).run_once()
    first, second = provider.wait_for_sms(2)
    assert second.form["to"] == PHONE
    assert second.form["message"] == "Test Citizen Office: Ticket A007: it is your turn now. Please go to Counter 3."

    publish_now(notify_ctx, registered_event(notify_ctx.plugins, "ticket.done", ticket_id="t7", number="A007",
                                             service="info"))
    drain_events(notify_ctx)
    with notify_ctx.db.session() as session:
        assert session.scalars(select(NotifyContact)).all() == []


def test_ticket_ending_cancels_its_unsent_messages_and_deletes_the_number(notify_ctx: AppContext,
                                                                         provider: ProviderServer) -> None:
    near(notify_ctx, ticket="t8")
    publish_now(notify_ctx, registered_event(notify_ctx.plugins, "ticket.done", ticket_id="t8", number="B012",
                                             service="guidance"))
    drain_events(notify_ctx)
    [row] = messages(notify_ctx)
    assert (row.status, row.address, row.body) == ("cancelled", None, None)
    assert sender_for(notify_ctx).run_once() == 0
    assert provider.sms() == []


def test_delivery_report_marks_the_message_delivered(notify_ctx: AppContext, provider: ProviderServer) -> None:
    from fastapi.testclient import TestClient

    from core.web.app import create_app

    near(notify_ctx)
    sender_for(notify_ctx).run_once()
    url = "/api/v1/offices/testoffice/notify/sms/sms/report"
    with TestClient(create_app(notify_ctx)) as client:
        assert client.post(url, data={"id": "s000001", "status": "delivered"}).status_code == 401
        assert client.post(url, data={"id": "s000001", "status": "delivered"},
                           auth=("notify", "wrong")).status_code == 401
        missing = client.post(url, data={"id": "nope", "status": "delivered"}, auth=("notify", REPORT_TOKEN))
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]
        assert client.post("/api/v1/offices/testoffice/notify/sms/email/report", data={"id": "x", "status": "sent"},
                           auth=("notify", REPORT_TOKEN)).status_code == 404
        ok = client.post(url, data={"id": "s000001", "status": "delivered", "delivered": "2026-11-24T10:00:00"},
                         auth=("notify", REPORT_TOKEN))
        assert ok.status_code == 200, ok.text
    [row] = messages(notify_ctx)
    assert row.status == "delivered" and row.delivered_at is not None


def test_purge_deletes_old_numbers_and_texts_and_old_log(notify_ctx: AppContext, provider: ProviderServer) -> None:
    provider.answers.append((400, {}))
    near(notify_ctx, ticket="t1")
    sender_for(notify_ctx).run_once()  # failed: text and number kept for "retry now"
    office = notify_ctx.deployment.office("testoffice")
    with notify_ctx.db.session() as session:
        assert service.purge(session, office, utcnow()) == {"notify_visitor_phones": 0, "notify_unsent_texts": 0,
                                                            "notify_log_entries": 0}
    with notify_ctx.db.session() as session:
        counts = service.purge(session, office, utcnow() + timedelta(hours=25))
    assert counts == {"notify_visitor_phones": 1, "notify_unsent_texts": 1, "notify_log_entries": 0}
    [row] = messages(notify_ctx)
    assert (row.status, row.address, row.body) == ("cancelled", None, None)
    with notify_ctx.db.session() as session:
        assert service.purge(session, office, utcnow() + timedelta(days=91))["notify_log_entries"] == 1
    assert messages(notify_ctx) == []


def test_no_phone_number_is_kept_when_no_rule_texts_visitors(make_context: Callable[..., AppContext],
                                                              tmp_path: Path, smtp: SmtpServer,
                                                              provider: ProviderServer) -> None:
    rules = '[[plugins.notify.rules]]\nevent = "visitor.arrived"\nto = "officer"\nchannel = "email"\n'
    deployment = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url, rules=rules)
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers())
    near(ctx)
    with ctx.db.session() as session:
        assert session.scalars(select(NotifyContact)).all() == []
    assert messages(ctx) == []


def test_new_tickets_to_a_teams_chat_channel(make_context: Callable[..., AppContext], tmp_path: Path,
                                             smtp: SmtpServer, provider: ProviderServer) -> None:
    rules = (f'[plugins.notify.channels.team]\ntype = "webhook"\nurl = "{provider.url}/hook/team"\n\n'
             '[[plugins.notify.rules]]\nevent = "ticket.issued"\nto = "unit:social"\nchannel = "team"\n')
    deployment = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url, rules=rules)
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers())
    publish_now(ctx, registered_event(ctx.plugins, "ticket.issued", ticket_id="t1", number="B004", service="guidance",
                                      category="housing", language="ar", position=2, estimated_wait_minutes=10))
    drain_events(ctx)
    sender_for(ctx).run_once()
    [hook] = provider.hooks()
    assert hook.path == "/hook/team"
    text = hook.json["text"]
    assert text.startswith("Medborgarkontoret Test: Nummer B004 togs kl. ") and text.endswith("; plats 2 i kön.")
    assert "housing" not in text and "guidance" not in text  # never the errand


def test_two_senders_on_their_own_connections_send_each_message_once(notify_ctx: AppContext, db_url: str,
                                                                     smtp: SmtpServer) -> None:
    from core.db import Database

    for i in range(40):
        publish_now(notify_ctx, registered_event(notify_ctx.plugins, "ticket.near", ticket_id=f"t{i}",
                                                 number=f"B{i:03d}", service="guidance", position=2, phone=PHONE,
                                                 language="sv"))
        arrive(notify_ctx, officer_id="j-smith", first_name=f"Visitor{i}")
    drain_events(notify_ctx)
    databases = [Database(db_url), Database(db_url)]  # two processes' worth of connections
    senders = [Sender(database, notify_ctx.deployment, "http://127.0.0.1:8000", batch=5) for database in databases]
    for sender in senders:
        sender.start()
    try:
        wait_until(lambda: len(smtp.messages()) >= 40 and all(m.status == "sent" for m in messages(notify_ctx)),
                   timeout=30)
    finally:
        for sender in senders:
            sender.stop()
        for database in databases:
            database.dispose()
    nothing_left_to_do(notify_ctx)
    ids = [mail["Message-ID"] for _, mail in smtp.messages()]
    assert len(ids) == len(set(ids)) == 40
