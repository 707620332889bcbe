"""The request size limit: a body over ``MBK_MAX_REQUEST_BYTES`` is refused before it is read.

Hand-written rather than FastAPI's ``max_body_size`` (Starlette's RequestBodyLimitMiddleware): that one answers a
declared oversize Content-Length with plain text in place of whatever the app sends, not the problem JSON every
other refusal gets.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.web.errors import problem_response


def _too_large(limit: int) -> str:
    return f"The request body is larger than this server accepts ({limit} bytes)."


class RequestSizeLimit:
    """ASGI middleware: a declared Content-Length over the limit is answered at once (the body stays unread); a
    body without one (chunked) is counted while it streams in and cut off where it passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            refusal = None
            if not declared.isdigit():
                refusal = (400, "invalid_content_length", "Content-Length must be a number of bytes.")
            elif int(declared) > self.max_bytes:
                refusal = (413, "request_too_large", _too_large(self.max_bytes))
            if refusal:
                await problem_response(Request(scope), *refusal, headers={"Connection": "close"})(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes its own HTTPException on from body parsing; core's handler answers it.
                    raise HTTPException(413, _too_large(self.max_bytes))
            return message

        await self.app(scope, counted, send)
