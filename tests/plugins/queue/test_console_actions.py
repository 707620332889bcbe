"""The guide console's day in the queue service, on SQLite and PostgreSQL: calling a chosen ticket, holding and
resuming, pausing a counter, urgent tickets first, the outcome of a visit, interpreter requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.events import OutboxEvent
from core.hookspecs import TicketRequest
from core.problems import Conflict, Invalid
from core.web.app import AppContext
from plugins.queue import counters, estimates, lifecycle, stats, tickets
from plugins.queue.models import Ticket
from tests.plugins.queue.support import write_deployment

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
REFERRALS = 'referrals = [{ id = "social", name = { sv = "Socialtjänsten", en = "Social services" } }]'


@pytest.fixture
def qctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    return make_context(deployment=write_deployment(tmp_path / "dep", REFERRALS))


def issue(ctx: AppContext, minutes: int = 0, service: str = "info", **fields) -> Ticket:  # type: ignore[no-untyped-def]
    with ctx.db.session() as session:
        return lifecycle.issue_ticket(session, ctx.deployment.office("test"),
                                      TicketRequest(language="sv", service=service, **fields),
                                      now=T0 + timedelta(minutes=minutes)).ticket


def run(ctx: AppContext, step: Callable, *args, **kwargs):  # type: ignore[no-untyped-def, type-arg]
    with ctx.db.session() as session:
        return step(session, ctx.deployment.office("test"), *args, now=T0 + timedelta(minutes=30), **kwargs)


def call_next(ctx: AppContext, counter: str = "desk-1") -> str | None:
    called = run(ctx, lifecycle.call_next, counter, None)
    return called.label if called else None


def event_types(ctx: AppContext) -> list[str]:
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def test_a_guide_calls_a_chosen_ticket_and_nobody_else_can(qctx: AppContext) -> None:
    first, second = issue(qctx, 0), issue(qctx, 1)
    called = run(qctx, lifecycle.call_ticket, second.public_id, "desk-2")
    assert (called.label, called.status, called.counter) == ("A002", "called", "desk-2")
    with pytest.raises(Conflict) as taken:
        run(qctx, lifecycle.call_ticket, second.public_id, "desk-1")
    assert taken.value.code == "wrong_state"
    assert call_next(qctx) == first.label  # the line goes on in its order
    assert event_types(qctx).count("ticket.called") == 2
    with pytest.raises(Invalid) as unknown:
        run(qctx, lifecycle.call_ticket, first.public_id, "desk-9")
    assert unknown.value.field == "counter"


def test_a_ticket_on_hold_keeps_its_place_and_is_passed_by_call_next(qctx: AppContext) -> None:
    first, second, third = issue(qctx, 0), issue(qctx, 1), issue(qctx, 2)
    assert call_next(qctx) == "A001"
    held = run(qctx, lifecycle.hold, first.public_id)
    assert (held.status, held.counter, held.held_at is not None) == ("waiting", None, True)
    with qctx.db.session() as session:
        office = qctx.deployment.office("test")
        line = tickets.open_tickets(session, office, ["info"], now=T0)
        assert [t.label for t in line] == ["A001", "A002", "A003"]  # still visible to guides, in its place
        assert tickets.position_of(session, office, tickets.get_ticket(session, office, second.public_id)) == 1
    assert call_next(qctx) == "A002"  # passed by while on hold
    with pytest.raises(Conflict):
        run(qctx, lifecycle.hold, first.public_id)
    run(qctx, lifecycle.resume, first.public_id)
    assert call_next(qctx, "desk-2") == "A001"  # back in its old place, before A003
    with pytest.raises(Conflict):
        run(qctx, lifecycle.resume, third.public_id)  # never held
    assert event_types(qctx).count("ticket.held") == event_types(qctx).count("ticket.resumed") == 1


def test_a_held_ticket_can_be_called_by_choice(qctx: AppContext) -> None:
    ticket = issue(qctx)
    run(qctx, lifecycle.hold, ticket.public_id)
    assert call_next(qctx) is None
    called = run(qctx, lifecycle.call_ticket, ticket.public_id, "desk-1")
    assert called.status == "called" and called.held_at is None


def test_time_on_hold_is_not_service_time(qctx: AppContext) -> None:
    """Served 5 minutes, on hold 34 minutes (a form at a public computer), then served 3 more: 8 minutes of
    service, in the statistics and in the estimates alike; a second visit, called then held before it started
    and finished without pressing start, counts its 2 minutes before and its 4 after."""
    def at(minutes: int, step: Callable, *args, **kwargs):  # type: ignore[no-untyped-def, type-arg]
        with qctx.db.session() as session:
            return step(session, qctx.deployment.office("test"), *args, now=T0 + timedelta(minutes=minutes),
                        **kwargs)

    first, second = issue(qctx, 0), issue(qctx, 0)
    at(1, lifecycle.call_ticket, first.public_id, "desk-1")
    at(1, lifecycle.start, first.public_id)
    at(6, lifecycle.hold, first.public_id)
    at(20, lifecycle.resume, first.public_id)
    assert at(40, lifecycle.call_next, "desk-1", None).label == "A001"
    at(42, lifecycle.start, first.public_id)
    at(45, lifecycle.done, first.public_id, outcome="helped")
    at(50, lifecycle.call_ticket, second.public_id, "desk-2")
    at(52, lifecycle.hold, second.public_id)
    at(60, lifecycle.call_ticket, second.public_id, "desk-2")
    at(64, lifecycle.done, second.public_id)
    with qctx.db.session() as session:
        office = qctx.deployment.office("test")
        (row,) = stats.statistics_by_day(session, office, T0.date(), T0.date())
        pace = estimates.pace(session, office, "info", T0 + timedelta(minutes=65))
    assert (row.served, row.helped) == (2, 1)
    assert row.service_median_minutes == pytest.approx(7)  # 8 and 6 minutes
    assert row.service_p90_minutes == pytest.approx(7.8)
    assert pace.minutes_per_visitor == pytest.approx(7)


def test_a_paused_counter_is_never_called_to(qctx: AppContext) -> None:
    ticket = issue(qctx)
    assert run(qctx, counters.set_state, "desk-1", "paused") == "paused"
    run(qctx, counters.set_state, "desk-1", "paused")  # again: no second event
    for attempt in (lambda: call_next(qctx, "desk-1"),
                    lambda: run(qctx, lifecycle.call_ticket, ticket.public_id, "desk-1")):
        with pytest.raises(Conflict) as paused:
            attempt()
        assert paused.value.code == "counter_paused"
    assert call_next(qctx, "desk-2") == "A001"  # other counters call as usual
    issue(qctx, 5)
    run(qctx, counters.set_state, "desk-1", "open")
    assert call_next(qctx, "desk-1") == "A002"
    assert [t for t in event_types(qctx) if t.startswith("counter.")] == ["counter.paused", "counter.opened"]
    with qctx.db.session() as session:
        now = {c.id: c.state for c in counters.counters_now(session, qctx.deployment.office("test"), T0)}
    assert now == {"desk-1": "busy", "desk-2": "busy"}


def test_urgent_tickets_come_first_from_the_kiosk_or_a_guides_flag(qctx: AppContext) -> None:
    plain, from_kiosk, later = issue(qctx, 0), issue(qctx, 1, urgent=True), issue(qctx, 2)
    with qctx.db.session() as session:
        office = qctx.deployment.office("test")
        positions = [tickets.position_of(session, office, tickets.get_ticket(session, office, t.public_id))
                     for t in (plain, from_kiosk, later)]
    assert positions == [2, 1, 3]
    flagged = run(qctx, lifecycle.set_urgent, later.public_id, True)
    assert flagged.urgent
    assert [call_next(qctx), call_next(qctx, "desk-2")] == ["A002", "A003"]  # urgent first, each by issue time
    assert event_types(qctx).count("ticket.urgent") == 1
    with qctx.db.session() as session:
        issued = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "ticket.issued")
                                 .order_by(OutboxEvent.id)).all()
    assert [e.payload["urgent"] for e in issued] == [False, True, False]


def test_done_records_the_outcome_and_whom_the_visitor_was_referred_to(qctx: AppContext) -> None:
    helped, referred = issue(qctx, 0), issue(qctx, 1)
    call_next(qctx)
    call_next(qctx, "desk-2")
    with pytest.raises(Invalid) as bad:
        run(qctx, lifecycle.done, helped.public_id, outcome="fine")
    assert bad.value.field == "outcome"
    with pytest.raises(Invalid) as nowhere:
        run(qctx, lifecycle.done, referred.public_id, outcome="referred")
    assert nowhere.value.field == "referred_to" and "social" in nowhere.value.message
    with pytest.raises(Invalid):
        run(qctx, lifecycle.done, helped.public_id, outcome="helped", referred_to="social")
    assert run(qctx, lifecycle.done, helped.public_id, outcome="helped_self_service").outcome == "helped_self_service"
    done = run(qctx, lifecycle.done, referred.public_id, outcome="referred", referred_to="social")
    assert (done.status, done.outcome, done.referred_to) == ("done", "referred", "social")
    with qctx.db.session() as session:
        payloads = [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.type == "ticket.done")
                                                       .order_by(OutboxEvent.id))]
    assert [(p["outcome"], p["referred_to"]) for p in payloads] == [("helped_self_service", None),
                                                                    ("referred", "social")]


def test_an_interpreter_request_is_kept_and_a_bad_language_code_named(qctx: AppContext) -> None:
    assert issue(qctx, interpreter="ti").interpreter == "ti"
    with pytest.raises(Invalid) as bad:
        issue(qctx, interpreter="Tigrinya please")
    assert bad.value.field == "interpreter"


def test_a_referral_id_used_twice_is_named() -> None:
    from plugins.queue.settings import QueueSettings, validate_settings

    settings = QueueSettings.model_validate({"referrals": [{"id": "social", "name": {"sv": "A"}},
                                                           {"id": "social", "name": {"sv": "B"}}]})
    assert ("referrals[1].id", "referral id 'social' is used twice") in validate_settings(settings, ("sv",))


def test_statistics_count_urgent_tickets_interpreter_requests_and_outcomes(qctx: AppContext) -> None:
    from plugins.queue.stats import statistics_by_day

    tickets_ = [issue(qctx, 0, interpreter="ti"), issue(qctx, 1, urgent=True), issue(qctx, 2), issue(qctx, 3)]
    for ticket, outcome in zip(tickets_[:3], ("helped_self_service", "helped_self_service", "no_errand"),
                               strict=True):
        run(qctx, lifecycle.call_ticket, ticket.public_id, "desk-1")
        run(qctx, lifecycle.done, ticket.public_id, outcome=outcome)
    run(qctx, lifecycle.call_ticket, tickets_[3].public_id, "desk-2")
    run(qctx, lifecycle.done, tickets_[3].public_id, outcome="referred", referred_to="social")
    with qctx.db.session() as session:
        [info] = statistics_by_day(session, qctx.deployment.office("test"), T0.date(), T0.date())
    assert (info.issued, info.served, info.urgent, info.interpreter) == (4, 4, 1, 1)
    assert (info.helped, info.helped_self_service, info.referred, info.no_errand) == (0, 2, 1, 1)
    # Beside the empowerment indicators: the shares per service and week, with the surveys' honest intervals.
    from plugins.queue.outcomes import outcomes_panel_context

    with qctx.db.session() as session:
        rows = statistics_by_day(session, qctx.deployment.office("test"), T0.date(), T0.date())
    panel = outcomes_panel_context(qctx.deployment.office("test"), rows, lambda text, **values: text % values, "sv")
    assert panel["rows"] == [("2026-W48", "Info", 4, ["0 % (0 of 4, 0–49 %)", "50 % (2 of 4, 15–85 %)",
                                                        "25 % (1 of 4, 5–70 %)", "25 % (1 of 4, 5–70 %)"])]
