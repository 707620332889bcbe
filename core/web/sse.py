"""Server-sent events for live pages (boards, phones, consoles), fed by core's live broker.

A plugin turns each committed event of the office into what its page may see (or None to skip it):
the projection is where personal data is left out. Streams given the same projection function share it: each
event is projected and encoded once for all of them, and the same bytes are written to each (so a page passes one
function per audience, not a new one per stream). A page that sees what others see but moves among them (a
visitor's ticket changing lines) passes a ``Moving`` projection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import types
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Protocol, runtime_checkable

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from core.events import Event
from core.live import LiveBroker, Subscription
from core.web.metrics import stream_closed, stream_opened

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
RETRY_MILLISECONDS = 2000
KEEPALIVE = b": keep-alive\n\n"
# Where the app (core.web.app.App) keeps the server's own send and receive, outside every middleware, and where a
# stream's response leaves the rest of the stream for the app to run with them: see EventStreamResponse.
SERVER_SEND = "mbk.server_send"
SERVER_RECEIVE = "mbk.server_receive"
STREAM_REST = "mbk.stream_rest"


def sse_message(data: Any, event: str | None = None, event_id: int | None = None) -> bytes:
    """One server-sent event, encoded: what a stream writes as it is."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in json.dumps(data, ensure_ascii=False).splitlines()]
    return ("\n".join(lines) + "\n\n").encode()


Projection = Callable[[Event], Any | None]


@runtime_checkable
class Moving(Protocol):
    """A stream's projection that is, at any time, one that other streams share, and moves to another after some
    event (a visitor's page sees what every page of its ticket's line sees, and follows the ticket to a new line)."""

    def shared(self) -> Projection: ...

    def moved(self, event: Event) -> Projection | None: ...


@dataclass(frozen=True)
class Encoded:
    """A projection's SSE messages: the broker's audience key, equal for equal projections (the same function)."""

    project: Projection

    def __call__(self, event: Event) -> bytes | None:
        projected = self.project(event)
        return None if projected is None else sse_message(projected, event.type, event.id)


def subscribe_stream(broker: LiveBroker, office_id: str, project: Projection | Moving) -> Subscription:
    """A stream's subscription (on the event loop): to the audience of streams with the same projection, which
    gets each event projected and encoded once; a ``Moving`` projection's stream moves as it says."""
    if not isinstance(project, Moving):
        return broker.subscribe(office_id, Encoded(project))

    def follow(event: Event) -> Encoded | None:
        moved = project.moved(event)
        return None if moved is None else Encoded(moved)

    return broker.subscribe(office_id, Encoded(project.shared()), follow)


def sse_response(request: Request, office_id: str, project: Projection | Moving,
                 initial: Callable[[], Any] | None = None, initial_event: str = "state") -> Response:
    """Stream the office's events through ``project``; first what ``initial()`` returns (the current state), then
    live events.

    ``initial`` is a function, run in a worker thread only once the stream has subscribed: no event committed
    while the state is read can fall between the state and the live events (at worst one comes twice). It is
    never a value, because a state read before subscribing loses what is committed in between (a board would
    miss a call until the next event). The browser's EventSource reconnects by itself (``retry:``); on reconnect
    it gets the state again, so a page never shows something stale after a dropped connection.
    """
    return EventStreamResponse(request.app.state.ctx.broker, office_id, project, initial, initial_event)


