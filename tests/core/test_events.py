"""The outbox: an event exists iff its transaction committed, is delivered at least once, retried, then failed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import events
from core.db import utcnow
from core.events import Dispatcher, EventDelivery, OutboxEvent, publish
from core.web.app import AppContext
from tests.core import dummy
from tests.core.test_plugin_contract import OFFICE_WITH, OFFICE_WITHOUT, with_dummy, write_deployment


@pytest.fixture
def ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    dummy.calls.clear()
    root = write_deployment(tmp_path / "dep", {"alpha": OFFICE_WITH, "beta": OFFICE_WITHOUT})
    return make_context(deployment=root, plugins=with_dummy())


def count(ctx: AppContext, model: type) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_rolled_back_transaction_leaves_no_event(ctx: AppContext) -> None:
    with pytest.raises(RuntimeError), ctx.db.session() as session:
        publish(session, "alpha", dummy.DummyHappened(value=1))
        raise RuntimeError("the change failed")
    assert count(ctx, OutboxEvent) == 0


def test_committed_event_is_delivered_after_a_crash_before_delivery(ctx: AppContext) -> None:
    with ctx.db.session() as session:
        publish(session, "alpha", dummy.DummyHappened(value=1))
    # "crash": the process that committed never delivered; a new dispatcher (after restart) picks it up
    restarted = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    restarted.run_once()
    assert ("mbk_handle_event", "alpha") in dummy.calls
    with ctx.db.session() as session:
        delivery = session.scalars(select(EventDelivery)).one()
        assert (delivery.plugin, delivery.status, delivery.attempts) == ("dummy", "done", 1)


def test_events_reach_only_plugins_the_office_enables(ctx: AppContext) -> None:
    with ctx.db.session() as session:
        publish(session, "beta", dummy.DummyHappened(value=1))
    Dispatcher(ctx.db, ctx.plugins, ctx.deployment).run_once()
    assert ("mbk_handle_event", "beta") not in dummy.calls
    with ctx.db.session() as session:
        assert session.scalars(select(EventDelivery).where(EventDelivery.plugin == "dummy")).all() == []


def test_failing_handler_is_retried_with_backoff_then_marked_failed(ctx: AppContext) -> None:
    with ctx.db.session() as session:
        publish(session, "alpha", dummy.DummyHappened(value=13))
        publish(session, "alpha", dummy.DummyHappened(value=2))
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment, max_attempts=3)
    now = utcnow()
    dispatcher.run_once(now)
    with ctx.db.session() as session:
        bad, good = session.scalars(select(EventDelivery).order_by(EventDelivery.event_id)).all()
        assert good.status == "done"  # a failing handler does not block the next event
        assert (bad.status, bad.attempts) == ("pending", 1)
        assert bad.next_attempt_at > now and "unlucky number" in bad.last_error
    dispatcher.run_once(now)  # not due yet: nothing happens
    with ctx.db.session() as session:
        assert session.get(EventDelivery, bad.id).attempts == 1
    for step in range(1, 4):
        dispatcher.run_once(now + timedelta(hours=step))
    with ctx.db.session() as session:
        failed = events.failed_deliveries(session, "alpha")
        assert [(d.attempts, e.type) for d, e in failed] == [(3, "dummy.happened")]
        assert events.retry_delivery(session, failed[0][0].id, "alpha")
    with ctx.db.session() as session:
        assert session.get(EventDelivery, bad.id).status == "pending"
