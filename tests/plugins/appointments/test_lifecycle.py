"""Reminders published once each (even when two workers run at once), past days closed as no-shows, and the
purge of visitors' names and contacts the day after (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.context import AppContext
from core.events import OutboxEvent
from plugins.appointments import lifecycle, service
from plugins.appointments.models import Appointment
from tests.plugins.appointments.support import write_deployment

BOOKED_AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # Tuesday 10:00 in Stockholm


@pytest.fixture
def office_ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    return make_context(deployment=write_deployment(tmp_path / "deployment", ""))


def meeting(ctx: AppContext, start: datetime = START, **contact: str) -> str:
    with ctx.db.session() as session:
        return service.create(session, ctx.deployment.office("test"), service.NewAppointment(
            start=start, end=start + timedelta(minutes=30), officer_id="a-lind", first_name="Amal", language="ar",
            **contact), now=BOOKED_AT).id


def reminders(ctx: AppContext) -> list[tuple[str, int]]:
    with ctx.db.session() as session:
        payloads = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "appointment.reminder")
                                   .order_by(OutboxEvent.id))
        return [(p["appointment_id"], p["minutes_before"]) for p in payloads]


def remind(ctx: AppContext, now: datetime) -> int:
    with ctx.db.session() as session:
        return lifecycle.send_reminders(session, ctx.deployment.office("test"), now)


def test_reminders_go_out_once_each_at_their_time(office_ctx: AppContext) -> None:
    with_contact = meeting(office_ctx, email="amal@example.org")
    meeting(office_ctx)  # no contact: nothing to send
    assert remind(office_ctx, START - timedelta(days=2)) == 0
    assert remind(office_ctx, START - timedelta(hours=23)) == 1
    assert remind(office_ctx, START - timedelta(hours=22)) == 0  # already sent
    assert remind(office_ctx, START - timedelta(minutes=119)) == 1
    assert remind(office_ctx, START - timedelta(minutes=5)) == 0
    assert reminders(office_ctx) == [(with_contact, 1440), (with_contact, 120)]


def test_a_worker_that_was_stopped_sends_only_the_nearest_reminder(office_ctx: AppContext) -> None:
    meeting(office_ctx, email="amal@example.org")
    assert remind(office_ctx, START - timedelta(hours=1)) == 1
    assert remind(office_ctx, START - timedelta(minutes=30)) == 0
    assert [minutes for _, minutes in reminders(office_ctx)] == [120]
    with office_ctx.db.session() as session:
        payload = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "appointment.reminder")).first()
    assert payload["language"] == "ar" and payload["email"] == "amal@example.org"


def test_two_workers_at_once_send_one_reminder(office_ctx: AppContext) -> None:
    meeting(office_ctx, phone="+46701234567")
    office = office_ctx.deployment.office("test")
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def worker() -> None:
        barrier.wait()
        with office_ctx.db.session() as session:
            counts.append(lifecycle.send_reminders(session, office, START - timedelta(hours=1)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(counts) == [0, 0, 0, 1] and len(reminders(office_ctx)) == 1


def test_a_meeting_booked_late_skips_the_reminders_already_past(office_ctx: AppContext) -> None:
    with office_ctx.db.session() as session:
        service.create(session, office_ctx.deployment.office("test"), service.NewAppointment(
            start=START, end=START + timedelta(minutes=30), officer_id="a-lind", email="late@example.org"),
            now=START - timedelta(hours=5))
    assert remind(office_ctx, START - timedelta(hours=4)) == 0
    assert remind(office_ctx, START - timedelta(hours=2)) == 1


def test_unmarked_meetings_become_no_shows_after_their_day(office_ctx: AppContext) -> None:
    office = office_ctx.deployment.office("test")
    unmarked, seen = meeting(office_ctx), meeting(office_ctx)
    with office_ctx.db.session() as session:
        service.set_status(session, office, seen, "seen", now=START)
    with office_ctx.db.session() as session:
        assert lifecycle.close_past_days(session, office, START + timedelta(hours=12)) == 0  # 22:00 the same day
    with office_ctx.db.session() as session:
        assert lifecycle.close_past_days(session, office, START + timedelta(hours=15)) == 1  # 01:00 the next day
        statuses = dict(session.execute(select(Appointment.id, Appointment.status)).all())
    assert statuses == {unmarked: "no_show", seen: "seen"}


def test_names_and_contacts_are_kept_until_the_day_after(office_ctx: AppContext) -> None:
    office = office_ctx.deployment.office("test")
    meeting(office_ctx, email="amal@example.org")
    with office_ctx.db.session() as session:
        assert lifecycle.purge(session, office, START + timedelta(hours=14))["appointment_contacts"] == 0  # 00:00
    with office_ctx.db.session() as session:
        assert lifecycle.purge(session, office, START + timedelta(days=1, hours=14))["appointment_contacts"] == 1
        row = session.scalars(select(Appointment)).one()
        assert (row.first_name, row.email, row.phone, row.code) == (None, None, None, row.code)
        assert row.start == START and row.personal_data_purged_at is not None  # statistics keep the time
    with office_ctx.db.session() as session:
        assert lifecycle.purge(session, office, START + timedelta(days=401)) == {"appointment_contacts": 0,
                                                                               "appointments": 1}