class EventStreamResponse(Response):
    """A live stream as an ASGI response. Once the first state is written, each message is written in the broker's
    fan-out step itself (``Subscription.take``), so no task wakes and nothing stays allocated per stream and message:
    at 10,000 streams the task switches, and the garbage collector walking what each waiting stream had allocated
    anew, were most of an event's cost. A write that has to wait for a slow client is finished by a task, and what
    comes meanwhile waits in the subscription's queue; past its limit the stream ends, as with ``get()``.

    Only the start of the response goes through the middlewares (headers, session cookie, metrics): no middleware
    changes a body. The rest of the stream is handed to the app (``STREAM_REST``), which runs it with the server's
    own send and receive once the middlewares have returned: an open stream then holds no middleware's call
    suspended (two thirds of the ~175 objects the garbage collector tracked per open stream, walked by each of its
    full passes), and no message passes through their send wrappers (that was ~40 % of an event's fan-out)."""

    media_type = "text/event-stream"

    def __init__(self, broker: LiveBroker, office_id: str, project: Projection | Moving,
                 initial: Callable[[], Any] | None, initial_event: str):
        self.broker, self.office_id, self.project = broker, office_id, project
        self.initial, self.initial_event = initial, initial_event
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if SERVER_SEND in scope:  # the app runs the rest outside the middlewares (core.web.app.App)
            scope[STREAM_REST] = partial(self.stream, scope[SERVER_SEND], scope[SERVER_RECEIVE])
        else:
            await self.stream(send, receive)

    async def stream(self, send: Send, receive: Receive) -> None:
        """The body: subscribed before the state is read, then every event until the client leaves."""
        subscription = subscribe_stream(self.broker, self.office_id, self.project)
        stream_opened(self.office_id)
        writer = _Writer(subscription, send)
        departure = _Departure(receive, writer)
        try:
            await writer.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
            state = await run_in_threadpool(self.initial) if self.initial is not None else None
            if state is not None:
                await writer.write(sse_message(state, self.initial_event))
            subscription.take = writer.take
            await writer.catch_up()  # what was committed while the state was read; from then on each at once
            await writer.ended
            if not departure.heard:  # fell behind: the browser reconnects for fresh state
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            subscription.close()
            stream_closed(self.office_id)
            departure.stop()
            writer.stop()


class _Departure:
    """Hears the client leave (``http.disconnect``) and ends the stream's writer, without a task: the server's
    ``receive()`` is run by hand, as a task would run it, each step called back by the future it waits on (uvicorn's:
    the connection's message event, which its ``connection_lost`` sets). A task per stream was, at 10,000 streams,
    10,000 tasks with their coroutines, in the garbage collector's oldest generation for as long as the streams stay
    open. This object is itself the callback (no bound method per stream)."""

    __slots__ = ("receive", "writer", "heard", "_receiving")

    def __init__(self, receive: Receive, writer: _Writer):
        self.receive, self.writer = receive, writer
        self.heard = False
        self._receiving: Generator[Any, None, Any] | None = _steps(receive())
        self()

    def __call__(self, _waited_on: object = None) -> None:
        """The next step of the server's ``receive()``: at once, then from what it waited on."""
        while self._receiving is not None:  # (None: stopped, or heard; a callback may still come)
            try:
                waiting_on = self._receiving.send(None)
                if waiting_on is None:  # a bare yield (asyncio.sleep(0)): the next step on the loop's next turn
                    asyncio.get_running_loop().call_soon(self)
                else:
                    waiting_on._asyncio_future_blocking = False  # taken over, as a task does with what it is handed
                    waiting_on.add_done_callback(self)
                return
            except StopIteration as received:
                if received.value["type"] != "http.disconnect":  # the request's (empty) body: ask again
                    self._receiving = _steps(self.receive())
                    continue
                self.heard = True
                self._ended()
                return
            except (Exception, asyncio.CancelledError):  # the stream cannot tell when its client leaves: end it
                log.exception("live stream could not wait for its client to leave")
                self._ended()
                return

    def _ended(self) -> None:
        self._receiving = None
        self.writer.end()

    def stop(self) -> None:
        """The stream ended first (fell behind, server stopping): the server's ``receive()`` is closed where it
        waits, so what it waits on forgets it (an asyncio.Event drops its waiter)."""
        receiving, self._receiving = self._receiving, None
        if receiving is not None:
            receiving.close()


class _KeepAlive:
    """The keep-alive comments of one event loop's open streams, by one timer for all of them: every third of
    KEEPALIVE_SECONDS it writes one to each stream that wrote nothing for the other two thirds, so that none stays
    silent longer than KEEPALIVE_SECONDS. A timer per stream made, at 10,000 streams, 10,000 timer handles every
    15 s that lived long enough to reach the garbage collector's oldest generation and bring on its full passes.
    The comments go out in slices, each a turn of the loop: an event's fan-out need not wait for all of them."""

    SLICE = 500
    of_loop: ClassVar[dict[asyncio.AbstractEventLoop, _KeepAlive]] = {}  # only while the loop has open streams

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.writers: set[_Writer] = set()
        self._timer = loop.call_later(KEEPALIVE_SECONDS / 3, self._tick)

    @classmethod
    def add(cls, writer: _Writer) -> None:
        keepalive = cls.of_loop.get(writer.loop)
        if keepalive is None:
            keepalive = cls.of_loop[writer.loop] = cls(writer.loop)
        keepalive.writers.add(writer)

    @classmethod
    def discard(cls, writer: _Writer) -> None:
        keepalive = cls.of_loop.get(writer.loop)
        if keepalive is None:
            return
        keepalive.writers.discard(writer)
        if not keepalive.writers:
            keepalive._timer.cancel()
            del cls.of_loop[writer.loop]

    def _tick(self) -> None:
        period = KEEPALIVE_SECONDS / 3
        quiet_since = self.loop.time() - (KEEPALIVE_SECONDS - period)
        self._write([writer for writer in self.writers if writer.written_at <= quiet_since])
        self._timer = self.loop.call_later(period, self._tick)

    def _write(self, writers: list[_Writer]) -> None:
        for writer in writers[:self.SLICE]:
            writer.take(KEEPALIVE)  # (not while a write waits, nor once the stream ended: it is not idle then)
        if len(writers) > self.SLICE:
            self.loop.call_soon(self._write, writers[self.SLICE:])


