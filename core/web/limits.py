"""What any request may hold, checked at the edge before a handler runs: a body no larger than
``MBK_MAX_REQUEST_BYTES``, and no NUL character anywhere (PostgreSQL refuses NUL in text, so a NUL that reached a
query would be a server error; no field of this platform has a use for one).

Hand-written rather than FastAPI's ``max_body_size`` (Starlette's RequestBodyLimitMiddleware): that one answers a
declared oversize Content-Length with plain text in place of whatever the app sends, not the problem JSON every
other refusal gets.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope

from core.web.errors import problem_response

NUL_DETAIL = "The request contains a NUL character (\\u0000), which no field accepts."
# How a NUL arrives: raw (multipart, plain text), URL-encoded (query strings, forms), escaped in JSON.
_RAW_OR_ESCAPED = (b"\x00", b"\\u0000")
_URL_ENCODED = (b"\x00", b"%00")
_LONGEST_NUL_FORM = len(b"\\u0000")


def _too_large(limit: int) -> str:
    return f"The request body is larger than this server accepts ({limit} bytes)."


def _has_nul(data: bytes, forms: tuple[bytes, ...]) -> bool:
    return any(form in data for form in forms)


class RequestLimits:
    """Checked at the edge (core.web.edge). A declared Content-Length over the limit, or a NUL in the path or query,
    is answered at once (the body stays unread); a body is counted and scanned while it streams in and cut off where
    it passes the limit or shows a NUL."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    def refusal(self, scope: Scope) -> Response | None:
        """The answer to a request refused before its body is read, else None."""
        refused = self._refused(scope)
        if refused is None:
            return None
        return problem_response(Request(scope), *refused, headers={"Connection": "close"})

    def checked(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` that counts and scans the body as it comes."""
        forms = _URL_ENCODED if _is_form(scope) else _RAW_OR_ESCAPED
        received = 0
        tail = b""  # the end of the previous chunk: a NUL's escape may be split across two

        async def checked() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                # FastAPI passes its own HTTPException on from body parsing; core's handler answers it.
                if received > self.max_bytes:
                    raise HTTPException(413, _too_large(self.max_bytes))
                if _has_nul(tail + chunk, forms):
                    raise HTTPException(400, NUL_DETAIL)
                tail = chunk[-(_LONGEST_NUL_FORM - 1):]
            return message

        return checked

    def _refused(self, scope: Scope) -> tuple[int, str, str] | None:
        if "\x00" in scope["path"] or _has_nul(scope.get("query_string", b""), _URL_ENCODED):
            return 400, "invalid_request", NUL_DETAIL
        declared = Headers(scope=scope).get("content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            return 400, "invalid_content_length", "Content-Length must be a number of bytes."
        if int(declared) > self.max_bytes:
            return 413, "request_too_large", _too_large(self.max_bytes)
        return None


def _is_form(scope: Scope) -> bool:
    return Headers(scope=scope).get("content-type", "").startswith("application/x-www-form-urlencoded")
