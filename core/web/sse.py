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

from core.events import Event

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
                 initial: Any | None = None, initial_event: str = "state") -> StreamingResponse:
    """Stream the office's events through ``project``; first ``initial`` (the current state), then live.

    The browser's EventSource reconnects by itself (``retry:``); on reconnect it gets the state again, so a
    page never shows something stale after a dropped connection.
    """
    broker = request.app.state.ctx.broker

    async def stream() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        if initial is not None:
            yield sse_message(initial, initial_event)
        events = broker.subscribe(office_id).__aiter__()
        pending = asyncio.ensure_future(events.__anext__())
        try:
            while True:
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if await request.is_disconnected():
                    break
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                event = pending.result()
                pending = asyncio.ensure_future(events.__anext__())
                projected = project(event)
                if projected is not None:
                    yield sse_message(projected, event.type, event.id)
        finally:
            pending.cancel()
            await events.aclose()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
