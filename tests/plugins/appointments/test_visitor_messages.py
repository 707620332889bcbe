"""The visitor's confirmation and reminders really go out (SQLite and PostgreSQL): the appointments plugin
publishes them as events, notify's rules turn them into messages, and notify's sender delivers them to a real
SMTP server (aiosmtpd) and a real SMS provider's HTTP API on loopback, in the visitor's language, each once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from core import qr
from core.config import ConfigError
from core.context import AppContext
from core.loading import load_deployment
from plugins.appointments import booking, lifecycle, service
from plugins.notify.models import NotifyMessage
from plugins.notify.worker import Sender
from tests.plugins.appointments.calendars import local
from tests.plugins.appointments.support import write_deployment
from tests.plugins.notify.fakes import REPORT_TOKEN, SMS_PASSWORD, ProviderServer, SmtpServer
from tests.support import builtin_plugins, drain_events, free_port

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)  # Monday 08:00 in Stockholm
BASE_URL = "https://mbk.test"
ADDRESS = "Skärholmsvägen 1, 127 48 Skärholmen"
SERVICE = """
[[plugins.appointments.services]]
id = "tax-help"
name = { sv = "Deklarationshjälp", en = "Tax return help" }
online = true
slot_minutes = 30
hours = [{ days = ["mon", "tue", "wed", "thu", "fri"], opens = "09:00", closes = "16:00" }]
bring = { sv = "legitimation", en = "your ID", ar = "بطاقة هويتك" }
"""
NOTIFY = """
[plugins.notify]
retry_delays_seconds = [0.1]
poll_seconds = 0.05

[plugins.notify.channels.email]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "noreply@test.example"
timeout_seconds = 5

[plugins.notify.channels.sms]
type = "sms"
api_url = "{provider}/a1"
username = "u123"
password_env = "MBK_TEST_SMS_PASSWORD"
sender = "Testkontor"
timeout_seconds = 5

[[plugins.notify.rules]]
event = "appointment.booked"
to = "visitor"
channel = "email"

[[plugins.notify.rules]]
event = "appointment.booked"
to = "visitor"
channel = "sms"

[[plugins.notify.rules]]
event = "appointment.reminder"
to = "visitor"
channel = "email"

[[plugins.notify.rules]]
event = "appointment.reminder"
to = "visitor"
channel = "sms"
"""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    monkeypatch.setenv("MBK_TEST_SMS_PASSWORD", SMS_PASSWORD)
    monkeypatch.setenv("MBK_TEST_SMS_REPORT_TOKEN", REPORT_TOKEN)
    server = ProviderServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def office_ctx(make_context: Callable[..., AppContext], tmp_path: Path, smtp: SmtpServer,
               provider: ProviderServer) -> AppContext:
    more = NOTIFY.format(smtp_port=smtp.port, provider=provider.url)
    return make_context(deployment=write_deployment(tmp_path / "deployment", SERVICE,
                                                    enabled=("appointments", "notify"), more=more, address=ADDRESS))


def deliver(ctx: AppContext) -> None:
    """What the server's background work does: hand the events to the plugins, then send what notify wrote."""
    drain_events(ctx)
    Sender(ctx.db, ctx.deployment, BASE_URL).run_once()


def text_of(mail: EmailMessage) -> str:
    """The text of a booking's e-mail (its QR code is a picture beside it)."""
    return mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def attached_meeting(mail: EmailMessage, code: str) -> icalendar.Event:
    """The meeting in the .ics file a booking's e-mail carries (beside the booking code's QR code)."""
    [image, calendar_file] = mail.iter_attachments()
    assert image.get_content_type() == "image/png" and image.get_content() == qr.png(code)
    assert calendar_file.get_content_type() == "text/calendar" and calendar_file.get_param("method") == "PUBLISH"
    assert calendar_file.get_filename() == f"booking-{code}.ics"
    [event] = icalendar.Calendar.from_ical(calendar_file.get_content()).walk("VEVENT")
    return event


def book(ctx: AppContext, start: datetime, language: str, **contact: str) -> str:
    with ctx.db.session() as session:
        made = booking.book(session, ctx.deployment.office("test"), booking.Booking(
            service_id="tax-help", start=start, first_name="Amal", language=language, **contact), NOW, BASE_URL)
        return made.code or ""


