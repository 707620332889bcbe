"""Row locks on PostgreSQL, deterministically: one transaction holds a waiting ticket (as a guide's call-next or
a seat assignment does between its SELECT ... FOR UPDATE and its commit), and another transaction, on its own
connection, must skip that ticket rather than wait for it or take it too. No threads and no timing: the holding
transaction stays open while the other runs to its end. ``lock_timeout`` turns a wait, should the skip ever be
lost, into an error instead of a hang. PostgreSQL only: SQLite has one writer and no row locks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import lock_key
from core.hookspecs import TicketRequest
from core.problems import Conflict
from core.web.app import AppContext
from plugins.queue import counters, lifecycle, seats
from plugins.queue.models import OPEN, PAUSED, CounterState, Ticket

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def office(ctx: AppContext) -> OfficeConfig:
    return ctx.deployment.office("skarholmen")


def issue(ctx: AppContext, office: OfficeConfig, service: str, minutes: int) -> str:
    with ctx.db.session() as session:
        request = TicketRequest(language="sv", service=service)
        return lifecycle.issue_ticket(session, office, request, now=T0 + timedelta(minutes=minutes)).ticket.public_id


def hold(session: Session, public_id: str) -> None:
    """Lock the ticket's row in this (still open) transaction."""
    session.scalars(select(Ticket).where(Ticket.public_id == public_id).with_for_update()).one()


def no_waiting(session: Session) -> None:
    session.execute(text("SET LOCAL lock_timeout = '3s'"))


def test_call_next_skips_the_ticket_another_transaction_holds(ctx: AppContext, office: OfficeConfig) -> None:
    first, second = issue(ctx, office, "guidance", 0), issue(ctx, office, "guidance", 1)
    with ctx.db.session() as holder:
        hold(holder, first)
        with ctx.db.session() as guide:
            no_waiting(guide)
            called = lifecycle.call_next(guide, office, "guide-1", ["guidance"], now=T0 + timedelta(minutes=2))
            assert called is not None and called.public_id == second
        with ctx.db.session() as guide:  # the held ticket is the only one left: nobody to call for now
            no_waiting(guide)
            assert lifecycle.call_next(guide, office, "guide-2", ["guidance"], now=T0 + timedelta(minutes=2)) is None
    with ctx.db.session() as guide:  # released: now it is called
        called = lifecycle.call_next(guide, office, "guide-1", ["guidance"], now=T0 + timedelta(minutes=3))
        assert called is not None and called.public_id == first


def test_seat_assignment_skips_the_ticket_another_transaction_holds(ctx: AppContext, office: OfficeConfig) -> None:
    computers = office.settings_for("queue").service("computers")
    for _ in range(computers.seats):  # every computer taken at once
        issue(ctx, office, "computers", 0)
    first, second = issue(ctx, office, "computers", 1), issue(ctx, office, "computers", 2)
    later = T0 + timedelta(minutes=office.settings_for("queue").seat_time_limit_minutes + 5)  # all seats over time
    with ctx.db.session() as holder:
        hold(holder, first)
        with ctx.db.session() as assigner:
            no_waiting(assigner)
            assert seats.assign_seats(assigner, office, computers, now=later) == 1
        with ctx.db.session() as session:
            seated = dict(session.execute(select(Ticket.public_id, Ticket.seat)
                                          .where(Ticket.public_id.in_([first, second]))).all())
        assert seated == {first: None, second: 1}
    with ctx.db.session() as assigner:  # released: the next assignment seats it
        assert seats.assign_seats(assigner, office, computers, now=later) == 1
        assert assigner.scalars(select(Ticket.seat).where(Ticket.public_id == first)).one() == 2


def test_a_call_and_a_pause_of_its_counter_take_turns(ctx: AppContext, office: OfficeConfig) -> None:
    """Call-next holds its counter's row until it commits, and waits for a pause that holds it: never is a visitor
    called to a counter whose guide is pausing it at that moment."""
    issue(ctx, office, "guidance", 0), issue(ctx, office, "guidance", 1)
    for state in (PAUSED, OPEN):  # the counter gets a row
        with ctx.db.session() as session:
            counters.set_state(session, office, "guide-1", state, now=T0)
    counter_row = select(CounterState).where(CounterState.office_id == office.id, CounterState.counter == "guide-1")
    with ctx.db.session() as guide:
        assert lifecycle.call_next(guide, office, "guide-1", ["guidance"], now=T0 + timedelta(minutes=2))
        with pytest.raises(OperationalError, match="lock"), ctx.db.session() as manager:
            manager.execute(counter_row.with_for_update(nowait=True))  # a pause would wait here
    with ctx.db.session() as manager:
        counters.set_state(manager, office, "guide-1", PAUSED, now=T0 + timedelta(minutes=3))
        with pytest.raises(OperationalError, match="lock timeout"), ctx.db.session() as guide:
            guide.execute(text("SET LOCAL lock_timeout = '200ms'"))  # the call waits for the pause
            lifecycle.call_next(guide, office, "guide-1", ["guidance"], now=T0 + timedelta(minutes=3))
    with pytest.raises(Conflict), ctx.db.session() as guide:  # and then finds the counter paused
        lifecycle.call_next(guide, office, "guide-1", ["guidance"], now=T0 + timedelta(minutes=4))