class _Writer:
    """Writes a stream's messages in order: at once while the last write is done (the usual case), else after it;
    and a keep-alive comment when it wrote nothing for KEEPALIVE_SECONDS (``_KeepAlive``)."""

    def __init__(self, subscription: Subscription, send: Send):
        self.subscription = subscription
        self.send = send
        self.loop = asyncio.get_running_loop()
        self.ended: asyncio.Future[None] = self.loop.create_future()
        self._busy = True  # until the first state is written and the queue caught up
        self._catching_up: asyncio.Task[None] | None = None
        self.written_at = self.loop.time()
        _KeepAlive.add(self)

    async def write(self, message: bytes) -> None:
        self.written_at = self.loop.time()
        await self.send({"type": "http.response.body", "body": message, "more_body": True})

    def take(self, message: bytes) -> bool:
        """Write the message now, unless a write is under way (False: it waits in the subscription's queue)."""
        if self._busy:
            return False
        self.written_at = self.loop.time()
        # The server's send returns without waiting while the connection's buffer has room: run it here, to its end
        sending = _steps(self.send({"type": "http.response.body", "body": message, "more_body": True}))
        try:
            waiting_on = sending.send(None)
        except StopIteration:
            return True
        except Exception:  # one stream's failure must not stop the fan-out to the others
            log.exception("live stream write failed")
            self.end()
            return True
        self._busy = True
        self._catching_up = self.loop.create_task(self._finish(sending, waiting_on))
        return True

    async def catch_up(self) -> None:
        """Write what waits in the subscription's queue (None: it overflowed, the stream ends), then take messages
        at once again."""
        while waiting := self.subscription.take_waiting():
            for message in waiting:
                if message is None:
                    self.end()
                    return
                await self.write(message)
        self._busy = False

    async def _finish(self, sending: Generator[Any, None, None], waiting_on: Any) -> None:
        try:
            await _resume(sending, waiting_on)
            await self.catch_up()
        except Exception:
            log.exception("live stream write failed")
            self.end()

    def end(self) -> None:
        self._busy = True
        if not self.ended.done():
            self.ended.set_result(None)

    def stop(self) -> None:
        self._busy = True
        _KeepAlive.discard(self)
        if self._catching_up is not None:
            self._catching_up.cancel()


def _steps(awaitable: Awaitable[Any]) -> Generator[Any, None, Any]:
    """What runs an awaitable by hand, step by step: a coroutine itself (its ``__await__`` makes a wrapper object,
    one per message and stream when the fan-out writes), anything else its ``__await__``. (Not the Coroutine ABC:
    its isinstance costs more than the wrapper.)"""
    return awaitable if isinstance(awaitable, types.CoroutineType) else awaitable.__await__()


async def _resume(awaiting: Generator[Any, None, None], waiting_on: Any) -> None:
    """Run to its end an awaitable's iterator that was started by hand (``send(None)``) and yielded ``waiting_on``:
    what asyncio awaits for it, a future, or None for a bare yield."""
    while True:
        try:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                waiting_on._asyncio_future_blocking = False  # taken over, as a task does with what it is handed
                await waiting_on
        except BaseException as raised:  # (cancelled too) into the awaitable, as a task would
            try:
                waiting_on = awaiting.throw(raised)
            except StopIteration:
                return
            continue
        try:
            waiting_on = awaiting.send(None)
        except StopIteration:
            return
