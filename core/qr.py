"""QR codes, made by segno (pure Python, no image library): as an SVG data URI for a page, as an SVG file, and
as PNG bytes for an e-mail or a printer. Dark on light with a quiet zone, error correction M: what phones and the
kiosks' barcode scanners read best. The one place the platform draws a QR code."""

from __future__ import annotations

import io
from functools import lru_cache

import segno


@lru_cache(maxsize=1024)
def svg_data_uri(content: str, scale: int = 6) -> str:
    return segno.make(content, error="m").svg_data_uri(scale=scale, border=2)


def png(content: str, scale: int = 6) -> bytes:
    return _saved(content, "png", scale)


def svg(content: str, title: str | None = None, scale: int = 6) -> bytes:
    """An SVG file (a kiosk that draws its own ticket fetches it); ``title`` is its accessible name."""
    return _saved(content, "svg", scale, title=title)


def _saved(content: str, kind: str, scale: int, **extra: str | None) -> bytes:
    out = io.BytesIO()
    segno.make(content, error="m").save(out, kind=kind, scale=scale, border=2, **extra)
    return out.getvalue()
