"""Office isolation inside the queue's queries. Both demo offices have a `guidance` line, so a query that forgot
its office filter would mix Skärholmen's and Rinkeby's visitors: every test below sets up the other office's
tickets so that they would be picked, counted or returned if that filter were missing (each one was seen to fail
with its filter removed). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from core.config import OfficeConfig
from core.hookspecs import TicketRequest
from core.web.app import AppContext
from plugins.queue import lifecycle, tickets
from plugins.queue.stats import statistics_by_day
from tests.support import bearer

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday morning in Stockholm


@pytest.fixture
def offices(ctx: AppContext) -> tuple[OfficeConfig, OfficeConfig]:
    here, there = ctx.deployment.office("skarholmen"), ctx.deployment.office("rinkeby")
    assert here.settings_for("queue").service("guidance") and there.settings_for("queue").service("guidance")
    return here, there


def issue(ctx: AppContext, office: OfficeConfig, now: datetime, key: str | None = None) -> lifecycle.IssuedTicket:
    with ctx.db.session() as session:
        return lifecycle.issue_ticket(session, office, TicketRequest(language="sv", service="guidance",
                                                                     idempotency_key=key), now=now)


def test_call_next_calls_only_its_own_offices_visitors(ctx: AppContext, offices: tuple[OfficeConfig, ...]) -> None:
    here, there = offices
    elsewhere = issue(ctx, there, T0)  # waiting longest, but at the other office
    mine = issue(ctx, here, T0 + timedelta(minutes=1))
    assert mine.position == 1
    with ctx.db.session() as session:
        assert tickets.position_of(session, here, tickets.get_ticket(session, here, mine.ticket.public_id)) == 1
        called = lifecycle.call_next(session, here, "guide-1", ["guidance"], now=T0 + timedelta(minutes=2))
        assert called is not None and called.public_id == mine.ticket.public_id
        assert lifecycle.call_next(session, here, "guide-1", ["guidance"], now=T0 + timedelta(minutes=3)) is None
        assert tickets.get_ticket(session, there, elsewhere.ticket.public_id).status == "waiting"


def crowd_the_other_office(ctx: AppContext, offices: tuple[OfficeConfig, ...], tickets_there: int) -> None:
    """``tickets_there`` tickets waiting at Rinkeby's guidance line, one at Skärholmen's."""
    here, there = offices
    for minute in range(tickets_there):
        issue(ctx, there, T0 + timedelta(minutes=minute))
    issue(ctx, here, T0)


def test_waiting_counts_are_per_office(ctx: AppContext, offices: tuple[OfficeConfig, ...]) -> None:
    here, there = offices
    crowd_the_other_office(ctx, offices, 3)
    with ctx.db.session() as session:
        assert tickets.waiting_counts(session, here, T0) == {"guidance": 1}
        assert tickets.waiting_counts(session, there, T0) == {"guidance": 3}


def test_the_console_lists_only_its_own_offices_tickets(client: TestClient, ctx: AppContext, make_user,  # noqa: ANN001
                                                        offices: tuple[OfficeConfig, ...]) -> None:
    here, there = offices
    now = datetime.now(UTC)
    elsewhere = issue(ctx, there, now)
    mine = issue(ctx, here, now)
    with ctx.db.session() as session:
        assert [t.public_id for t in tickets.open_tickets(session, here, now=now)] == [mine.ticket.public_id]
        assert [t.public_id for t in tickets.open_tickets(session, there, ["guidance"], now=now)] == [
            elsewhere.ticket.public_id]
    root = bearer(client, make_user("isolation-root", None, None, platform_admin=True))
    listed = client.get("/api/v1/offices/skarholmen/queue/tickets", headers=root).json()
    assert [t["number"] for t in listed] == [mine.ticket.label]


def test_idempotency_keys_belong_to_their_office(ctx: AppContext, offices: tuple[OfficeConfig, ...]) -> None:
    here, there = offices
    first = issue(ctx, here, T0, key="same-key-on-two-kiosks")
    other = issue(ctx, there, T0, key="same-key-on-two-kiosks")
    assert other.created and other.ticket.office_id == "rinkeby" and other.ticket.public_id != first.ticket.public_id
    again = issue(ctx, there, T0 + timedelta(seconds=5), key="same-key-on-two-kiosks")
    assert not again.created and again.ticket.public_id == other.ticket.public_id


def test_statistics_count_only_their_own_office(ctx: AppContext, offices: tuple[OfficeConfig, ...]) -> None:
    here, there = offices
    crowd_the_other_office(ctx, offices, 4)
    with ctx.db.session() as session:
        lifecycle.call_next(session, there, "desk-1", now=T0 + timedelta(minutes=10))
        mine = statistics_by_day(session, here, T0.date(), T0.date())
        theirs = statistics_by_day(session, there, T0.date(), T0.date())
    assert [(s.service, s.issued, s.wait_median_minutes) for s in mine] == [("guidance", 1, None)]
    assert [(s.service, s.issued) for s in theirs] == [("guidance", 4)]
    assert theirs[0].wait_median_minutes == pytest.approx(10.0)
