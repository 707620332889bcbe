"""Calendar sync from an iCalendar feed served over HTTP on loopback (SQLite and PostgreSQL): create, move,
cancel, delete, recurring across a daylight-saving change, private as busy time, a feed that goes down and comes
back; and `mbk appointments sync` reporting what it did."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from core import cli_support
from core.context import AppContext
from core.events import OutboxEvent
from plugins.appointments import service, sync
from plugins.appointments.models import Appointment
from tests.plugins.appointments.calendars import calendar, event, local
from tests.plugins.appointments.servers import FeedServer
from tests.plugins.appointments.support import write_deployment
from tests.support import builtin_plugins

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def ics_ctx(feeds: FeedServer, make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    root = write_deployment(tmp_path / "deployment", f"""
calendars = [{{ officer = "a-lind", url = "{feeds.url}/a-lind.ics" }}]
stale_minutes = 30
""")
    return make_context(deployment=root)


def synced(ctx: AppContext, now: datetime = NOW) -> sync.SyncReport:
    [report] = sync.sync_office(ctx.db, ctx.deployment.office("test"), now=now)
    return report


def rows(ctx: AppContext) -> list[Appointment]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Appointment).where(Appointment.office_id == "test")
                                    .order_by(Appointment.start)))


def test_create_move_cancel_and_delete_are_followed(ics_ctx: AppContext, feeds: FeedServer) -> None:
    meeting = event("m1@example.org", local("2026-03-23 09:00"), local("2026-03-23 09:30"), "Ekonomiskt bistånd: Amal",
                    ATTENDEE="Amal Yusuf", ORGANIZER="mailto:anna.lind@example.org")
    private = event("p1@example.org", local("2026-03-23 12:00"), local("2026-03-23 13:00"), "Tandläkare",
                    CLASS="PRIVATE")
    free = event("f1@example.org", local("2026-03-23 15:00"), local("2026-03-23 16:00"), TRANSP="TRANSPARENT")
    feeds.files["/a-lind.ics"] = calendar(meeting, private, free)
    report = synced(ics_ctx)
    assert (report.added, report.moved, report.removed, report.error) == (2, 0, 0, None)
    first, busy = rows(ics_ctx)
    assert (first.start, first.end, first.officer_id, first.unit_id) == (
        datetime(2026, 3, 23, 8, 0, tzinfo=UTC), datetime(2026, 3, 23, 8, 30, tzinfo=UTC), "a-lind", "social")
    assert first.first_name == "Amal" and len(first.code or "") == 6 and first.source == "ics" and not first.busy
    # private: busy time only, no title, no name, no code; nothing of the title is kept anywhere
    assert busy.busy and busy.code is None and busy.first_name is None
    with ics_ctx.db.session() as session:
        listed = service.day_list(session, ics_ctx.deployment.office("test"), first.start.date())
    assert [a.id for a in listed] == [first.id]

    with ics_ctx.db.session() as session:  # one appointment.booked for the meeting, none for busy time
        [booked] = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "appointment.booked")).all()
    assert (booked["appointment_id"], booked["code"], booked["source"]) == (first.id, first.code, "ics")

    again = synced(ics_ctx)
    assert (again.added, again.moved, again.removed) == (0, 0, 0)

    meeting["DTSTART"] = icalendar_time(local("2026-03-24 10:00"))
    meeting["DTEND"] = icalendar_time(local("2026-03-24 10:45"))
    feeds.files["/a-lind.ics"] = calendar(meeting, private)
    moved = synced(ics_ctx)
    assert (moved.added, moved.moved, moved.removed) == (0, 1, 0)
    first_now = next(a for a in rows(ics_ctx) if a.id == first.id)
    assert first_now.code == first.code  # the visitor's code stays valid
    assert first_now.start == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)

    meeting.add("STATUS", "CANCELLED")
    feeds.files["/a-lind.ics"] = calendar(meeting)  # cancelled in the calendar, the private event deleted
    removed = synced(ics_ctx)
    assert (removed.added, removed.moved, removed.removed) == (0, 0, 2)
    assert [(a.id, a.status) for a in rows(ics_ctx)] == [(first.id, "cancelled")]


def icalendar_time(moment: datetime):  # type: ignore[no-untyped-def]
    import icalendar

    return icalendar.vDDDTypes(moment)


def test_recurring_meetings_keep_their_local_time_across_daylight_saving(ics_ctx: AppContext,
                                                                         feeds: FeedServer) -> None:
    weekly = event("weekly@example.org", local("2026-03-16 09:00"), local("2026-03-16 09:30"), "Uppföljning",
                   RRULE={"FREQ": "WEEKLY", "COUNT": 4}, EXDATE=local("2026-04-06 09:00"))
    moved_once = event("weekly@example.org", local("2026-03-30 13:00"), local("2026-03-30 13:30"), "Uppföljning",
                       RECURRENCE_ID=local("2026-03-30 09:00"))
    feeds.files["/a-lind.ics"] = calendar(weekly, moved_once)
    report = synced(ics_ctx, datetime(2026, 3, 16, 6, 0, tzinfo=UTC))
    assert report.added == 3
    # Stockholm leaves UTC+1 for UTC+2 on 29 March: 09:00 stays 09:00 local; one occurrence moved, one excluded
    assert [a.start for a in rows(ics_ctx)] == [datetime(2026, 3, 16, 8, 0, tzinfo=UTC),
                                                 datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
                                                 datetime(2026, 3, 30, 11, 0, tzinfo=UTC)]


def test_a_feed_that_goes_down_keeps_its_last_copy_and_is_stale(ics_ctx: AppContext, feeds: FeedServer) -> None:
    office = ics_ctx.deployment.office("test")
    feeds.files["/a-lind.ics"] = calendar(event("m1", local("2026-03-23 09:00"), local("2026-03-23 09:30")))
    synced(ics_ctx)
    feeds.down = True
    later = NOW + timedelta(minutes=45)
    failed = synced(ics_ctx, later)
    assert failed.error == "HTTP 503 from " + f"{feeds.url}/a-lind.ics" and "last good copy kept" in str(failed)
    assert [a.status for a in rows(ics_ctx)] == ["booked"]  # nothing removed
    with ics_ctx.db.session() as session:
        [state] = sync.feed_states(session, office, later)
    assert state.stale and state.last_success_at == NOW and "503" in (state.last_error or "")

    feeds.files["/a-lind.ics"] = "this is not a calendar"
    feeds.down = False
    assert "not an iCalendar file" in (synced(ics_ctx, later).error or "")
    assert len(rows(ics_ctx)) == 1

    feeds.files["/a-lind.ics"] = calendar(event("m1", local("2026-03-23 09:00"), local("2026-03-23 09:30")))
    back = synced(ics_ctx, later)
    assert back.error is None
    with ics_ctx.db.session() as session:
        [state] = sync.feed_states(session, office, later)
    assert not state.stale and state.last_error is None


def test_an_unchanged_feed_answers_304_and_everything_stays_as_it_is(ics_ctx: AppContext,
                                                                     feeds: FeedServer) -> None:
    office = ics_ctx.deployment.office("test")
    path = "/a-lind.ics"
    feeds.files[path] = calendar(event("m1", local("2026-03-23 09:00"), local("2026-03-23 09:30")))
    first = synced(ics_ctx)
    assert first.added == 1 and feeds.answers[-1] == (path, None, 200)
    before = [(a.id, a.code, a.start, a.status, a.updated_at) for a in rows(ics_ctx)]
    with ics_ctx.db.session() as session:
        events_before = len(list(session.scalars(select(OutboxEvent.id))))

    later = NOW + timedelta(minutes=10)
    unchanged = synced(ics_ctx, later)
    [(_, asked, status)] = feeds.answers[1:]
    assert asked is not None and status == 304  # a conditional GET, with the ETag of the applied copy
    assert unchanged.unchanged and (unchanged.added, unchanged.moved, unchanged.removed) == (0, 0, 0)
    assert str(unchanged) == "officer a-lind: unchanged since the last sync"
    assert [(a.id, a.code, a.start, a.status, a.updated_at) for a in rows(ics_ctx)] == before
    with ics_ctx.db.session() as session:
        assert len(list(session.scalars(select(OutboxEvent.id)))) == events_before  # nothing published
        [state] = sync.feed_states(session, office, later)
    assert state.last_success_at == later and not state.stale  # it answered: not stale

    feeds.files[path] = calendar(event("m1", local("2026-03-23 10:00"), local("2026-03-23 10:30")))
    moved = synced(ics_ctx, later + timedelta(minutes=10))
    assert feeds.answers[-1][2] == 200 and moved.moved == 1 and not moved.unchanged
    # on another day the import window moved on: the whole feed is read again, without conditions
    assert synced(ics_ctx, NOW + timedelta(days=1)).added == 0 and feeds.answers[-1][1:] == (None, 200)


def test_a_calendar_synced_by_another_process_is_left_to_it(ics_ctx: AppContext, feeds: FeedServer) -> None:
    feeds.files["/a-lind.ics"] = calendar()
    office = ics_ctx.deployment.office("test")
    calendar_setting = service.settings_of(office).calendars[0]
    assert sync._lease(ics_ctx.db, office, calendar_setting, NOW, None)  # another process holds it now
    assert synced(ics_ctx).skipped
    assert not synced(ics_ctx, NOW + sync.LEASE + timedelta(seconds=1)).skipped  # its lease ran out


def test_mbk_appointments_sync_reports_what_it_did(ics_ctx: AppContext, feeds: FeedServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    tomorrow = datetime.now(UTC).astimezone(local("2026-01-01 00:00").tzinfo) + timedelta(days=1)
    start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    feeds.files["/a-lind.ics"] = calendar(event("cli", start, start + timedelta(minutes=30)))
    monkeypatch.setattr(cli_support, "load_plugins", builtin_plugins)
    monkeypatch.setenv("MBK_DATABASE_URL", ics_ctx.settings.database_url)
    command = typer.Typer()
    builtin_plugins().hook.mbk_cli(cli=command)  # as `mbk` adds the plugins' commands
    root = ["--deployment", str(ics_ctx.deployment.root)]
    result = CliRunner().invoke(command, ["appointments", "sync", "--office", "test", *root])
    assert result.exit_code == 0, result.output
    assert "test: officer a-lind: added 1, moved 0, removed 0" in result.output
    assert "test: officer a-lind: unchanged since the last sync" in CliRunner().invoke(
        command, ["appointments", "sync", *root]).output  # the feed answered 304 Not Modified
    unknown = CliRunner().invoke(command, ["appointments", "sync", "--office", "nowhere", *root])
    assert unknown.exit_code == 2 and "unknown office 'nowhere'" in unknown.output
    feeds.down = True
    down = CliRunner().invoke(command, ["appointments", "sync", *root])
    assert down.exit_code == 1 and "unreachable, last good copy kept (HTTP 503" in down.output
