"""Server-sent events for live pages (boards, phones, consoles), fed by core's live broker.

A plugin turns each committed event of the office into what its page may see (or None to skip it):
the projection is where personal data is left out. Streams given the same projection function share it: each
event is projected and encoded once for all of them (so a page passes one function per audience, not a new one per
stream). A page that sees what others see but moves among them (a visitor's ticket changing lines) passes a
``Moving`` projection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from core.events import Event
from core.live import LiveBroker, Subscription
from core.web.metrics import stream_closed, stream_opened

KEEPALIVE_SECONDS = 15
RETRY_MILLISECONDS = 2000


def sse_message(data: Any, event: str | None = None, event_id: int | None = None) -> str:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in json.dumps(data, ensure_ascii=False).splitlines()]
    return "\n".join(lines) + "\n\n"


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

    def __call__(self, event: Event) -> str | None:
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
                 initial: Callable[[], Any] | None = None, initial_event: str = "state") -> StreamingResponse:
    """Stream the office's events through ``project``; first what ``initial()`` returns (the current state), then
    live events.

    ``initial`` is a function, run in a worker thread only once the stream has subscribed: no event committed
    while the state is read can fall between the state and the live events (at worst one comes twice). It is
    never a value, because a state read before subscribing loses what is committed in between (a board would
    miss a call until the next event). The browser's EventSource reconnects by itself (``retry:``); on reconnect
    it gets the state again, so a page never shows something stale after a dropped connection.
    """
    broker = request.app.state.ctx.broker

    async def stream() -> AsyncIterator[str]:
        subscription = subscribe_stream(broker, office_id, project)
        stream_opened(office_id)
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            state = await run_in_threadpool(initial) if initial is not None else None
            if state is not None:
                yield sse_message(state, initial_event)
            while True:
                try:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):  # (no task per message, unlike wait_for)
                        message = await subscription.get()
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if message is None:  # fell behind and events were dropped: the browser reconnects for fresh state
                    return
                yield message
        finally:
            subscription.close()
            stream_closed(office_id)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
