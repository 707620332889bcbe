"""Security headers on every response: added at the edge (core.web.edge), so no route (plugin pages, static files,
errors, streams) can leave them out.

The Content-Security-Policy allows scripts and styles from this site only: pages carry no inline script
(configuration travels in ``<script type="application/json">`` blocks, which are data, not script) and no
inline style. Framing is refused, except for pages that declare themselves embeddable (the ``embeddable``
dependency), which an office may let the origins of its ``embed_origins`` setting show in a frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import Message

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
    """CSP, X-Content-Type-Options, Referrer-Policy, and HSTS when cookies are marked Secure (HTTPS), each added to a
    response that does not set it itself."""

    def __init__(self, hsts: bool, form_targets: tuple[str, ...] = ()):
        self.hsts = hsts
        self.form_targets = form_targets
        self._encoded: dict[tuple[str, ...], tuple[tuple[bytes, bytes], ...]] = {}  # by a page's frame ancestors

    def added_to(self, message: Message, state: dict[str, Any]) -> Message:
        """``message`` (a response's start) with the headers; ``state``: the request's (a page's frame ancestors)."""
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        frame_ancestors = tuple(state.get(FRAME_ANCESTORS, ()))
        wanted = self._encoded.get(frame_ancestors) or self._encode(frame_ancestors)
        headers += [(name, value) for name, value in wanted if name not in present]
        return {**message, "headers": headers}

    def _encode(self, frame_ancestors: tuple[str, ...]) -> tuple[tuple[bytes, bytes], ...]:
        wanted = {
            b"content-security-policy": content_security_policy(frame_ancestors, self.form_targets),
            b"x-content-type-options": "nosniff",
            b"referrer-policy": "same-origin",
        }
        if self.hsts:
            wanted[b"strict-transport-security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
        encoded = self._encoded[frame_ancestors] = tuple((name, value.encode()) for name, value in wanted.items())
        return encoded
