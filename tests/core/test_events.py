"""The outbox: an event exists iff its transaction committed, is delivered at least once, retried, then failed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core import auth, events
from core.db import utcnow
from core.dispatch import Dispatcher
from core.events import Event, EventDelivery, OutboxEvent, publish
from core.live import PostgresListener
from core.plugins import Plugin, hookimpl
from core.web.app import AppContext, create_app
from tests.core import dummy
from tests.core.test_auth import HTML, csrf_of, login
from tests.core.test_plugin_contract import OFFICE_WITH, OFFICE_WITHOUT, with_dummy, write_deployment
from tests.support import PASSWORD, bearer


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


def received_live(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, commit: Callable[[], object],
                  until: Callable[[list[Event]], bool]) -> list[Event]:
    """The events this process's live listeners get (on PostgreSQL through LISTEN/NOTIFY) from what ``commit``
    commits, waited for until ``until`` holds of them (at most ten seconds)."""
    received: list[Event] = []
    monkeypatch.setattr(ctx.broker, "deliver", received.append)
    listener = PostgresListener(ctx.db, ctx.broker) if ctx.db.is_postgres else None
    if listener:
        listener.start()
    try:
        commit()
        deadline = time.monotonic() + 10
        while not until(received) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        if listener:
            listener.stop()
    return received


def test_live_listeners_get_only_committed_events(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing rolled back reaches a live page, a savepoint's rollback included (e.g. a handler that failed)."""
    def commit() -> None:
        with pytest.raises(RuntimeError), ctx.db.session() as session:
            publish(session, "alpha", dummy.DummyHappened(value=1))
            raise RuntimeError("the change failed")
        with ctx.db.session() as session:
            with pytest.raises(RuntimeError), session.begin_nested():
                publish(session, "alpha", dummy.DummyHappened(value=2))
                raise RuntimeError("this part failed")
            publish(session, "alpha", dummy.DummyHappened(value=3))
        with ctx.db.session() as session:  # a marker committed last: once it is in, all before it would be
            publish(session, "alpha", dummy.DummyHappened(value=4))

    received = received_live(ctx, monkeypatch, commit,
                             lambda received: any(event.payload["value"] == 4 for event in received))
    assert [event.payload["value"] for event in received] == [3, 4]


def test_publish_all_records_every_event_and_tells_the_live_listeners(ctx: AppContext,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Many events in one flush (a calendar import) reach the outbox and the live pages like single ones."""
    def commit() -> None:
        with ctx.db.session() as session:
            rows = events.publish_all(session, "alpha", [dummy.DummyHappened(value=n) for n in range(250)])
        assert [row.payload["value"] for row in rows] == list(range(250)) and all(row.id for row in rows)

    received = received_live(ctx, monkeypatch, commit, lambda received: len(received) >= 250)
    assert sorted(event.payload["value"] for event in received) == list(range(250))
    assert count(ctx, OutboxEvent) == 250


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


# --- Several plugins, several dispatchers, restarts ---------------------------------------------------


class Recorder:
    """A second event-handling plugin: records each successful delivery (event id, thread), notices two
    deliveries of one event running at once, and can be told to fail or to take its time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.delivered: list[tuple[int, int]] = []
        self.running: set[int] = set()
        self.overlaps = 0
        self.failures_left = 0
        self.delay = 0.0
        self.handles: set[str] | None = None  # its mbk_handled_events: every type

    @hookimpl
    def mbk_register(self) -> Plugin:
        return Plugin(name="recorder")

    @hookimpl
    def mbk_handled_events(self, office: object) -> set[str] | None:
        return self.handles

    @hookimpl
    def mbk_handle_event(self, event: Event, office: object, session: object) -> None:
        with self.lock:
            self.overlaps += event.id in self.running
            self.running.add(event.id)
        try:
            time.sleep(self.delay)
            with self.lock:
                if self.failures_left:
                    self.failures_left -= 1
                    raise RuntimeError("recorder is down")
                self.delivered.append((event.id, threading.get_ident()))
        finally:
            with self.lock:
                self.running.discard(event.id)


RECORDED_OFFICE = """
[office]
id = "{id}"
name = {{ sv = "{id}" }}
[plugins]
enabled = {enabled}
"""
DUMMY_SETTINGS = """[plugins.dummy]
greeting = "hej"
"""


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_recorded(make_context: Callable[..., AppContext], tmp_path: Path,
                  recorder: Recorder) -> Callable[[], AppContext]:
    """Contexts (one per simulated process) on a deployment where alpha enables dummy and recorder, delta
    only the recorder, and gamma dummy only."""
    dummy.calls.clear()
    root = write_deployment(tmp_path / "rec", {
        "alpha": RECORDED_OFFICE.format(id="alpha", enabled='["dummy", "recorder"]') + DUMMY_SETTINGS,
        "delta": RECORDED_OFFICE.format(id="delta", enabled='["recorder"]'),
        "gamma": RECORDED_OFFICE.format(id="gamma", enabled='["dummy"]') + DUMMY_SETTINGS})

    def factory() -> AppContext:
        plugins = with_dummy()
        plugins.register(recorder, "recorder")
        return make_context(deployment=root, plugins=plugins)

    return factory


def statuses(ctx: AppContext) -> list[tuple[int, str, str, int]]:
    with ctx.db.session() as session:
        return [(d.event_id, d.plugin, d.status, d.attempts) for d in
                session.scalars(select(EventDelivery).order_by(EventDelivery.event_id, EventDelivery.plugin))]


def test_a_failing_handler_does_not_block_other_plugins(make_recorded: Callable[[], AppContext],
                                                        recorder: Recorder) -> None:
    ctx = make_recorded()
    with ctx.db.session() as session:
        publish(session, "alpha", dummy.DummyHappened(value=13))  # the dummy fails on 13
    Dispatcher(ctx.db, ctx.plugins, ctx.deployment).run_once()
    assert [event_id for event_id, _ in recorder.delivered] == [1]
    assert statuses(ctx) == [(1, "dummy", "pending", 1), (1, "recorder", "done", 1)]


def test_events_of_types_a_plugin_does_not_handle_are_not_delivered_to_it(
        make_recorded: Callable[[], AppContext], recorder: Recorder) -> None:
    ctx = make_recorded()
    recorder.handles = {"notice.posted"}
    with ctx.db.session() as session:
        publish(session, "alpha", dummy.DummyHappened(value=1))
        publish(session, "delta", dummy.DummyHappened(value=2))
    Dispatcher(ctx.db, ctx.plugins, ctx.deployment).run_once()
    assert recorder.delivered == []
    assert statuses(ctx) == [(1, "dummy", "done", 1)]  # the dummy handles every type; delta has no delivery at all
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.fanned_out)) == 2
    recorder.handles = {"dummy.happened"}
    restarted = make_recorded()  # a new process asks again
    with restarted.db.session() as session:
        publish(session, "delta", dummy.DummyHappened(value=3))
    Dispatcher(restarted.db, restarted.plugins, restarted.deployment).run_once()
    assert [event_id for event_id, _ in recorder.delivered] == [3]


