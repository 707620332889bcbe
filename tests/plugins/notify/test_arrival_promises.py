"""What notify promises the kiosk, on SQLite and PostgreSQL: it says whom its rules can reach (the
``mbk_message_reach`` hook), carries the officer's "I am coming" link, tells the unit when an arrival escalates,
and publishes what became of an arrival's message (``message.sent`` / ``message.failed``) through core."""

from __future__ import annotations

from sqlalchemy import select, update

from core.db import utcnow
from core.events import OutboxEvent
from core.hookspecs import Addressee
from core.web.app import AppContext
from plugins.notify.models import NotifyMessage
from tests.plugins.notify.conftest import publish_now
from tests.plugins.notify.fakes import SmtpServer
from tests.plugins.notify.test_delivery import sender_for
from tests.support import drain_events, registered_event

LINK = "http://kiosk.test/testoffice/kiosk/coming/signed-token"


def _reach(ctx: AppContext, event_type: str, addressee: Addressee) -> list[list[str]]:
    office = ctx.deployment.office("testoffice")
    return ctx.hooks(office).mbk_message_reach(office=office, event_type=event_type, addressee=addressee)


def _outcomes(ctx: AppContext) -> list[tuple[str, dict]]:
    with ctx.db.session() as session:
        return [(e.type, dict(e.payload)) for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.like("message.%")).order_by(OutboxEvent.id))]


def test_reach_names_the_channels_of_the_rules_that_reach_that_person(notify_ctx: AppContext) -> None:
    # Anna Lind: e-mail (officer_or_unit) and her own chat webhook (officer over chat)
    assert _reach(notify_ctx, "visitor.arrived", Addressee(officer_id="a-lind", unit_id="social")) == [
        ["email", "webhook"]]
    # John Smith has no chat webhook: e-mail only
    assert _reach(notify_ctx, "visitor.arrived", Addressee(officer_id="j-smith")) == [["email"]]
    assert _reach(notify_ctx, "visitor.arrived", Addressee(unit_id="social")) == [["email"]]
    # the visitor can be texted when near the front and when called, never for a ticket being issued
    assert _reach(notify_ctx, "ticket.near", Addressee(visitor=True)) == [["sms"]]
    assert _reach(notify_ctx, "ticket.issued", Addressee(visitor=True)) == [[]]
    assert _reach(notify_ctx, "ticket.near", Addressee(officer_id="a-lind")) == [[]]


def test_a_rule_for_someone_else_does_not_reach_the_officer(make_context, tmp_path, smtp, provider) -> None:  # type: ignore[no-untyped-def]
    from tests.plugins.notify.conftest import notify_and_publishers
    from tests.plugins.notify.fakes import write_deployment

    rules = '[[plugins.notify.rules]]\nevent = "visitor.arrived"\nto = "officer:j-smith"\nchannel = "email"\n'
    ctx = make_context(deployment=write_deployment(tmp_path / "d", smtp_port=smtp.port, provider=provider.url,
                                                   rules=rules), plugins=notify_and_publishers())
    assert _reach(ctx, "visitor.arrived", Addressee(officer_id="a-lind", unit_id="social")) == [[]]
    assert _reach(ctx, "visitor.arrived", Addressee(officer_id="j-smith")) == [["email"]]


def test_the_arrival_message_carries_the_link_and_its_outcome_is_published(notify_ctx: AppContext,
                                                                           smtp: SmtpServer) -> None:
    publish_now(notify_ctx, registered_event(
        notify_ctx.plugins, "visitor.arrived", arrival_id="arr-7", officer_id="j-smith", unit_id=None,
                                           first_name="Amina", language="ar", acknowledge_url=LINK))
    drain_events(notify_ctx)
    assert _outcomes(notify_ctx) == []  # nothing is said before the message went
    sender_for(notify_ctx).run_once()
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["john.smith@test.example"]
    assert LINK in mail.get_content()
    assert _outcomes(notify_ctx) == [("message.sent", {"about": "visitor.arrived", "arrival_id": "arr-7",
                                                       "channel": "email"})]


def test_a_message_that_fails_for_good_is_published_as_failed(notify_ctx: AppContext, smtp: SmtpServer) -> None:
    smtp.stop()
    publish_now(notify_ctx, registered_event(
        notify_ctx.plugins, "visitor.arrived", arrival_id="arr-8", officer_id="j-smith", unit_id=None,
                                           first_name=None, language="sv", acknowledge_url=LINK))
    drain_events(notify_ctx)
    sender = sender_for(notify_ctx)
    for _ in range(3):  # max_attempts = 3 in the test deployment
        assert _outcomes(notify_ctx) == []  # a retry to come is no failure yet
        with notify_ctx.db.session() as session:  # the retry is due now
            session.execute(update(NotifyMessage).values(next_attempt_at=utcnow()))
        assert sender.run_once() == 1
    assert _outcomes(notify_ctx) == [("message.failed", {"about": "visitor.arrived", "arrival_id": "arr-8",
                                                         "channel": "email"})]


def test_an_escalated_arrival_mails_the_unit_with_the_link(make_context, tmp_path, smtp, provider) -> None:  # type: ignore[no-untyped-def]
    from tests.plugins.notify.conftest import notify_and_publishers
    from tests.plugins.notify.fakes import write_deployment

    rules = '[[plugins.notify.rules]]\nevent = "arrival.escalated"\nto = "unit"\nchannel = "email"\n'
    ctx = make_context(deployment=write_deployment(tmp_path / "d", smtp_port=smtp.port, provider=provider.url,
                                                   rules=rules), plugins=notify_and_publishers())
    publish_now(ctx, registered_event(
        ctx.plugins, "arrival.escalated", arrival_id="arr-9", officer_id="a-lind", unit_id="social", first_name="Amina",
                                      language="ar", reason="late", acknowledge_url=LINK))
    drain_events(ctx)
    sender_for(ctx).run_once()
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["social@test.example"]
    assert mail["Subject"] == "En besökare väntar: Anna Lind gick inte att nå"
    assert LINK in mail.get_content() and "informationsdisken" in mail.get_content()
    # a message about an escalation is not the officer being told: published, but "about" says what it was
    assert _outcomes(ctx)[0][1]["about"] == "arrival.escalated"
