"""Message texts: Jinja2 templates per event (templates/messages/<event>.txt) translated with the plugin's
catalogs, and SMS bodies fitted into one or two segments.

Each template has three blocks: ``subject`` and ``body`` (e-mail) and ``short`` (SMS and chat). Templates get
only the minimum: a first name or a ticket number, the office, a time, a place; never the visitor's errand.
Extract their strings with ``pybabel extract -F plugins/notify/babel.cfg``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core.i18n import Translator

HERE = Path(__file__).resolve().parent
translations = Translator([HERE / "locale"])
_environment = Environment(loader=FileSystemLoader(str(HERE / "templates" / "messages")), autoescape=False,
                           trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, keep_trailing_newline=False)


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    short: str


def render_message(event_type: str, language: str, values: dict[str, Any]) -> RenderedMessage:
    template = _environment.get_template(f"{event_type}.txt")
    parts = {}
    for block in ("subject", "body", "short"):
        context = template.new_context({**values, "_": translations.gettext(language)})
        parts[block] = _tidy("".join(template.blocks[block](context)))
    return RenderedMessage(subject=" ".join(parts["subject"].split()), body=parts["body"],
                           short=" ".join(parts["short"].split()))


def _tidy(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


_NAME_ALLOWED = re.compile(r"[^\w\s'\-.]", re.UNICODE)


def safe_first_name(value: object) -> str | None:
    """A visitor's first name as typed at the kiosk, without markup or control characters, at most 40 letters."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(_NAME_ALLOWED.sub("", value).split())[:40].strip()
    return cleaned or None


# --- SMS segments -------------------------------------------------------------------------------------

# GSM 03.38 basic character set (one septet each) and its extension table (two septets: escape + char).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")
SINGLE = {"gsm": 160, "ucs2": 70}
MULTI = {"gsm": 153, "ucs2": 67}  # per segment once a message needs more than one (the rest is the UDH)


def sms_encoding(text: str) -> str:
    return "gsm" if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else "ucs2"


def _units(char: str, encoding: str) -> int:
    if encoding == "gsm":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # UTF-16 code units: astral characters (emoji) take a pair


def sms_segments(text: str) -> int:
    """How many segments a phone network bills for ``text``."""
    encoding = sms_encoding(text)
    units = [_units(c, encoding) for c in text]
    if sum(units) <= SINGLE[encoding]:
        return 1
    # An escape pair or a surrogate pair is never split across segments, so pack greedily.
    segments, used = 1, 0
    for size in units:
        if used + size > MULTI[encoding]:
            segments += 1
            used = 0
        used += size
    return segments


def fit_sms(text: str, max_segments: int = 2) -> str:
    """``text`` if it fits in ``max_segments``, else cut at a word boundary with an ellipsis so that it does.

    The ellipsis is "..." for GSM texts (the character … would force UCS-2 and halve the room)."""
    if sms_segments(text) <= max_segments:
        return text
    ellipsis = "..." if sms_encoding(text) == "gsm" else "…"
    words = list(re.finditer(r"\S+", text))
    for match in reversed(words[:-1]):
        candidate = text[:match.end()].rstrip(",;:-–") + ellipsis
        if sms_segments(candidate) <= max_segments:
            return candidate
    # One very long word: cut inside it.
    for end in range(len(text), 0, -1):
        candidate = text[:end] + ellipsis
        if sms_segments(candidate) <= max_segments:
            return candidate
    return ellipsis