def test_the_confirmation_is_mailed_in_the_visitors_language(office_ctx: AppContext, smtp: SmtpServer,
                                                             provider: ProviderServer) -> None:
    code = book(office_ctx, local("2026-05-05 10:00"), "ar", email="amal@example.org")
    deliver(office_ctx)
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["amal@example.org"]
    assert mail["Subject"] == "حجزك في Testkontoret: الثلاثاء، 5 مايو 2026 الساعة 10:00"
    body = text_of(mail)
    assert "مرحباً Amal،" in body and f"رمز حجزك: {code}" in body and "أحضر معك: بطاقة هويتك" in body
    assert f"{BASE_URL}/test/appointments/booking/" in body and ".ics" in body
    assert f"{BASE_URL}/test/appointments/cancel/" in body and "lang=ar" in body
    # the booking code as a QR code beside the text, for the kiosk's scanner (the same drawing core.qr makes)
    assert "أو اعرض رمز QR المرفق بهذه الرسالة على الماسح الضوئي عند الشاشة." in body
    # the booking as an .ics file for the visitor's calendar, attached (its link is in the text too)
    event = attached_meeting(mail, code)
    assert event.decoded("DTSTART") == local("2026-05-05 10:00") == datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == local("2026-05-05 10:30") and code in str(event["DESCRIPTION"])
    assert provider.sms() == []  # no phone number given: no text message
    deliver(office_ctx)  # nothing twice
    assert len(smtp.messages()) == 1
    with office_ctx.db.session() as session:  # sent: its text and attachments are no longer kept
        sent = session.scalars(select(NotifyMessage).where(NotifyMessage.event_type == "appointment.booked")).one()
        assert sent.status == "sent" and sent.body is None and sent.qr is None and sent.ics is None


def test_a_visitor_who_gave_a_phone_number_gets_a_text(office_ctx: AppContext, smtp: SmtpServer,
                                                       provider: ProviderServer) -> None:
    code = book(office_ctx, local("2026-05-05 10:30"), "sv", phone="+46701234567")
    deliver(office_ctx)
    [sms] = provider.wait_for_sms(1)
    assert sms.form["to"] == "+46701234567"
    assert sms.form["message"].startswith(
        f"Testkontoret: Du är bokad tisdag 5 maj 2026 kl. 10:30. Bokningskod: {code}. Ta med: legitimation")
    assert "Avboka: https://mbk.test/test/appointments/cancel/" in sms.form["message"]
    assert smtp.messages() == []


def test_reminders_go_out_once_each(office_ctx: AppContext, smtp: SmtpServer) -> None:
    start = local("2026-05-06 10:00")
    code = book(office_ctx, start, "sv", email="amal@example.org")
    office = office_ctx.deployment.office("test")
    deliver(office_ctx)
    assert len(smtp.wait_for(1)) == 1  # the confirmation
    for at in (start - timedelta(hours=23, minutes=59), start - timedelta(hours=23), start - timedelta(hours=3)):
        with office_ctx.db.session() as session:  # the worker's passes the day before: one reminder in all
            lifecycle.send_reminders(session, office, at.astimezone(UTC), BASE_URL)
        deliver(office_ctx)
    day_before = smtp.wait_for(2)[1][1]
    assert day_before["Subject"] == "Påminnelse: din bokning hos Testkontoret, onsdag 6 maj 2026 kl. 10:00"
    assert f"Din bokningskod: {code}" in text_of(day_before)
    assert "Ta med: legitimation" in text_of(day_before)
    assert f"{BASE_URL}/test/appointments/cancel/" in text_of(day_before)
    # the meeting for the visitor's calendar again, the same event (UID) as the confirmation's
    meeting = attached_meeting(day_before, code)
    confirmed = attached_meeting(smtp.messages()[0][1], code)
    assert meeting.decoded("DTSTART") == start and meeting.decoded("DTEND") == start + timedelta(minutes=30)
    assert str(meeting["LOCATION"]) == ADDRESS and str(meeting["UID"]) == str(confirmed["UID"])
    for at in (start - timedelta(hours=1, minutes=59), start - timedelta(minutes=30)):
        with office_ctx.db.session() as session:
            lifecycle.send_reminders(session, office, at.astimezone(UTC), BASE_URL)
        deliver(office_ctx)
    assert len(smtp.wait_for(3)) == 3  # the confirmation and two reminders, none twice
    deliver(office_ctx)
    assert len(smtp.messages()) == 3


def test_an_appointment_without_a_contact_sends_nothing(office_ctx: AppContext, smtp: SmtpServer,
                                                        provider: ProviderServer) -> None:
    start = local("2026-05-06 10:00")
    with office_ctx.db.session() as session:  # entered by staff, no e-mail or phone
        service.create(session, office_ctx.deployment.office("test"), service.NewAppointment(
            start=start, end=start + timedelta(minutes=30), officer_id="a-lind", first_name="Amal"), now=NOW)
        lifecycle.send_reminders(session, office_ctx.deployment.office("test"),
                                 (start - timedelta(hours=1)).astimezone(UTC), BASE_URL)
    deliver(office_ctx)
    assert smtp.messages() == [] and provider.sms() == []


