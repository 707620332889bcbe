"""A live stream's response writes each message in the broker's fan-out step while the connection takes it; when
the server's send has to wait (a client reading slowly), what comes meanwhile waits in the subscription's queue and
is written after it, in order; past the queue's limit the stream ends. Driven through the ASGI interface with a
send that waits while a gate is shut, like the server's send while the connection's buffer is full; and once
through the whole app, whose middlewares have returned by the time a stream's first message is written."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.db import utcnow
from core.events import Event
from core.live import LiveBroker, Subscription
from core.web import sse
from core.web.app import AppContext
from core.web.edge import Edge
from core.web.sse import KEEPALIVE, EventStreamResponse, sse_message
from tests.core.test_auth import OFFICE
from tests.core.test_live import SseStream
from tests.core.test_plugin_contract import with_dummy, write_deployment
from tests.support import LiveServer


def numbered(event: Event) -> dict[str, Any]:
    return {"n": event.payload["n"]}


class Client:
    """The ASGI server's side of one stream: what was sent, a gate that makes send wait, a disconnect."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.gone = asyncio.Event()
        self.waiting = 0  # receive() calls waiting for the client to leave
        self._asked = False

    async def send(self, message: dict[str, Any]) -> None:
        await self.gate.wait()
        self.messages.append(message)

    async def receive(self) -> dict[str, Any]:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        self.waiting += 1
        try:
            await self.gone.wait()
        finally:
            self.waiting -= 1
        return {"type": "http.disconnect"}

    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.messages if m["type"] == "http.response.body" and m["body"]]


def event(n: int) -> Event:
    return Event(n, "alpha", "dummy.happened", {"n": n}, utcnow())


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    # in a thread of its own: a browser test's driver may already run an event loop in this one
    failures: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread below
            failures.append(exc)

    runner = threading.Thread(target=target)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive()
    if failures:
        raise failures[0]


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def open_stream(broker: LiveBroker, client: Client) -> asyncio.Task[None]:
    response = EventStreamResponse(broker, "alpha", numbered, None, "state")
    open_before = broker.subscriber_count("alpha")
    stream = asyncio.get_running_loop().create_task(response({"type": "http"}, client.receive, client.send))
    await settle()
    assert client.bodies() == [b"retry: 2000\n\n"] and broker.subscriber_count("alpha") == open_before + 1
    return stream


def test_a_slow_client_gets_every_message_in_order_then_messages_go_out_at_once_again() -> None:
    broker = LiveBroker()

    async def scenario() -> None:
        client = Client()
        stream = await open_stream(broker, client)
        broker.deliver(event(1))
        await asyncio.sleep(0)  # one turn of the loop: the fan-out itself wrote it
        assert client.bodies()[1:] == [sse_message({"n": 1}, "dummy.happened", 1)]
        client.gate.clear()  # the connection's buffer is full: the server's send waits
        for n in (2, 3, 4):
            broker.deliver(event(n))
        await settle()
        assert len(client.bodies()) == 2
        client.gate.set()
        await settle()
        broker.deliver(event(5))
        await asyncio.sleep(0)
        assert client.bodies()[1:] == [sse_message({"n": n}, "dummy.happened", n) for n in range(1, 6)]
        client.gone.set()
        await stream
        assert broker.subscriber_count("alpha") == 0
        assert client.messages[-1]["more_body"] is True  # a client that left gets no end of the response

    run(scenario)


def test_a_client_that_falls_too_far_behind_gets_what_was_queued_then_the_stream_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Subscription, "MAX_BACKLOG", 5)
    broker = LiveBroker()

    async def scenario() -> None:
        client = Client()
        stream = await open_stream(broker, client)
        client.gate.clear()
        for n in range(1, 10):  # 1 being written, 2-6 queued, then the queue is full: 7-9 dropped
            broker.deliver(event(n))
        await settle()
        client.gate.set()
        await asyncio.wait_for(stream, timeout=10)  # the stream ends by itself; the browser reconnects
        assert client.bodies()[1:] == [sse_message({"n": n}, "dummy.happened", n) for n in range(1, 7)]
        assert client.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
        assert broker.subscriber_count("alpha") == 0
        assert client.waiting == 0  # its receive() no longer waits for the client to leave

    run(scenario)


def test_a_stream_hears_its_client_leave_without_a_task_of_its_own() -> None:
    """A task per stream only to wait for ``http.disconnect`` was, at 10,000 streams, 10,000 tasks: the server's
    receive() is run by its future's callback instead, and the stream still ends as soon as its client leaves."""
    broker = LiveBroker()

    async def scenario() -> None:
        client = Client()
        stream = await open_stream(broker, client)
        assert asyncio.all_tasks() == {asyncio.current_task(), stream}
        assert client.waiting == 1
        client.gone.set()
        await asyncio.wait_for(stream, timeout=10)
        assert broker.subscriber_count("alpha") == 0 and client.waiting == 0

    run(scenario)


class Yielding(Client):
    """A server whose receive() also yields bare (as ``asyncio.sleep(0)`` does) before it waits."""

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)
        return await super().receive()