def issued_while_held(ctx: AppContext, office: OfficeConfig, first: TicketRequest, second: TicketRequest,
                      second_at: datetime) -> tuple[lifecycle.IssuedTicket, lifecycle.IssuedTicket]:
    """The first kiosk issues (at T0) and holds its line's counter; the second issues meanwhile, seen waiting for
    the first in pg_stat_activity (no timing), and ends once the first commits."""
    with ctx.db.session() as holder:
        issued_first = lifecycle.issue_ticket(holder, office, first, now=T0)
        waiting_pid = holder.connection().connection.dbapi_connection.info.backend_pid
        second_result: list[lifecycle.IssuedTicket] = []

        def second_kiosk() -> None:
            with ctx.db.session() as session:
                second_result.append(lifecycle.issue_ticket(session, office, second, now=second_at))

        kiosk = threading.Thread(target=second_kiosk)
        kiosk.start()
        with ctx.db.engine.connect() as watcher:  # until the second kiosk waits for the first one's lock
            blocked = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
            deadline = time.monotonic() + 30
            while not watcher.scalar(blocked, {"pid": waiting_pid}) and time.monotonic() < deadline:
                watcher.rollback()  # PostgreSQL keeps one snapshot of pg_stat_activity per transaction
                time.sleep(0.01)
            assert watcher.scalar(blocked, {"pid": waiting_pid}), "the second kiosk never waited for the first"
    kiosk.join(30)  # the first committed as its session ended
    assert len(second_result) == 1, "the second kiosk got no ticket"
    return issued_first, second_result[0]


def test_a_ticket_issued_while_another_holds_its_line_counts_that_one_ahead(ctx: AppContext,
                                                                           office: OfficeConfig) -> None:
    """Two kiosks issue in one line at once: the second waits for the line's number until the first commits, and
    its place must then count the first, or two visitors are told the same place."""
    request = TicketRequest(language="sv", service="guidance")
    issued_first, issued_second = issued_while_held(ctx, office, request, request, T0 + timedelta(seconds=1))
    assert issued_first.position == 1
    assert (issued_second.ticket.number, issued_second.position) == (issued_first.ticket.number + 1, 2)


def test_a_ticket_issued_while_another_holds_its_line_counts_only_those_ahead_of_it(
        ctx: AppContext, office: OfficeConfig) -> None:
    """The ticket numbered while the second kiosk waited is counted only when it is ahead: an urgent ticket comes
    before it, and is not told place 2."""
    issued_first, issued_second = issued_while_held(
        ctx, office, TicketRequest(language="sv", service="guidance"),
        TicketRequest(language="sv", service="guidance", urgent=True), T0 + timedelta(seconds=1))
    assert (issued_first.position, issued_second.position) == (1, 1)
    with ctx.db.session() as session:
        called = lifecycle.call_next(session, office, "guide-1", ["guidance"], now=T0 + timedelta(minutes=1))
        assert called is not None and called.public_id == issued_second.ticket.public_id


def test_a_kiosk_numbered_after_another_comes_after_it_though_it_read_the_clock_first(
        ctx: AppContext, office: OfficeConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real time (no ``now`` given), a slow kiosk reads the clock, then another kiosk reads it and takes the line's
    next number before the slow one does: the slow one must wait behind it, as their numbers say, and not be told
    the same place. The slow kiosk is held between its clock and its number by a stand-in for the pace it reads
    there."""
    request = TicketRequest(language="sv", service="guidance")
    held, go_on = threading.Event(), threading.Event()
    pace = lifecycle.pace

    def slow_pace(*args: object, **kwargs: object) -> object:
        if threading.current_thread().name == "slow kiosk":
            held.set()
            go_on.wait(30)
        return pace(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "pace", slow_pace)
    slow_result: list[lifecycle.IssuedTicket] = []

    def slow_kiosk() -> None:
        with ctx.db.session() as session:
            slow_result.append(lifecycle.issue_ticket(session, office, request))

    kiosk = threading.Thread(target=slow_kiosk, name="slow kiosk")
    kiosk.start()
    assert held.wait(30), "the slow kiosk never read the clock"
    try:
        with ctx.db.session() as session:
            fast = lifecycle.issue_ticket(session, office, request)
    finally:
        go_on.set()
        kiosk.join(30)
    assert len(slow_result) == 1, "the slow kiosk got no ticket"
    slow = slow_result[0]
    assert [(fast.ticket.number, fast.position), (slow.ticket.number, slow.position)] == [(1, 1), (2, 2)]
    with ctx.db.session() as session:
        called = lifecycle.call_next(session, office, "guide-1", ["guidance"])
        assert called is not None and called.public_id == fast.ticket.public_id


def test_a_line_is_numbered_in_turns_of_its_own(ctx: AppContext, office: OfficeConfig) -> None:
    """A ticket takes its line's turn (an advisory lock, served in the order asked; core.db.turn_cte) before its
    counter: while another transaction has the turn of Skärholmen's guidance line on T0's day, a ticket of that
    line waits, and a ticket of another line does not."""
    with ctx.db.session() as holder:
        lock_key(holder, f"queue.number/{office.id}/guidance/{T0.date().isoformat()}")
        with pytest.raises(OperationalError, match="lock timeout"), ctx.db.session() as kiosk:
            kiosk.execute(text("SET LOCAL lock_timeout = '200ms'"))
            lifecycle.issue_ticket(kiosk, office, TicketRequest(language="sv", service="guidance"), now=T0)
        with ctx.db.session() as kiosk:
            no_waiting(kiosk)
            lifecycle.issue_ticket(kiosk, office, TicketRequest(language="sv", service="info"), now=T0)
    assert issue(ctx, office, "guidance", 1)  # the turn given back: the line is numbered again