def test_mbk_check_reaches_a_booking_visitor_by_mail_or_text_only(tmp_path: Path, smtp: SmtpServer,
                                                                 provider: ProviderServer) -> None:
    chat = '[plugins.notify.channels.chat]\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n\n'
    rule = '[[plugins.notify.rules]]\nevent = "appointment.reminder"\nto = "visitor"\nchannel = "chat"\n'
    more = NOTIFY.format(smtp_port=smtp.port, provider=provider.url).replace("[[plugins.notify.rules]]",
                                                                             chat + "[[plugins.notify.rules]]", 1)
    root = write_deployment(tmp_path / "deployment", SERVICE, enabled=("appointments", "notify"), more=more + rule)
    with pytest.raises(ConfigError) as caught:
        load_deployment(root, builtin_plugins())
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "plugins.notify.rules[4].to: a visitor with a booking is reached by e-mail or SMS (the contact given when "
        "booking)"]


def notify_rows(ctx: AppContext, event_type: str) -> list[tuple[str, str | None]]:
    with ctx.db.session() as session:
        return [(m.status, m.body) for m in session.scalars(
            select(NotifyMessage).where(NotifyMessage.event_type == event_type).order_by(NotifyMessage.id))]


@pytest.mark.parametrize("by", ["visitor", "staff"])
def test_cancelling_stops_the_reminders_even_one_already_queued(office_ctx: AppContext, smtp: SmtpServer,
                                                                by: str) -> None:
    start = local("2026-05-06 10:00")
    office = office_ctx.deployment.office("test")
    with office_ctx.db.session() as session:
        made = booking.book(session, office, booking.Booking(service_id="tax-help", start=start, first_name="Amal",
                                                             language="sv", email="amal@example.org"), NOW, BASE_URL)
        appointment_id, token = made.id, made.cancel_token or ""
    deliver(office_ctx)
    assert len(smtp.wait_for(1)) == 1  # the confirmation
    day_before = (start - timedelta(hours=23)).astimezone(UTC)
    with office_ctx.db.session() as session:
        assert lifecycle.send_reminders(session, office, day_before, BASE_URL) == 1
    drain_events(office_ctx)  # notify queued the reminder; the sender has not run yet (the mail server was away)
    assert [status for status, _ in notify_rows(office_ctx, "appointment.reminder")] == ["pending"]

    with office_ctx.db.session() as session:
        if by == "visitor":
            booking.cancel(session, office, token, "sv", day_before)
        else:
            service.set_status(session, office, appointment_id, "cancelled", now=day_before)
    deliver(office_ctx)
    assert notify_rows(office_ctx, "appointment.reminder") == [("cancelled", None)]  # text erased too
    for at in (start - timedelta(hours=2), start - timedelta(minutes=30)):  # and no later reminder either
        with office_ctx.db.session() as session:
            assert lifecycle.send_reminders(session, office, at.astimezone(UTC), BASE_URL) == 0
        deliver(office_ctx)
    assert len(smtp.messages()) == 1  # only the confirmation ever went out


def test_a_moved_appointment_is_reminded_of_its_new_time_only(office_ctx: AppContext, smtp: SmtpServer) -> None:
    start, later = local("2026-05-06 10:00"), local("2026-05-13 14:00")
    office = office_ctx.deployment.office("test")
    with office_ctx.db.session() as session:
        made = service.create(session, office, service.NewAppointment(
            start=start, end=start + timedelta(minutes=30), officer_id="a-lind", first_name="Amal",
            email="amal@example.org", language="sv"), now=NOW)
        appointment_id, code = made.id, made.code or ""
    deliver(office_ctx)
    assert len(smtp.wait_for(1)) == 1  # the confirmation
    day_before = (start - timedelta(hours=23)).astimezone(UTC)
    with office_ctx.db.session() as session:
        assert lifecycle.send_reminders(session, office, day_before, BASE_URL) == 1
    drain_events(office_ctx)  # queued with the old time, not sent yet
    with office_ctx.db.session() as session:
        service.move(session, office, appointment_id, later, later + timedelta(minutes=30), now=day_before)
    deliver(office_ctx)
    assert [status for status, _ in notify_rows(office_ctx, "appointment.reminder")] == ["cancelled"]
    assert len(smtp.messages()) == 1  # the old time was never sent as a reminder

    with office_ctx.db.session() as session:  # the day before the new time: reminded again, of the new time
        assert lifecycle.send_reminders(session, office, (later - timedelta(hours=23)).astimezone(UTC),
                                        BASE_URL) == 1
    deliver(office_ctx)
    reminder = smtp.wait_for(2)[1][1]
    assert reminder["Subject"] == "Påminnelse: din bokning hos Testkontoret, onsdag 13 maj 2026 kl. 14:00"
    meeting = attached_meeting(reminder, code)  # the .ics file has the new time, the same event
    assert meeting.decoded("DTSTART") == later and meeting.decoded("DTEND") == later + timedelta(minutes=30)
    assert str(meeting["UID"]) == f"{appointment_id}@test.medborgarkontor" and str(meeting["LOCATION"]) == ADDRESS