class Failing(Client):
    """A server whose receive() fails once the request's body is read."""

    async def receive(self) -> dict[str, Any]:
        if self._asked:
            raise RuntimeError("the server cannot receive")
        return await super().receive()


def test_a_stream_hears_its_client_leave_from_a_receive_that_yields_bare() -> None:
    broker = LiveBroker()

    async def scenario() -> None:
        client = Yielding()
        stream = await open_stream(broker, client)
        assert client.waiting == 1
        client.gone.set()
        await asyncio.wait_for(stream, timeout=10)
        assert broker.subscriber_count("alpha") == 0 and client.waiting == 0

    run(scenario)


def test_a_stream_that_cannot_wait_for_its_client_to_leave_ends(caplog: pytest.LogCaptureFixture) -> None:
    """Rather than stay open for as long as the server runs: the browser reconnects."""
    broker = LiveBroker()

    async def scenario() -> None:
        client = Failing()
        response = EventStreamResponse(broker, "alpha", numbered, None, "state")
        await asyncio.wait_for(response({"type": "http"}, client.receive, client.send), timeout=10)
        assert broker.subscriber_count("alpha") == 0
        assert client.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}

    run(scenario)
    assert "live stream could not wait for its client to leave" in caplog.text


def test_a_client_that_leaves_while_a_write_waits_ends_its_stream() -> None:
    broker = LiveBroker()

    async def scenario() -> None:
        client = Client()
        stream = await open_stream(broker, client)
        client.gate.clear()
        broker.deliver(event(1))
        broker.deliver(event(2))
        await settle()
        client.gone.set()
        await asyncio.wait_for(stream, timeout=10)
        await settle()
        assert broker.subscriber_count("alpha") == 0
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []  # the waiting write too

    run(scenario)


def test_through_the_app_a_stream_has_its_headers_and_session_cookie_and_every_message(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    """The messages go straight to the server's send, past the middlewares; the response's start goes through them:
    it carries the security headers and the session cookie (the stream wrote to the session)."""
    ctx = make_context(deployment=write_deployment(tmp_path / "dep", {"alpha": OFFICE.format(id="alpha")}),
                       plugins=with_dummy())
    with LiveServer(ctx) as server, httpx.Client(timeout=httpx.Timeout(10.0)) as client:
        with client.stream("GET", f"{server.url}/api/v1/offices/alpha/dummy/stream") as response:
            assert response.headers["set-cookie"].startswith("mbk_session=")
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
            events = SseStream(response)
            assert events.next() == ("state", {"office": "alpha"})
            for value in (1, 2):
                assert client.post(f"{server.url}/api/v1/offices/alpha/dummy/happen/{value}").status_code == 200
                assert events.next() == ("dummy.happened", {"type": "dummy.happened", "value": value})


def test_one_timer_writes_the_keep_alive_comments_of_every_quiet_stream() -> None:
    """Every stream of the loop is kept alive by one ticker, not a timer of its own; a stream that wrote something
    lately gets no comment; the ticker stops with the last stream."""
    broker = LiveBroker()

    async def scenario() -> None:
        quiet, lately = Client(), Client()
        streams = [await open_stream(broker, quiet), await open_stream(broker, lately)]
        keepalive = sse._KeepAlive.of_loop[asyncio.get_running_loop()]
        assert len(keepalive.writers) == 2
        for writer in keepalive.writers:
            writer._busy = False  # as once the state is written (open_stream's stream has none to read)
            if writer.send.__self__ is quiet:  # type: ignore[attr-defined]
                writer.written_at -= sse.KEEPALIVE_SECONDS
        keepalive._tick()
        assert quiet.bodies()[1:] == [KEEPALIVE] and lately.bodies()[1:] == []
        quiet.gone.set()
        lately.gone.set()
        await asyncio.gather(*streams)
        assert asyncio.get_running_loop() not in sse._KeepAlive.of_loop

    run(scenario)


def test_an_open_stream_holds_no_middleware_call(make_context: Callable[..., AppContext], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Once its response has started, a stream is run outside the middlewares: the edge middleware's call (and so
    every call inside it) has returned before the stream's first message, and the stream still gets every event."""
    returned: list[str] = []
    edge_call = Edge.__call__

    async def recorded(self: Edge, scope: Any, receive: Any, send: Any) -> None:
        await edge_call(self, scope, receive, send)
        returned.append(scope["path"])

    monkeypatch.setattr(Edge, "__call__", recorded)
    ctx = make_context(deployment=write_deployment(tmp_path / "dep", {"alpha": OFFICE.format(id="alpha")}),
                       plugins=with_dummy())
    with LiveServer(ctx) as server, httpx.Client(timeout=httpx.Timeout(10.0)) as client:
        with client.stream("GET", f"{server.url}/api/v1/offices/alpha/dummy/stream") as response:
            events = SseStream(response)
            assert events.next() == ("state", {"office": "alpha"})
            assert returned == ["/api/v1/offices/alpha/dummy/stream"]
            assert client.post(f"{server.url}/api/v1/offices/alpha/dummy/happen/1").status_code == 200
            assert events.next() == ("dummy.happened", {"type": "dummy.happened", "value": 1})
