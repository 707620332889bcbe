"""Online booking (SQLite and PostgreSQL): slots from booking hours and capacity, the last place of a slot
booked by exactly one of many concurrent visitors, cancelling gives the place back, the .ics file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import func, select

from core.context import AppContext
from core.events import OutboxEvent
from core.problems import Problem
from plugins.appointments import booking
from plugins.appointments.models import Appointment, SlotCount
from plugins.appointments.service import ics
from tests.plugins.appointments.calendars import local
from tests.plugins.appointments.support import write_deployment

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)  # Monday 08:00 in Stockholm
SERVICE = """
[[plugins.appointments.services]]
id = "tax-help"
name = { sv = "Deklarationshjälp", en = "Tax return help" }
online = true
capacity = 2
slot_minutes = 30
days_ahead = 7
hours = [{ days = ["mon", "tue"], opens = "09:00", closes = "10:30" }]
bring = { sv = "legitimation", en = "your ID" }
"""


@pytest.fixture
def office_ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    return make_context(deployment=write_deployment(tmp_path / "deployment", SERVICE))


def visitor(name: str, start: datetime, **contact: str) -> booking.Booking:
    return booking.Booking(service_id="tax-help", start=start, first_name=name, language="sv",
                           **(contact or {"email": f"{name.lower()}@example.org"}))


def test_slots_come_from_hours_and_capacity(office_ctx: AppContext) -> None:
    office = office_ctx.deployment.office("test")
    service = booking.online_service(office, "tax-help", "sv")
    assert booking.bookable_days(office, service, NOW) == [date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 11)]
    with office_ctx.db.session() as session:
        slots = booking.free_slots(session, office, service, date(2026, 5, 4), NOW)
        assert [(s.start.astimezone(office.tz).strftime("%H:%M"), s.free) for s in slots] == [
            ("09:00", 2), ("09:30", 2), ("10:00", 2)]
        booking.book(session, office, visitor("Amal", local("2026-05-04 09:30")), NOW, "http://test")
        later = NOW + timedelta(hours=1, minutes=15)  # 09:15 local: the 09:00 slot has begun
        assert [(s.start.astimezone(office.tz).strftime("%H:%M"), s.free)
                for s in booking.free_slots(session, office, service, date(2026, 5, 4), later)] == [
            ("09:30", 1), ("10:00", 2)]
        assert booking.free_slots(session, office, service, date(2026, 5, 6), NOW) == []  # a Wednesday


def test_the_last_place_goes_to_exactly_one_of_many(office_ctx: AppContext) -> None:
    office = office_ctx.deployment.office("test")
    start = local("2026-05-05 09:00")
    with office_ctx.db.session() as session:
        booking.book(session, office, visitor("First", start), NOW, "http://test")
    contenders = 10
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            with office_ctx.db.session() as session:
                booking.book(session, office, visitor(f"Visitor{n}", start), NOW, "http://test")
            outcomes.append("booked")
        except Problem as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] + ["slot_full"] * (contenders - 1)
    with office_ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)
                              .where(Appointment.start == start, Appointment.status == "booked")) == 2
        assert session.scalar(select(SlotCount.booked).where(SlotCount.start == start)) == 2


def test_booking_publishes_the_confirmation_and_cancel_gives_the_place_back(office_ctx: AppContext) -> None:
    office = office_ctx.deployment.office("test")
    start = local("2026-05-05 10:00")
    with office_ctx.db.session() as session:
        made = booking.book(session, office, visitor("Amal", start, phone="070 123 45 67"), NOW, "http://test")
        token, code = made.cancel_token or "", made.code
    with office_ctx.db.session() as session:
        payload = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "appointment.booked")).one()
        assert payload["code"] == code and payload["phone"] == "070 123 45 67"
        assert payload["bring"] == "legitimation"
        assert payload["cancel_url"] == f"http://test/test/appointments/cancel/{token}?lang=sv"
        assert payload["ics_url"] == f"http://test/test/appointments/booking/{token}.ics"
        parsed = icalendar.Calendar.from_ical(ics(office, booking.by_token(session, office, token, "sv"), "sv"))
        [event] = parsed.walk("VEVENT")
        assert event.decoded("DTSTART") == start and f"Bokningskod: {code}" in str(event["DESCRIPTION"])
    with office_ctx.db.session() as session:
        assert booking.cancel(session, office, token, "sv", NOW).status == "cancelled"
        assert session.scalar(select(SlotCount.booked).where(SlotCount.start == start)) == 0
    with office_ctx.db.session() as session:  # cancelling twice changes nothing
        assert booking.cancel(session, office, token, "sv", NOW).status == "cancelled"
        assert session.scalar(select(SlotCount.booked).where(SlotCount.start == start)) == 0


@pytest.mark.parametrize(("change", "code"), [
    ({"start": local("2026-05-05 09:10")}, "not_a_slot"),
    ({"start": local("2026-05-06 09:00")}, "not_a_slot"),
    ({"start": local("2026-05-04 07:30")}, "not_a_slot"),
    ({"first_name": "  "}, "first_name"),
    ({"email": None}, "contact"),
    ({"email": "not-an-address"}, "contact"),
    ({"service_id": "nope"}, "unknown_service"),
])
def test_bad_bookings_are_refused(office_ctx: AppContext, change: dict, code: str) -> None:  # type: ignore[type-arg]
    office = office_ctx.deployment.office("test")
    wanted = {"service_id": "tax-help", "start": local("2026-05-05 09:00"), "first_name": "Amal", "language": "sv",
              "email": "amal@example.org", **change}
    with pytest.raises(Problem) as refused, office_ctx.db.session() as session:
        booking.book(session, office, booking.Booking(**wanted), NOW, "http://test")
    assert refused.value.code == code
