"""Security headers on every response: one ASGI middleware, so no route (plugin pages, static files, errors,
streams) can leave them out.

The Content-Security-Policy allows scripts and styles from this site only: pages carry no inline script
(configuration travels in ``<script type="application/json">`` blocks, which are data, not script) and no
inline style. Framing is refused, except for pages that declare themselves embeddable (the ``embeddable``
dependency), which an office may let the origins of its ``embed_origins`` setting show in a frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.web.deps import OfficeDep

# request.state key: the origins a page lets frame it (set by ``embeddable``).
FRAME_ANCESTORS = "frame_ancestors"
HSTS_SECONDS = 365 * 24 * 3600


def content_security_policy(frame_ancestors: Iterable[str] = (), form_targets: Iterable[str] = ()) -> str:
    """``form_targets``: origins besides this site that a form's answer may redirect to (the single sign-on
    provider, where logging out continues)."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    forms = " ".join(("'self'", *form_targets))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            # Speech clips are fetched once and played from memory (blob:), so reading goes on offline.
            "media-src 'self' blob:; "
            f"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action {forms}; "
            f"frame-ancestors {ancestors}")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def embeddable(request: Request, office: OfficeDep) -> None:
    """Route dependency: this page may be framed by the origins the office lists in ``embed_origins``."""
    request.state.frame_ancestors = office.embed_origins


class SecurityHeaders:
    """Adds CSP, X-Content-Type-Options, Referrer-Policy, and HSTS when cookies are marked Secure (HTTPS)."""

    def __init__(self, app: ASGIApp, hsts: bool, form_targets: tuple[str, ...] = ()):
        self.app = app
        self.hsts = hsts
        self.form_targets = form_targets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Request.state lives in scope["state"]; created here so that the route's writes are seen below.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = {
                    b"content-security-policy": content_security_policy(state.get(FRAME_ANCESTORS, ()),
                                                                        self.form_targets),
                    b"x-content-type-options": "nosniff",
                    b"referrer-policy": "same-origin",
                }
                if self.hsts:
                    wanted[b"strict-transport-security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
                headers += [(name, value.encode()) for name, value in wanted.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
