"""Server-sent events for live pages (boards, phones, consoles), fed by core's live broker.

A plugin turns each committed event of the office into what its page may see (or None to skip it):
the projection is where personal data is left out.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from core.events import Event
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


def sse_response(request: Request, office_id: str, project: Callable[[Event], Any | None],
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
        subscription = broker.subscribe(office_id)
        stream_opened(office_id)
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            state = await run_in_threadpool(initial) if initial is not None else None
            if state is not None:
                yield sse_message(state, initial_event)
            while True:
                try:
                    event = await asyncio.wait_for(subscription.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if event is None:  # fell behind and events were dropped: the browser reconnects for fresh state
                    return
                projected = project(event)
                if projected is not None:
                    yield sse_message(projected, event.type, event.id)
        finally:
            subscription.close()
            stream_closed(office_id)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