@pytest.mark.parametrize("together", [False, True])
def test_an_event_no_plugin_handles_is_written_fanned_out_and_still_reaches_the_live_listeners(
        make_recorded: Callable[[], AppContext], recorder: Recorder, monkeypatch: pytest.MonkeyPatch,
        together: bool) -> None:
    """Its fan-out would only mark it so, in a transaction of its own: it is written fanned out, and wakes no
    dispatcher; one a plugin handles waits for the dispatcher and wakes it. Live pages get both."""
    ctx = make_recorded()
    recorder.handles = {"notice.posted"}  # delta enables only the recorder; gamma the dummy, which handles all

    def commit() -> None:
        with ctx.db.session() as session:
            if together:
                events.publish_all(session, "delta", [dummy.DummyHappened(value=1)])
                events.publish_all(session, "gamma", [dummy.DummyHappened(value=2)])
            else:
                publish(session, "delta", dummy.DummyHappened(value=1))
                publish(session, "gamma", dummy.DummyHappened(value=2))

    received = received_live(ctx, monkeypatch, commit, lambda received: len(received) >= 2)
    assert [event.payload["value"] for event in received] == [1, 2]
    with ctx.db.session() as session:
        assert [(row.office_id, row.fanned_out) for row in session.scalars(select(OutboxEvent).order_by(
            OutboxEvent.id))] == [("delta", True), ("gamma", False)]
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    dispatcher.wake(received[0])
    assert not dispatcher._wake.is_set()
    dispatcher.wake(received[1])
    assert dispatcher._wake.is_set()
    dispatcher.run_once()
    assert statuses(ctx) == [(2, "dummy", "done", 1)]


def test_a_rescheduled_delivery_is_not_retried_early_by_another_dispatcher(
        make_recorded: Callable[[], AppContext], recorder: Recorder) -> None:
    ctx = make_recorded()
    recorder.failures_left = 1
    with ctx.db.session() as session:
        publish(session, "delta", dummy.DummyHappened(value=1))
    now = utcnow()
    first, second = (Dispatcher(ctx.db, ctx.plugins, ctx.deployment) for _ in range(2))
    first.run_once(now)
    assert statuses(ctx) == [(1, "recorder", "pending", 1)]
    # the second dispatcher listed the delivery as due before the first one rescheduled it
    assert second._deliver_one(1, now) == 0
    assert statuses(ctx) == [(1, "recorder", "pending", 1)]


