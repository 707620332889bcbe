"""What every HTTP request goes through at the edge of the app, in one ASGI middleware: each of these was a
middleware of its own, and a request paid for every layer (a call per layer and per message of its response).

- Request limits (core.web.limits): refused at once, or its body checked while read.
- Metrics (core.web.metrics): its latency observed under its route template, to the start of its response.
- Security headers (core.web.headers) on its response.
- The last resort (core.web.errors): a bug anywhere below is one log line and a 500.

It sits inside the session middleware, so that a refusal's or a bug's error page has the session.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.web import errors
from core.web.headers import SecurityHeaders
from core.web.limits import RequestLimits
from core.web.metrics import observe_request


class Edge:
    def __init__(self, app: ASGIApp, limits: RequestLimits, headers: SecurityHeaders):
        self.app = app
        self.limits = limits
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        # Request.state lives in scope["state"]; created here so that the route's writes (a page's frame
        # ancestors) are seen when its response starts.
        state = scope.setdefault("state", {})
        responding = False

        async def send_at_edge(message: Message) -> None:
            nonlocal responding
            if message["type"] == "http.response.start":
                responding = True
                observe_request(scope, message["status"], time.perf_counter() - arrived)
                message = self.headers.added_to(message, state)
            await send(message)

        try:
            refusal = self.limits.refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send_at_edge)
                return
            await self.app(scope, self.limits.checked(scope, receive), send_at_edge)
        except Exception as exc:  # noqa: BLE001 - the last resort: every other handler had its chance
            errors.log_bug(scope, exc)
            if not responding:  # a response already under way (a stream) can only be cut off
                await errors.internal_error(scope)(scope, receive, send_at_edge)
