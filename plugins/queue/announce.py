"""What the display board says for a call, made of the office's speech clips (core.speech): "Number B012, Desk 2"
as the clips for "Number", B, twelve and "Desk 2" in each announcement language (B, 0, 1, 2 where the language
has no clip for twelve and espeak-ng cannot make one)."""

from __future__ import annotations

import re

from core.config import OfficeConfig
from core.i18n import N_
from core.speech import Clip, ClipLibrary, code, phrase, say
from plugins.queue.i18n import translations
from plugins.queue.settings import settings_of

ANNOUNCEMENT = N_("Number %(number)s, %(counter)s")
COMPUTER = N_("Computer %(seat)s")
NUMBER = re.compile(r"^([A-Z]{1,2})([0-9]{1,5})$")


def spoken(office: OfficeConfig, language: str) -> list[str | Clip]:
    """Everything an announcement may say in ``language``: the two templates, the counters' names and the
    letters of the services' ticket numbers (digits are core's)."""
    settings = settings_of(office)
    _ = translations.gettext(language)
    return [_(ANNOUNCEMENT), _(COMPUTER), *(c.name.get_text(language) for c in settings.counters),
            *(s.name.get_text(language) for s in settings.services),
            *(clip for s in settings.services for clip in code(s.prefix))]


def clips(office: OfficeConfig, library: ClipLibrary, language: str, number: str, counter: str | None,
          seat: int | None) -> list[Clip]:
    """The clips of one call; the caller has checked the number, counter and seat (``problem``)."""
    _ = translations.gettext(language)
    if seat is not None:
        place = say(_(COMPUTER), {"seat": library.ticket_number(language, str(seat))})
    else:
        found = settings_of(office).counter(counter or "")
        place = [phrase(found.name.get_text(language))] if found else []
    return say(_(ANNOUNCEMENT), {"number": library.ticket_number(language, number), "counter": place})


def problem(office: OfficeConfig, number: str, counter: str | None, seat: int | None) -> tuple[str, str] | None:
    """What is wrong with a call to announce, as (field, message); None when it can be announced."""
    settings = settings_of(office)
    match = NUMBER.match(number)
    service = next((s for s in settings.services if match and s.prefix == match.group(1)), None)
    if service is None:
        prefixes = ", ".join(s.prefix for s in settings.services)
        return "number", f"{number!r} is not a ticket number of this office (a letter {prefixes} and digits)"
    if (counter is None) == (seat is None):
        return "counter", "give either counter (a counter id) or seat (a computer number)"
    if counter is not None and settings.counter(counter) is None:
        known = ", ".join(c.id for c in settings.counters)
        return "counter", f"unknown counter {counter!r} (counters: {known})"
    seats = max((s.seats or 0 for s in settings.services), default=0)
    if seat is not None and not 1 <= seat <= seats:
        return "seat", f"no computer {seat} at this office (computers 1–{seats})" if seats else \
            "this office has no public computers"
    return None
