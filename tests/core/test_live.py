"""Live fan-out of committed events to server-sent-event streams: in one process (SQLite and PostgreSQL), and
across two real server processes sharing one PostgreSQL database (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from core.db import Database, utcnow
from core.events import NOTIFY_LIMIT, DomainEvent, Event, EventDelivery, OutboxEvent, notice
from core.events import publish as publish_event
from core.live import LiveBroker, PostgresListener, Subscription
from core.web.app import AppContext
from tests.conftest import ROOT
from tests.core import dummy
from tests.core.test_auth import OFFICE
from tests.core.test_plugin_contract import with_dummy, write_deployment
from tests.support import LiveServer, free_port

TIMEOUT = httpx.Timeout(10.0)


class SseStream:
    """Reads one server-sent-event stream message by message (blocking, with the client's read timeout)."""

    def __init__(self, response: httpx.Response):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        self._lines = response.iter_lines()

    def next(self) -> tuple[str | None, object]:
        kind, data = None, []
        for line in self._lines:
            if line == "":
                if data:
                    return kind, json.loads("\n".join(data))
                kind = None
            elif line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data.append(line.removeprefix("data: "))
        raise EOFError("the stream ended")


@contextmanager
def stream(client: httpx.Client, base: str, office: str) -> Iterator[SseStream]:
    with client.stream("GET", f"{base}/api/v1/offices/{office}/dummy/stream") as response:
        events = SseStream(response)
        # the current state comes first, and only after the stream has subscribed: from here nothing is missed
        assert events.next() == ("state", {"office": office})
        yield events


def publish(client: httpx.Client, base: str, office: str, value: int) -> int:
    response = client.post(f"{base}/api/v1/offices/{office}/dummy/happen/{value}")
    assert response.status_code == 200, response.text
    return response.json()["event"]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    return write_deployment(tmp_path / "dep", {o: OFFICE.format(id=o) for o in ("alpha", "gamma")})


def test_events_reach_live_streams_of_their_office_in_one_process(
        make_context: Callable[..., AppContext], deployment: Path) -> None:
    dummy.calls.clear()
    ctx = make_context(deployment=deployment, plugins=with_dummy(), run_dispatcher=True)
    with LiveServer(ctx) as server, httpx.Client(timeout=TIMEOUT) as client:
        with stream(client, server.url, "alpha") as alpha, stream(client, server.url, "gamma") as gamma:
            assert ctx.broker.subscriber_count("alpha") == 1
            event_id = publish(client, server.url, "alpha", 5)
            # projected by the page's function: type and value, nothing else of the payload
            assert alpha.next() == ("dummy.happened", {"type": "dummy.happened", "value": 5})
            publish(client, server.url, "gamma", 6)
            assert gamma.next() == ("dummy.happened", {"type": "dummy.happened", "value": 6})  # not alpha's 5
        # a closed stream unsubscribes
        assert wait_until(lambda: ctx.broker.subscriber_count("alpha") == 0)
        # the dispatcher in the server delivered to the plugin's handler, promptly after commit
        def delivered() -> list[str]:
            with ctx.db.session() as session:
                return list(session.scalars(select(EventDelivery.status).where(EventDelivery.event_id == event_id)))

        assert wait_until(lambda: delivered() == ["done"]), delivered()
        assert ("mbk_handle_event", "alpha") in dummy.calls


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """This test is about PostgreSQL's LISTEN/NOTIFY: SQLite serves one process (see the test above)."""
    request.getfixturevalue("_empty_postgres")()
    return request.getfixturevalue("_migrated_postgres")


class ServerProcess:
    """``python -m tests.core.live_launcher PORT`` as a separate process, output kept for failure reports."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = subprocess.Popen([sys.executable, "-m", "tests.core.live_launcher", str(self.port)],
                                        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def wait_ready(self, client: httpx.Client) -> None:
        def answers() -> bool:
            assert self.process.poll() is None, f"server exited:\n{self.log.read_text()}"
            try:
                return client.get(f"{self.url}/healthz").status_code == 200
            except httpx.TransportError:
                return False

        assert wait_until(answers, timeout=60), f"server did not start:\n{self.log.read_text()}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def test_an_event_committed_in_one_server_process_reaches_streams_in_another(
        postgres_url: str, deployment: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MBK_DATABASE_URL": postgres_url, "MBK_DEPLOYMENT": str(deployment),
           "MBK_SECRET_KEY": "test-secret-key-0123456789", "MBK_RUN_DISPATCHER": "1",
           "PYTHONPATH": str(ROOT)}
    servers = [ServerProcess(env, tmp_path / f"server-{name}.log") for name in "ab"]
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            for server in servers:
                server.wait_ready(client)
            a, b = servers
            with stream(client, b.url, "alpha") as on_b, stream(client, a.url, "alpha") as on_a:
                event_id = publish(client, a.url, "alpha", 7)
                assert on_b.next() == ("dummy.happened", {"type": "dummy.happened", "value": 7})
                assert on_a.next() == ("dummy.happened", {"type": "dummy.happened", "value": 7})
                publish(client, b.url, "alpha", 8)  # and the other way round
                assert on_a.next() == ("dummy.happened", {"type": "dummy.happened", "value": 8})
                assert on_b.next() == ("dummy.happened", {"type": "dummy.happened", "value": 8})
        # both processes run a dispatcher: the plugin's delivery was still made exactly once
        engine = sa.create_engine(postgres_url)
        try:
            def delivered() -> list[tuple[str, int]]:
                with engine.connect() as conn:
                    return [tuple(row) for row in conn.execute(
                        sa.select(EventDelivery.status, EventDelivery.attempts)
                        .where(EventDelivery.event_id == event_id))]

            assert wait_until(lambda: delivered() == [("done", 1)]), delivered()
        finally:
            engine.dispose()
    finally:
        for server in servers:
            server.stop()


def test_a_listener_that_falls_far_behind_is_told_to_start_over() -> None:
    """A stuck page must not hold events without end: past the backlog it gets None (its stream ends, the
    browser reconnects and reads the current state)."""
    broker = LiveBroker()

    async def scenario() -> list[object]:
        subscription = broker.subscribe("alpha")
        for n in range(Subscription.MAX_BACKLOG + 5):
            subscription.offer(Event(n, "alpha", "dummy.happened", {"value": n}, utcnow()))
        received = [await subscription.get() for _ in range(Subscription.MAX_BACKLOG + 1)]
        subscription.close()
        return received

    results: list[list[object]] = []
    # in a thread of its own: a browser test's driver may already run an event loop in this one
    runner = threading.Thread(target=lambda: results.append(asyncio.run(scenario())))
    runner.start()
    runner.join(timeout=30)
    received = results[0]
    assert [e.id for e in received[:-1]] == list(range(Subscription.MAX_BACKLOG)) and received[-1] is None
    assert broker.subscriber_count("alpha") == 0


def test_the_streams_get_an_event_before_the_dispatcher_is_woken() -> None:
    """The dispatcher's thread working during a fan-out would hold it up: it is woken once the streams have the event
    (and at once when no stream of the office listens)."""
    broker = LiveBroker()
    happened: list[str] = []
    seen: list[list[str]] = []  # what had happened at each step
    broker.wakeups.append(lambda _event: happened.append("woken"))

    async def scenario() -> None:
        subscription = broker.subscribe("alpha")
        subscription.take = lambda item: happened.append(f"stream got {item.id}") is None
        delivering = threading.Thread(target=broker.deliver, args=(Event(1, "alpha", "dummy.happened", {}, utcnow()),))
        delivering.start()
        delivering.join()
        seen.append(list(happened))  # handed to the loop: the fan-out, then the wake-up, run there
        for _ in range(10):
            await asyncio.sleep(0)
        seen.append(list(happened))
        broker.deliver(Event(2, "beta", "dummy.happened", {}, utcnow()))  # nobody listens to beta's events
        seen.append(list(happened))
        subscription.close()

    runner = threading.Thread(target=lambda: asyncio.run(scenario()))
    runner.start()
    runner.join(timeout=30)
    assert seen == [[], ["stream got 1", "woken"], ["stream got 1", "woken", "woken"]]


def test_the_listener_catches_up_after_losing_its_connection(postgres_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Notifications sent while the listener's connection is down are lost by PostgreSQL; the listener hands
    over what was committed meanwhile once it is back, and nothing twice. Ids are taken when an event is written,
    not when it commits: an event written before one the listener has seen may commit while it is down (here 2,
    after 3), and is handed over too."""
    database = Database(postgres_url)
    broker = LiveBroker()
    received: list[int] = []
    monkeypatch.setattr(broker, "deliver", lambda event: received.append(event.payload["value"]))
    connects: list[int] = []
    back = threading.Event()
    connect = psycopg.connect

    def held_back(*args: Any, **kwargs: Any) -> psycopg.Connection[Any]:
        """The listener's reconnect waits until the test has committed what it must catch up on."""
        if threading.current_thread().name == "mbk-listen":
            connects.append(1)
            if len(connects) > 1:
                assert back.wait(30)
        return connect(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", held_back)
    listener = PostgresListener(database, broker)
    listener.start()
    try:
        with database.session() as session:
            publish_event(session, "alpha", dummy.DummyHappened(value=1))
        assert wait_until(lambda: received == [1])
        with database.session() as late:
            publish_event(late, "alpha", dummy.DummyHappened(value=2))  # written, not committed
            with database.session() as session:
                publish_event(session, "alpha", dummy.DummyHappened(value=3))
            assert wait_until(lambda: received == [1, 3])
            with database.engine.connect() as conn:  # the database drops the listener's connection
                cut = conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                           "WHERE datname = current_database() AND query LIKE 'LISTEN%'")).all()
                conn.commit()
            assert cut == [(True,)]
            assert wait_until(lambda: len(connects) == 2)  # it noticed, and waits to reconnect
        with database.session() as session:  # 2 committed above, now 4: both while it is down
            publish_event(session, "alpha", dummy.DummyHappened(value=4))
        back.set()
        assert wait_until(lambda: len(received) == 4)
        with database.session() as session:
            publish_event(session, "alpha", dummy.DummyHappened(value=5))
        assert wait_until(lambda: 5 in received)
        assert received == [1, 3, 2, 4, 5]
    finally:
        back.set()
        listener.stop()
        database.dispose()


class Note(DomainEvent):
    type: ClassVar[str] = "test.note"
    text: str


def test_the_listener_hands_over_the_event_its_notification_carries_and_reads_back_a_long_one(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """NOTIFY carries the whole event, so the listener need not read it back; one too long for a notification
    goes as its id, and the listener reads it. Either way streams get the event as committed."""
    database = Database(postgres_url)
    broker = LiveBroker()
    received: list[Event] = []
    monkeypatch.setattr(broker, "deliver", received.append)
    listener = PostgresListener(database, broker)
    listener.start()
    try:
        with database.session() as session:
            short = publish_event(session, "alpha", Note(text="kort"))
            long = publish_event(session, "alpha", Note(text="å" * NOTIFY_LIMIT))
            assert notice(short).startswith("{") and notice(long) == json.dumps(["alpha", long.id])
            ids = [short.id, long.id]
        assert wait_until(lambda: len(received) == 2)
        with database.session() as session:
            committed = [session.get(OutboxEvent, event_id).as_event() for event_id in ids]  # type: ignore[union-attr]
        assert received == committed
    finally:
        listener.stop()
        database.dispose()