def test_pending_events_survive_a_restart(make_recorded: Callable[[], AppContext], recorder: Recorder) -> None:
    before = make_recorded()
    recorder.failures_left = 1
    with before.db.session() as session:
        publish(session, "delta", dummy.DummyHappened(value=1))
    now = utcnow()
    Dispatcher(before.db, before.plugins, before.deployment).run_once(now)  # event 1 fails: its delivery pends
    with before.db.session() as session:
        publish(session, "delta", dummy.DummyHappened(value=2))  # the process stops before it fans this out
    before.db.dispose()
    after = make_recorded()  # a new process: new engine, new dispatcher, nothing kept in memory
    Dispatcher(after.db, after.plugins, after.deployment).run_once(now + timedelta(minutes=10))
    assert sorted(event_id for event_id, _ in recorder.delivered) == [1, 2]
    assert statuses(after) == [(1, "recorder", "done", 2), (2, "recorder", "done", 1)]


@pytest.mark.parametrize("kind", ["new events", "retries"])
def test_two_dispatchers_never_deliver_the_same_delivery(make_recorded: Callable[[], AppContext],
                                                         recorder: Recorder, kind: str) -> None:
    """Two processes' dispatchers (own engines) share the work: new events, delivered as they are fanned out, or
    pending deliveries, retried; on PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED, on SQLite one writer
    at a time. Each delivery is done exactly once."""
    contexts = [make_recorded(), make_recorded()]
    with contexts[0].db.session() as session:
        for value in range(30):
            publish(session, "delta", dummy.DummyHappened(value=value))
    now, attempts = utcnow(), 1
    if kind == "retries":  # every first attempt fails, so all 30 deliveries wait for their retry
        recorder.failures_left = 30
        first = Dispatcher(contexts[0].db, contexts[0].plugins, contexts[0].deployment)
        while first.run_once(now):
            pass
        assert {(status, tries) for *_, status, tries in statuses(contexts[0])} == {("pending", 1)}
        now, attempts = now + timedelta(hours=1), 2
    recorder.delay = 0.01
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(ctx: AppContext) -> None:
        dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
        start.wait()
        try:
            deadline = time.monotonic() + 60
            while (len(statuses(ctx)) < 30 or any(status != "done" for *_, status, _ in statuses(ctx))) \
                    and time.monotonic() < deadline:
                if not dispatcher.run_once(now):
                    time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(ctx,)) for ctx in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors
    delivered = Counter(event_id for event_id, _ in recorder.delivered)
    assert delivered == Counter(range(1, 31)) and recorder.overlaps == 0
    assert {tries for *_, tries in statuses(contexts[0])} == {attempts}
    if contexts[0].db.is_postgres:  # row locks let both work at the same time
        assert len({thread for _, thread in recorder.delivered}) == 2


# --- Failed deliveries on the admin page ----------------------------------------------------------------


def test_failed_deliveries_are_shown_to_office_admins_and_can_be_retried(
        make_recorded: Callable[[], AppContext]) -> None:
    ctx = make_recorded()
    with ctx.db.session() as session:
        auth.create_user(session, "boss", PASSWORD, office_id="alpha", role="admin")
        auth.create_user(session, "guide", PASSWORD, office_id="alpha", role="guide")
        auth.create_user(session, "other-boss", PASSWORD, office_id="gamma", role="admin")
        publish(session, "alpha", dummy.DummyHappened(value=13))
    Dispatcher(ctx.db, ctx.plugins, ctx.deployment, max_attempts=1).run_once()
    with TestClient(create_app(ctx)) as client:
        login(client, "boss")
        dashboard = client.get("/alpha/admin?lang=en", headers=HTML)
        assert "Failed and not tried again yet: 1" in dashboard.text and "/alpha/admin/failures" in dashboard.text
        page = client.get("/alpha/admin/failures", headers=HTML)
        assert "dummy.happened</code> #1" in page.text and "RuntimeError: unlucky number" in page.text
        assert client.post("/alpha/admin/events/1/retry").status_code == 403  # no CSRF token
        retried = client.post("/alpha/admin/events/1/retry", data={"csrf_token": csrf_of(page.text)},
                              follow_redirects=False)
        assert (retried.status_code, retried.headers["location"]) == (303, "/alpha/admin/failures")
        assert "RuntimeError: unlucky number" not in client.get("/alpha/admin/failures", headers=HTML).text
        assert "Nothing failed." in client.get("/alpha/admin?lang=en", headers=HTML).text
        assert ("dummy", "pending") in {(plugin, status) for _, plugin, status, _ in statuses(ctx)}
        entries = client.get("/api/v1/offices/alpha/audit", headers=bearer(client, "boss")).json()
        assert [(e["actor"], e["action"], e["detail"]) for e in entries][0] == (
            "user:boss", "event.retry", {"delivery": 1})
        for who, office, expected in (("other-boss", "gamma", 404), ("guide", "alpha", 403)):
            other = TestClient(client.app)
            login(other, who, next=f"/{office}/admin")
            form = other.get("/", headers=HTML)
            assert other.post(f"/{office}/admin/events/1/retry", data={"csrf_token": csrf_of(form.text)},
                              follow_redirects=False).status_code == expected
            assert other.get("/alpha/admin/failures", headers=HTML).status_code == 403  # alpha's admins only
