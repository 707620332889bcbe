"""Calendar sync from a real CalDAV server (Radicale, started on loopback, its calendar filled through the
caldav client), on SQLite and PostgreSQL: create, recurring, move, delete, and a refused login."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.context import AppContext
from plugins.appointments import sync
from plugins.appointments.models import Appointment
from tests.plugins.appointments.calendars import calendar, event, local
from tests.plugins.appointments.servers import Radicale
from tests.plugins.appointments.support import write_deployment

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = Radicale(tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()


@pytest.fixture
def caldav_ctx(radicale: Radicale, make_context: Callable[..., AppContext], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> tuple[AppContext, object]:
    monkeypatch.setenv("MBK_TEST_CALDAV_PASSWORD", radicale.password)
    cal = radicale.new_calendar(f"a-lind-{uuid.uuid4().hex[:8]}")
    root = write_deployment(tmp_path / "deployment", f"""
calendars = [{{ officer = "a-lind", url = "{cal.url}", username = "sync", password_env = "MBK_TEST_CALDAV_PASSWORD" }}]
""")
    return make_context(deployment=root), cal


def synced(ctx: AppContext, now: datetime = NOW) -> sync.SyncReport:
    [report] = sync.sync_office(ctx.db, ctx.deployment.office("test"), now=now)
    return report


def starts(ctx: AppContext) -> list[tuple[datetime, str, str]]:
    with ctx.db.session() as session:
        return [(a.start, a.status, a.source) for a in session.scalars(
            select(Appointment).where(Appointment.office_id == "test").order_by(Appointment.start))]


def test_caldav_calendar_is_followed(caldav_ctx: tuple[AppContext, object], radicale: Radicale) -> None:
    ctx, cal = caldav_ctx
    cal.save_event(calendar(event("one@example.org", local("2026-03-23 09:00"), local("2026-03-23 09:30"),
                                  ATTENDEE="Amal Yusuf")))
    cal.save_event(calendar(event("weekly@example.org", local("2026-03-24 14:00"), local("2026-03-24 14:30"),
                                  RRULE={"FREQ": "WEEKLY", "COUNT": 2})))
    report = synced(ctx)
    assert (report.added, report.moved, report.removed, report.error) == (3, 0, 0, None)
    assert starts(ctx) == [(datetime(2026, 3, 23, 8, 0, tzinfo=UTC), "booked", "caldav"),
                           (datetime(2026, 3, 24, 13, 0, tzinfo=UTC), "booked", "caldav"),
                           (datetime(2026, 3, 31, 12, 0, tzinfo=UTC), "booked", "caldav")]  # after the DST change

    # moved in the calendar (same UID), then the weekly series deleted there
    cal.save_event(calendar(event("one@example.org", local("2026-03-23 11:00"), local("2026-03-23 11:30"))))
    cal.event_by_uid("weekly@example.org").delete()
    changed = synced(ctx)
    assert (changed.added, changed.moved, changed.removed) == (0, 1, 2)
    assert [(s, status) for s, status, _ in starts(ctx)] == [
        (datetime(2026, 3, 23, 10, 0, tzinfo=UTC), "booked"),
        (datetime(2026, 3, 24, 13, 0, tzinfo=UTC), "cancelled"),
        (datetime(2026, 3, 31, 12, 0, tzinfo=UTC), "cancelled")]


def test_a_refused_login_keeps_the_last_copy(caldav_ctx: tuple[AppContext, object],
                                                             radicale: Radicale,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, cal = caldav_ctx
    cal.save_event(calendar(event("one@example.org", local("2026-03-23 09:00"), local("2026-03-23 09:30"))))
    assert synced(ctx).added == 1
    monkeypatch.setenv("MBK_TEST_CALDAV_PASSWORD", "wrong")
    refused = synced(ctx, NOW + timedelta(minutes=10))
    assert refused.error is not None and ("401" in refused.error or "Unauthorized" in refused.error)
    assert [status for _, status, _ in starts(ctx)] == ["booked"]
    with ctx.db.session() as session:
        [state] = sync.feed_states(session, ctx.deployment.office("test"), NOW + timedelta(hours=1))
    assert state.stale and state.last_success_at == NOW
