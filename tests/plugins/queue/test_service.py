"""The queue's domain logic on SQLite and PostgreSQL: numbering, lifecycle, order, seats, estimates, events,
statistics and retention."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from core.events import OutboxEvent
from core.hookspecs import TicketRequest
from core.problems import Conflict, Invalid, NotFound
from core.web.app import AppContext
from plugins.queue import estimates, lifecycle, retention, seats, tickets
from plugins.queue.models import NumberCounter, Ticket, WaitingChange, WaitingCount
from plugins.queue.settings import settings_of
from plugins.queue.stats import statistics_by_day
from tests.plugins.queue.support import write_deployment

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm


@pytest.fixture
def qctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    return make_context(deployment=write_deployment(tmp_path / "dep", "seat_time_limit_minutes = 30"))


def office(ctx: AppContext, name: str = "test"):  # type: ignore[no-untyped-def]
    return ctx.deployment.office(name)


def issue(ctx: AppContext, service: str | None = "info", now: datetime = T0, **fields) -> lifecycle.IssuedTicket:  # type: ignore[no-untyped-def]
    booked = fields.pop("booked", False)
    with ctx.db.session() as session:
        return lifecycle.issue_ticket(session, office(ctx), TicketRequest(language=fields.pop("language", "sv"),
                                                                      service=service, **fields),
                                  booked=booked, now=now)


def events(ctx: AppContext, kind: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    with ctx.db.session() as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [{"type": r.type, **r.payload} for r in rows if kind is None or r.type == kind]


def call(ctx: AppContext, counter: str = "desk-1", services: list[str] | None = None,
         now: datetime = T0) -> Ticket | None:
    with ctx.db.session() as session:
        return lifecycle.call_next(session, office(ctx), counter, services, now=now)


def act(ctx: AppContext, step: Callable, ticket_id: str, *args, now: datetime = T0):  # type: ignore[no-untyped-def, type-arg]
    with ctx.db.session() as session:
        return step(session, office(ctx), ticket_id, *args, now=now)


def test_numbers_per_service_restart_each_local_day(qctx: AppContext) -> None:
    labels = [issue(qctx, s).ticket.label for s in ("info", "info", "guidance", "info")]
    assert labels == ["A001", "A002", "B001", "A003"]
    before_midnight = datetime(2026, 11, 24, 22, 59, tzinfo=UTC)  # 23:59 in Stockholm
    after_midnight = datetime(2026, 11, 24, 23, 1, tzinfo=UTC)  # 00:01 the next local day
    assert issue(qctx, now=before_midnight).ticket.label == "A004"
    late = issue(qctx, now=after_midnight).ticket
    assert late.label == "A001" and str(late.day) == "2026-11-25"


def test_a_rolled_back_issue_gives_its_number_back(qctx: AppContext) -> None:
    with pytest.raises(RuntimeError), qctx.db.session() as session:
        lifecycle.issue_ticket(session, office(qctx), TicketRequest(language="sv", service="info"), now=T0)
        raise RuntimeError("the kiosk's transaction failed after asking for a ticket")
    assert issue(qctx).ticket.label == "A001"


def test_digits_are_configurable(make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    ctx = make_context(deployment=write_deployment(tmp_path / "dep", "number_digits = 4"))
    assert issue(ctx).ticket.label == "A0001"


def test_a_number_longer_than_its_digits_keeps_every_digit(qctx: AppContext) -> None:
    with qctx.db.session() as session:
        session.add(NumberCounter(office_id="test", service="info", day=T0.date(), last_number=998))
    first, second = issue(qctx), issue(qctx)
    assert (first.ticket.label, second.ticket.label) == ("A999", "A1000")
    assert (first.ticket.number, second.ticket.number) == (999, 1000)
    with qctx.db.session() as session:
        assert session.scalar(select(Ticket.label).where(Ticket.id == second.ticket.id)) == "A1000"


def test_idempotency_key_returns_the_first_ticket(qctx: AppContext) -> None:
    first = issue(qctx, idempotency_key="k1")
    again = issue(qctx, idempotency_key="k1")
    assert again.ticket.public_id == first.ticket.public_id and first.created and not again.created
    assert len(events(qctx, "ticket.issued")) == 1


def test_lifecycle_publishes_every_transition_with_the_agreed_payloads(qctx: AppContext) -> None:
    ticket = issue(qctx, category="housing", answers={"need": "help"}, language="ar").ticket
    called = call(qctx, "desk-2", ["info"])
    assert called is not None and called.public_id == ticket.public_id
    act(qctx, lifecycle.recall, ticket.public_id)
    act(qctx, lifecycle.start, ticket.public_id)
    act(qctx, lifecycle.done, ticket.public_id)
    second = issue(qctx).ticket
    call(qctx)
    act(qctx, lifecycle.no_show, second.public_id)
    third = issue(qctx).ticket
    act(qctx, lifecycle.cancel, third.public_id)
    fourth = issue(qctx).ticket
    act(qctx, lifecycle.transfer, fourth.public_id, "guidance", "Needs help with the form")

    seen = events(qctx)
    assert [e["type"] for e in seen] == [
        "ticket.issued", "ticket.called", "ticket.called", "ticket.started", "ticket.done",
        "ticket.issued", "ticket.called", "ticket.no_show", "ticket.issued", "ticket.cancelled",
        "ticket.issued", "ticket.transferred"]
    assert seen[0] == {"type": "ticket.issued", "ticket_id": ticket.public_id, "number": "A001", "service": "info",
                       "category": "housing", "language": "ar", "position": 1, "estimated_wait_minutes": None,
                       "urgent": False, "interpreter": None}
    assert seen[1] == {"type": "ticket.called", "ticket_id": ticket.public_id, "number": "A001", "service": "info",
                       "counter": "desk-2", "counter_name": "Disk 2", "recall": False, "language": "ar",
                       "seat": None}
    assert seen[2]["recall"] is True
    assert seen[4] == {"type": "ticket.done", "ticket_id": ticket.public_id, "number": "A001", "service": "info",
                       "outcome": None, "referred_to": None}
    assert set(seen[7]) == set(seen[9]) == {"type", "ticket_id", "number", "service"}
    assert seen[11] == {"type": "ticket.transferred", "ticket_id": fourth.public_id, "number": "A004",
                        "service": "info", "to_service": "guidance"}
    with qctx.db.session() as session:
        moved = tickets.get_ticket(session, office(qctx), fourth.public_id)
        assert (moved.service, moved.status, moved.note) == ("guidance", "waiting", "Needs help with the form")


def test_wrong_transitions_are_conflicts(qctx: AppContext) -> None:
    ticket = issue(qctx).ticket
    for step in (lifecycle.start, lifecycle.recall, lifecycle.done, lifecycle.no_show):
        with pytest.raises(Conflict) as conflict:
            act(qctx, step, ticket.public_id)
        assert conflict.value.code == "wrong_state"
    with pytest.raises(NotFound) as missing:
        act(qctx, lifecycle.start, "no-such-ticket")
    assert missing.value.code == "ticket_not_found"


def test_call_next_takes_the_oldest_and_booked_first_when_configured(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    # Both contexts share the test's database: run one scenario after the other.
    plain = make_context(deployment=write_deployment(tmp_path / "a"))
    booked_first = make_context(deployment=write_deployment(tmp_path / "b", "booked_first = true"))
    for ctx in (plain, booked_first):
        oldest = issue(ctx, now=T0).ticket.label
        other = issue(ctx, "guidance", now=T0 + timedelta(minutes=1)).ticket.label
        booked = issue(ctx, now=T0 + timedelta(minutes=2), booked=True).ticket.label
        order = [call(ctx, "desk-2").label for _ in range(3)]
        assert order == ([booked, oldest, other] if ctx is booked_first else [oldest, other, booked])
        assert call(ctx, "desk-2") is None
    # desk-1 serves only info.
    issue(plain, "guidance")
    assert call(plain, "desk-1") is None


def test_a_new_ticket_is_told_its_place_behind_flagged_ones_and_at_the_same_moment(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    ctx = make_context(deployment=write_deployment(tmp_path / "b", "booked_first = true"))
    assert [issue(ctx).position for _ in range(2)] == [1, 2]  # the same moment: behind the one written first
    assert issue(ctx, booked=True).position == 1
    assert issue(ctx, urgent=True).position == 1
    assert issue(ctx, booked=True, now=T0 + timedelta(seconds=1)).position == 3  # behind urgent and booked
    assert issue(ctx, now=T0 + timedelta(seconds=1)).position == 6
    assert [e["position"] for e in events(ctx, "ticket.issued")] == [1, 2, 1, 1, 3, 6]


def test_a_new_ticket_is_told_its_place_where_booked_visitors_wait_like_others(qctx: AppContext) -> None:
    assert issue(qctx).position == 1
    assert issue(qctx, booked=True, now=T0 + timedelta(seconds=1)).position == 2  # not before the earlier one
    assert issue(qctx, now=T0 + timedelta(seconds=2)).position == 3
    assert issue(qctx, booked=True, urgent=True, now=T0 + timedelta(seconds=3)).position == 1
    assert issue(qctx, now=T0 + timedelta(seconds=1)).position == 4  # at the same moment: behind the one written first


def test_each_waiting_ticket_is_told_its_place_in_calling_order(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    ctx = make_context(deployment=write_deployment(tmp_path / "b", "booked_first = true"))
    later = T0 + timedelta(seconds=1)
    flags = [{}, {"booked": True}, {"urgent": True}, {}, {"urgent": True, "booked": True}, {"booked": True},
             {"urgent": True}, {}]
    issued = [issue(ctx, now=T0 if i % 2 else later, **dict(f)).ticket for i, f in enumerate(flags)]
    act(ctx, lifecycle.hold, issued[3].public_id)  # keeps its place, but nobody behind it waits for it
    with ctx.db.session() as session:
        line = [t for t in tickets.open_tickets(session, office(ctx), ["info"], now=T0) if t.held_at is None]
        assert [tickets.position_of(session, office(ctx), t) for t in line] == [1, 2, 3, 4, 5, 6, 7]
    assert [t.label for t in line] == ["A005", "A003", "A007", "A002", "A006", "A008", "A001"]
    assert [call(ctx, "desk-2").label for _ in line] == [t.label for t in line]


def test_position_counts_those_ahead_in_the_same_line(qctx: AppContext) -> None:
    first = issue(qctx)
    issue(qctx, "guidance")
    third = issue(qctx, now=T0 + timedelta(seconds=1))
    assert (first.position, third.position) == (1, 2)
    call(qctx, "desk-1")
    with qctx.db.session() as session:
        assert tickets.position_of(session, office(qctx), tickets.get_ticket(session, office(qctx),
                                                                           third.ticket.public_id)) == 1


def test_a_new_ticket_is_told_its_place_after_every_kind_of_change_in_its_line(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    # A new ticket's place comes from the line's waiting counts (models.WaitingCount; on PostgreSQL with the changes
    # not folded in yet, models.WaitingChange), which triggers keep: every change that moves a ticket into or out
    # of a line, or to other flags, must reach them.
    ctx = make_context(deployment=write_deployment(tmp_path / "b", "booked_first = true"))
    line = [issue(ctx, now=T0 + timedelta(seconds=i), booked=i == 2).ticket.public_id for i in range(8)]
    act(ctx, partial(lifecycle.call_ticket, counter_id="desk-2"), line[2])  # called: leaves the line
    act(ctx, lifecycle.hold, line[1])
    act(ctx, lifecycle.set_urgent, line[4], True)  # to the front, still waiting
    act(ctx, lifecycle.transfer, line[5], "guidance")
    act(ctx, lifecycle.cancel, line[6])
    act(ctx, lifecycle.resume, line[1])
    issue(ctx, "guidance")
    issue(ctx, now=T0 - timedelta(days=1))  # yesterday's line
    # Waiting in info now: urgent A005; A001, A002, A004, A008.
    assert issue(ctx, now=T0 + timedelta(minutes=1)).position == 6
    assert issue(ctx, now=T0 + timedelta(minutes=2), urgent=True).position == 2
    assert issue(ctx, now=T0 + timedelta(minutes=3), booked=True).position == 3
    # Written last but waiting since before some (as a second process's clock may have it): behind A001 and A002 only.
    assert issue(ctx, now=T0 + timedelta(seconds=2.5)).position == 6
    act(ctx, lifecycle.hold, line[7])  # a change after the line's last ticket: not folded in on PostgreSQL
    with ctx.db.session() as session:
        counted: Counter[tuple[Any, ...]] = Counter()
        for row in session.scalars(select(WaitingCount)):
            counted[row.day, row.service, row.urgent, row.booked] += row.waiting
        for change in session.scalars(select(WaitingChange)):
            counted[change.day, change.service, change.urgent, change.booked] += change.change
        waiting = session.execute(select(Ticket.day, Ticket.service, Ticket.urgent, Ticket.booked, func.count())
                                  .where(Ticket.status == "waiting", Ticket.held_at.is_(None))
                                  .group_by(Ticket.day, Ticket.service, Ticket.urgent, Ticket.booked)).all()
    assert {line: count for line, count in counted.items() if count} == {tuple(row[:4]): row[4] for row in waiting}


def test_estimated_wait_follows_recent_real_service_times(qctx: AppContext) -> None:
    # Three visitors served at desk-1 in 4, 6 and 20 minutes: the median is 6.
    now = T0
    for minutes in (4, 6, 20):
        ticket = issue(qctx, now=now).ticket
        call(qctx, "desk-1", now=now)
        act(qctx, lifecycle.start, ticket.public_id, now=now)
        now += timedelta(minutes=minutes)
        act(qctx, lifecycle.done, ticket.public_id, now=now)
    for _ in range(3):
        issue(qctx, now=now)
    with qctx.db.session() as session:
        assert estimates.estimate_for(session, office(qctx), "info", 1, now) == 0
        assert estimates.estimate_for(session, office(qctx), "info", 4, now) == 18  # 3 ahead × 6 min, one desk
    ticket = issue(qctx, now=now).ticket
    call(qctx, "desk-2", now=now)  # a second desk starts calling: the line moves twice as fast
    with qctx.db.session() as session:
        assert estimates.estimate_for(session, office(qctx), "info", 4, now) == 9
        loads = {load.service.id: load for load in estimates.service_loads(session, office(qctx), now)}
        assert loads["info"].waiting == 3 and loads["info"].estimated_wait_minutes == 9
    assert ticket.label == "A007"


def test_a_pace_is_read_again_after_a_few_seconds_and_at_once_after_a_change_made_here(qctx: AppContext) -> None:
    now = T0
    served = issue(qctx, now=now).ticket
    call(qctx, "desk-1", now=now)
    act(qctx, lifecycle.start, served.public_id, now=now)
    now += timedelta(minutes=4)
    act(qctx, lifecycle.done, served.public_id, now=now)
    with qctx.db.session() as session:
        assert estimates.pace(session, office(qctx), "info", now).minutes_per_visitor == 4
        # Another process writes that the visit took 10 minutes (this one's ORM does not see that write).
        session.execute(update(Ticket).where(Ticket.id == served.id).values(finished_at=now + timedelta(minutes=6)))
    later = now + estimates.PACE_REUSED_FOR
    with qctx.db.session() as session:
        assert estimates.pace(session, office(qctx), "info", later).minutes_per_visitor == 4  # reused
        assert estimates.pace(session, office(qctx), "info", later + timedelta(seconds=1)).minutes_per_visitor == 10
    other = issue(qctx, now=later).ticket
    call(qctx, "desk-1", now=later)
    act(qctx, lifecycle.start, other.public_id, now=later)
    act(qctx, lifecycle.done, other.public_id, now=later + timedelta(minutes=2))
    with qctx.db.session() as session:  # a visit finished here counts at once: the median of 10 and 2
        assert estimates.pace(session, office(qctx), "info", later + timedelta(seconds=2)).minutes_per_visitor == 6


def test_text_me_when_third_in_line(qctx: AppContext) -> None:
    for _ in range(3):
        issue(qctx)
    asked = issue(qctx, phone="070-123 45 67", language="en").ticket  # 4th: not near yet
    assert events(qctx, "ticket.near") == []
    call(qctx)
    near = events(qctx, "ticket.near")
    assert near == [{"type": "ticket.near", "ticket_id": asked.public_id, "number": "A004", "service": "info",
                     "position": 3, "phone": "+46701234567", "language": "en"}]
    call(qctx)
    assert len(events(qctx, "ticket.near")) == 1  # once only
    late = issue(qctx).ticket
    set_phone = partial(lifecycle.set_phone, can_text=True)
    act(qctx, set_phone, late.public_id, "+358 40 123 4567")  # asks later, already near: told at once
    assert events(qctx, "ticket.near")[-1]["phone"] == "+358401234567"
    with pytest.raises(Invalid) as invalid:
        act(qctx, set_phone, late.public_id, "call me")
    assert invalid.value.field == "phone"


def test_phone_numbers_are_erased_when_the_ticket_closes(qctx: AppContext) -> None:
    ticket = issue(qctx, phone="0701234567").ticket
    call(qctx)
    act(qctx, lifecycle.done, ticket.public_id)
    with qctx.db.session() as session:
        assert tickets.get_ticket(session, office(qctx), ticket.public_id).phone is None


def test_public_computers_seat_visitors_free_seats_and_enforce_the_time_limit(qctx: AppContext) -> None:
    first, second, third = (issue(qctx, "computers", now=T0 + timedelta(seconds=i)) for i in range(3))
    assert (first.ticket.seat, second.ticket.seat, third.ticket.seat) == (1, 2, None)
    assert first.ticket.status == "serving" and third.position == 1
    called = events(qctx, "ticket.called")
    assert [(e["number"], e["seat"], e["counter"], e["counter_name"]) for e in called] == [
        ("D001", "1", None, "Dator 1"), ("D002", "2", None, "Dator 2")]  # in the ticket's language
    act(qctx, lifecycle.done, first.ticket.public_id, now=T0 + timedelta(minutes=5))
    with qctx.db.session() as session:
        seated = tickets.get_ticket(session, office(qctx), third.ticket.public_id)
        assert (seated.status, seated.seat) == ("serving", 1)
    fourth = issue(qctx, "computers", now=T0 + timedelta(minutes=6))
    assert fourth.ticket.seat is None and fourth.position == 1
    # Seat 2 has been taken since T0; after the 30-minute limit it is freed for the next visitor.
    with qctx.db.session() as session:
        assert seats.assign_seats(session, office(qctx), settings_of(office(qctx)).service("computers"),
                                  T0 + timedelta(minutes=31)) == 1
    with qctx.db.session() as session:
        assert tickets.get_ticket(session, office(qctx), second.ticket.public_id).status == "done"
        assert tickets.get_ticket(session, office(qctx), fourth.ticket.public_id).seat == 2


def test_statistics_per_service_and_day(qctx: AppContext) -> None:
    waits = [2, 4, 6, 8, 30]
    for i, wait in enumerate(waits):
        issued_at = T0 + timedelta(minutes=i)
        ticket = issue(qctx, now=issued_at).ticket
        called_at = issued_at + timedelta(minutes=wait)
        call(qctx, now=called_at)
        if i == 4:
            act(qctx, lifecycle.no_show, ticket.public_id, now=called_at)
        else:
            act(qctx, lifecycle.start, ticket.public_id, now=called_at)
            act(qctx, lifecycle.done, ticket.public_id, now=called_at + timedelta(minutes=10 * (i + 1)))
    issue(qctx, "guidance")
    with qctx.db.session() as session:
        rows = statistics_by_day(session, office(qctx), T0.date(), T0.date())
    info = next(r for r in rows if r.service == "info")
    guidance = next(r for r in rows if r.service == "guidance")
    assert (info.issued, info.served, info.no_shows) == (5, 4, 1)
    assert info.wait_median_minutes == pytest.approx(6)
    assert info.wait_p90_minutes == pytest.approx(21.2)  # between 8 and 30, as percentile_cont interpolates
    assert info.service_median_minutes == pytest.approx(25)
    assert info.service_p90_minutes == pytest.approx(37)
    assert (guidance.issued, guidance.served, guidance.wait_median_minutes) == (1, 0, None)


def test_purge_erases_details_after_retention_and_keeps_statistics(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    ctx = make_context(deployment=write_deployment(tmp_path / "dep", "detail_retention_days = 7"))
    old = issue(ctx, category="migration", category_title="Migration", answers={"need": "residence permit"},
                phone="0701234567").ticket
    call(ctx)
    act(ctx, lifecycle.done, old.public_id, now=T0 + timedelta(minutes=5))
    fresh = issue(ctx, now=T0 + timedelta(days=6), phone="0707654321", answers={"need": "x"}).ticket
    with ctx.db.session() as session:
        before = statistics_by_day(session, office(ctx), T0.date(), T0.date())
        counts = retention.purge(session, office(ctx), T0 + timedelta(days=8))
    assert counts == {"queue_open_tickets_closed": 1, "queue_phone_numbers": 1, "queue_ticket_details": 1}
    with ctx.db.session() as session:
        purged = tickets.get_ticket(session, office(ctx), old.public_id)
        kept = tickets.get_ticket(session, office(ctx), fresh.public_id)
        assert (purged.answers, purged.category, purged.phone) == (None, None, None)
        assert purged.category_title is None
        assert kept.answers == {"need": "x"} and kept.phone is None  # phone: a day old, details: kept
        assert statistics_by_day(session, office(ctx), T0.date(), T0.date()) == before


def test_lines_start_empty_every_day_and_purge_closes_what_was_left_open(qctx: AppContext) -> None:
    being_served = issue(qctx, phone="0701234567").ticket
    still_waiting = issue(qctx).ticket
    call(qctx, "desk-1", ["info"])
    act(qctx, lifecycle.start, being_served.public_id)
    next_day = T0 + timedelta(days=1)
    issue(qctx, now=next_day)
    assert call(qctx, now=next_day).label == "A001"  # today's first visitor, not yesterday's leftover
    assert call(qctx, now=next_day) is None
    with qctx.db.session() as session:
        assert tickets.waiting_counts(session, office(qctx), next_day) == {}
        assert retention.purge(session, office(qctx), next_day)["queue_open_tickets_closed"] == 2
    with qctx.db.session() as session:
        served = tickets.get_ticket(session, office(qctx), being_served.public_id)
        left = tickets.get_ticket(session, office(qctx), still_waiting.public_id)
        assert (served.status, served.finished_at, served.phone) == ("done", None, None)
        assert left.status == "cancelled"
        counted_days = {row.day for counts in (WaitingCount, WaitingChange) for row in session.scalars(select(counts))}
        assert counted_days == {next_day.date()}  # the waiting count of today's line only
        stats = statistics_by_day(session, office(qctx), T0.date(), T0.date())
    assert (stats[0].served, stats[0].cancelled, stats[0].service_median_minutes) == (1, 1, None)


def test_the_seat_sweeper_frees_computers_past_their_time_limit(qctx: AppContext) -> None:
    from plugins.queue import SeatSweeper

    long_ago = datetime.now(UTC) - timedelta(minutes=31)  # the limit in this office is 30 minutes
    overdue = issue(qctx, "computers", now=long_ago).ticket
    recent = issue(qctx, "computers", now=datetime.now(UTC)).ticket
    SeatSweeper(qctx).sweep()
    with qctx.db.session() as session:
        assert tickets.get_ticket(session, office(qctx), overdue.public_id).status == "done"
        assert tickets.get_ticket(session, office(qctx), recent.public_id).status == "serving"
