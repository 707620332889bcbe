"""Never sent twice: a send that outlasts its lease is not taken over by another sender. Nothing lost in a
half-hour outage: the default retry schedule, played with an injected clock, outlasts it. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.db import utcnow
from core.web.app import AppContext
from plugins.notify import service
from plugins.notify.channels import SendResult
from plugins.notify.settings import NotifySettings
from tests.plugins.notify.conftest import arrive, notify_and_publishers
from tests.plugins.notify.fakes import ProviderServer, SmtpServer, write_deployment
from tests.plugins.notify.test_delivery import messages, sender_for, wait_until
from tests.support import free_port

EMAIL_ONLY = """\
[[plugins.notify.rules]]
event = "visitor.arrived"
to = "officer_or_unit"
channel = "email"
"""
LEASE_SECONDS = 4
SMTP_DELAY_SECONDS = 10  # two and a half leases long


@pytest.fixture
def slow_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), delay=SMTP_DELAY_SECONDS).start()
    yield server
    server.stop()


def test_a_send_that_outlasts_its_lease_is_sent_once_by_two_senders(
        make_context: Callable[..., AppContext], tmp_path: Path, slow_smtp: SmtpServer,
        provider: ProviderServer) -> None:
    deployment = write_deployment(tmp_path / "deployment", smtp_port=slow_smtp.port, provider=provider.url,
                                  rules=EMAIL_ONLY, lease_seconds=LEASE_SECONDS)
    office = deployment / "offices" / "testoffice.toml"  # the client waits for the slow server's answer
    office.write_text(office.read_text().replace("timeout_seconds = 5", "timeout_seconds = 30"))
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers())
    arrive(ctx, officer_id="j-smith")
    first, second = sender_for(ctx), sender_for(ctx)
    first.start()
    second.start()  # polls every 0.05 s: it would take the message over the moment a lease ran out
    try:
        wait_until(lambda: [m.status for m in messages(ctx)] == ["sent"], timeout=30)
    finally:
        first.stop()  # waits for any send still in flight, so the count below is final
        second.stop()
    [(recipients, _mail)] = slow_smtp.messages()
    assert recipients == ["john.smith@test.example"]
    [row] = messages(ctx)
    assert (row.attempts, row.lease_until, row.claim_token) == (1, None, None)
    # Delivered once: further passes of both senders find nothing to do.
    assert first.run_once() == 0 and second.run_once() == 0
    assert len(slow_smtp.messages()) == 1


def test_a_message_whose_lease_another_sender_took_is_not_sent_by_the_first(notify_ctx: AppContext,
                                                                            smtp: SmtpServer) -> None:
    """A claimed message still waiting its turn when its lease ran out belongs to whoever took it next."""
    arrive(notify_ctx, officer_id="j-smith")
    offices = {"testoffice": notify_ctx.deployment.office("testoffice")}
    with notify_ctx.db.session() as session:
        [slow] = [c for c in service.claim_due(session, offices, utcnow()) if c.channel == "email"]
    later = utcnow() + timedelta(seconds=10)  # past the lease: a second sender claims it
    with notify_ctx.db.session() as session:
        [taken] = [c for c in service.claim_due(session, offices, later) if c.channel == "email"]
    with notify_ctx.db.session() as session:
        assert service.renew_leases(session, [slow], offices, later) == set()
        assert service.renew_leases(session, [taken], offices, later) == {taken.id}


def play_outage(session_factory, offices: dict, settings: NotifySettings, start: datetime,  # type: ignore[no-untyped-def]
                outage: timedelta) -> tuple[str | None, datetime, int]:
    """Run the sender's claim → send → record cycle on an injected clock, jumping from one retry to the next;
    the SMTP server refuses connections until ``start + outage``. Returns (final status, its time, attempts)."""
    now = start
    while True:
        with session_factory() as session:
            [claim] = [c for c in service.claim_due(session, offices, now) if c.channel == "email"]
            down = now < start + outage
            result = SendResult.retry("ConnectionRefusedError") if down else SendResult.sent()
            status = service.record_result(session, claim, result, settings, now)
        [row] = [m for m in messages_of(session_factory) if m.channel == "email"]
        if status != "pending":
            return status, now, row.attempts
        assert row.next_attempt_at > now
        with session_factory() as session:  # not due a moment before its time
            assert service.claim_due(session, offices, row.next_attempt_at - timedelta(seconds=1)) == []
        now = row.next_attempt_at


def messages_of(session_factory):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from plugins.notify.models import NotifyMessage

    with session_factory() as session:
        return list(session.scalars(select(NotifyMessage).order_by(NotifyMessage.id)))


def test_the_default_schedule_retries_for_more_than_half_an_hour(notify_ctx: AppContext) -> None:
    defaults = NotifySettings()
    assert sum(defaults.retry_delays_seconds) >= 30 * 60
    arrive(notify_ctx, officer_id="j-smith")
    offices = {"testoffice": notify_ctx.deployment.office("testoffice")}
    start = utcnow()
    status, failed_at, attempts = play_outage(notify_ctx.db.session, offices, defaults, start, timedelta(days=1))
    assert (status, attempts) == ("failed", defaults.max_attempts)
    assert failed_at - start >= timedelta(minutes=30)


def test_a_half_hour_smtp_outage_loses_nothing(notify_ctx: AppContext) -> None:
    arrive(notify_ctx, officer_id="j-smith")
    offices = {"testoffice": notify_ctx.deployment.office("testoffice")}
    start = utcnow()
    status, sent_at, attempts = play_outage(notify_ctx.db.session, offices, NotifySettings(), start,
                                            timedelta(minutes=30))
    assert status == "sent" and sent_at >= start + timedelta(minutes=30)
    assert 1 < attempts <= NotifySettings().max_attempts
