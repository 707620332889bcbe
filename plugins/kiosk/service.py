"""Kiosk domain logic (no HTTP): tiles, guides, tickets, idempotency, usage counts, retention (arrivals:
arrivals.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import qr
from core.config import OfficeConfig, Officer
from core.db import insert_ignore, upsert_increment, utcnow
from core.hookspecs import KioskTile, LiveFigure, TicketRequest, TicketService
from core.i18n import LanguageInfo, Translator, language_info
from core.problems import Conflict, Invalid, NotFound, Unavailable
from plugins.kiosk.guides import FALLBACK_LANGUAGE, LIBRARY, Guide, GuideLibrary, library, office_folder
from plugins.kiosk.models import Arrival, IdempotencyKey, UsageCount
from plugins.kiosk.settings import KioskSettings, UrgentAnswer

HERE = Path(__file__).resolve().parent
translations = Translator([HERE / "locale"])
KEY_RETENTION = timedelta(days=2)


# --- Settings and languages -------------------------------------------------------------------------


def settings(office: OfficeConfig) -> KioskSettings:
    return office.settings_for("kiosk") or KioskSettings()


def languages(office: OfficeConfig) -> tuple[str, ...]:
    return settings(office).offered_languages(office.languages)


def start_language(office: OfficeConfig) -> str:
    return languages(office)[0]


def visitor_language(office: OfficeConfig, negotiated: str) -> str:
    """The negotiated language if the kiosk offers it, else the kiosk's start language."""
    return negotiated if negotiated in languages(office) else start_language(office)


# --- Guides -----------------------------------------------------------------------------------------


def guide_library(office: OfficeConfig) -> GuideLibrary:
    return library((LIBRARY, office_folder(office.source, settings(office).guides_folder)))


def guides(office: OfficeConfig, language: str) -> list[Guide]:
    return guide_library(office).all(language)


def guide(office: OfficeConfig, guide_id: str, language: str) -> Guide:
    found = guide_library(office).get(guide_id, language)
    if found is None:
        _ = translations.gettext(language)
        raise NotFound("unknown_guide", _("There is no guide called %(guide)s.", guide=guide_id))
    return found


def talk_categories(office: OfficeConfig, language: str) -> list[Guide]:
    """Guides offered under "talk to a guide": the office's list in its order, else every guide with questions."""
    chosen = settings(office).guide_categories
    lib = guide_library(office)
    if chosen:
        found = [lib.get(gid, language) for gid in chosen]
        return [g for g in found if g is not None and g.questions]
    return [g for g in lib.all(language) if g.questions]


def validate(office: OfficeConfig) -> list[tuple[str, str]]:
    """Problems a settings model cannot see, as (key path, message): guide files and guide ids in the settings."""
    lib = guide_library(office)
    problems = [("plugins.kiosk.guides_folder", problem) for problem in lib.problems]
    known = set(lib.ids())
    for i, gid in enumerate(settings(office).guide_categories):
        path = f"plugins.kiosk.guide_categories[{i}]"
        if gid not in known:
            problems.append((path, f"unknown guide {gid!r} (guides: {', '.join(sorted(known))})"))
        elif not lib.get(gid, FALLBACK_LANGUAGE).questions:  # type: ignore[union-attr]
            problems.append((path, f"guide {gid!r} has no questions"))
    for i, urgent in enumerate(settings(office).urgent_answers):
        problems += [(f"plugins.kiosk.urgent_answers[{i}].{key}", message)
                     for key, message in _urgent_answer_problems(lib, urgent)]
    return problems


def _urgent_answer_problems(lib: GuideLibrary, urgent: UrgentAnswer) -> list[tuple[str, str]]:
    guide = lib.get(urgent.category, FALLBACK_LANGUAGE)
    if guide is None:
        return [("category", f"unknown guide {urgent.category!r} (guides: {', '.join(lib.ids())})")]
    questions = {q.id: q for q in guide.questions}
    if urgent.question not in questions:
        return [("question", f"guide {urgent.category!r} has no question {urgent.question!r} "
                             f"(questions: {', '.join(questions) or 'none'})")]
    options = [option for option, _ in questions[urgent.question].options]
    if urgent.option not in options:
        return [("option", f"question {urgent.question!r} has no option {urgent.option!r} "
                           f"(options: {', '.join(options)})")]
    return []


def interpreter_choices(office: OfficeConfig) -> list[LanguageInfo]:
    """The languages a visitor can ask an interpreter for, each by its own name (the visitor knows it so)."""
    return [language_info(code) for code in settings(office).interpreter_languages]


def is_urgent(office: OfficeConfig, category: str, answers: dict[str, str]) -> bool:
    """Whether an answer the office marks urgent was given (``urgent_answers`` in the settings)."""
    return any(u.category == category and answers.get(u.question) == u.option
               for u in settings(office).urgent_answers)


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI (dark on light in every display mode: phones read it best)."""
    return qr.svg_data_uri(url)


# --- Tiles ------------------------------------------------------------------------------------------


def own_tiles(office: OfficeConfig, language: str) -> list[KioskTile]:
    """What the kiosk contributes through ``mbk_kiosk_tiles`` ("talk to a guide" is added by start_tiles)."""
    _ = translations.gettext(language)
    base = f"/{office.id}/kiosk"
    tiles = []
    if office.directory.officers or office.directory.units:
        tiles.append(KioskTile(id="meeting", label=_("I have a booked meeting"), icon="calendar", order=10,
                               description=_("Tell the person you are meeting that you are here."),
                               href=f"{base}/meeting"))
    tiles.append(KioskTile(id="guides", label=_("I need help with an errand"), icon="book", order=20,
                           description=_("Step-by-step guides: preschool, money, migration, housing and more."),
                           href=f"{base}/guides"))
    for tile in settings(office).tiles:
        tiles.append(KioskTile(id=tile.id, label=tile.label.get_text(language), order=tile.order, icon=tile.icon,
                               description=tile.description.get_text(language) if tile.description else "",
                               href=tile.link, ticket_service=tile.ticket_service))
    return tiles


def start_tiles(office: OfficeConfig, language: str, contributed: list[list[KioskTile]],
                services: list[TicketService]) -> list[KioskTile]:
    """Every plugin's tiles plus "talk to a guide", which needs a queue that takes tickets right now; a tile
    for a service that takes no tickets now is left out (no choice that can only say "not now").

    (The tiles hook has no session, so the kiosk adds this tile itself after asking for ticket services.)
    """
    _ = translations.gettext(language)
    open_services = {s.id for s in services}
    tiles = [tile for group in contributed for tile in group
             if tile.ticket_service is None or tile.ticket_service in open_services]
    if services and talk_categories(office, language):
        tiles.append(KioskTile(id="talk", label=_("I want to talk to a guide"), icon="talk", order=30,
                               description=_("Answer two or three questions and get a queue ticket."),
                               href=f"/{office.id}/kiosk/talk"))
    seen: set[str] = set()
    unique = []
    for tile in sorted(tiles, key=lambda t: (t.order, t.id)):
        if tile.id not in seen:
            seen.add(tile.id)
            unique.append(tile)
    return unique


def tile_target(office: OfficeConfig, tile: KioskTile) -> str:
    if tile.ticket_service:
        return f"/{office.id}/kiosk/tickets/{tile.ticket_service}"
    return tile.href or f"/{office.id}/kiosk"


# --- Directory --------------------------------------------------------------------------------------


def officer_by_code(office: OfficeConfig, code: str) -> Officer | None:
    code = code.strip()
    return next((o for o in office.directory.officers if code and code in o.booking_codes), None)


def unit_name(office: OfficeConfig, unit_id: str | None, language: str) -> str | None:
    unit = office.directory.unit(unit_id) if unit_id else None
    return unit.name.get_text(language) if unit else None


# --- Idempotency ------------------------------------------------------------------------------------


def claim_key(session: Session, office_id: str, key: str, action: str, language: str) -> dict[str, Any] | None:
    """Claim a screen's request key. None: it is ours, do the work. A dict: the first request's answer.

    On PostgreSQL a second transaction with the same key waits on the unique index until the first one
    commits, then sees its row (each statement reads what is committed); SQLite runs one writer at a time.
    """
    _ = translations.gettext(language)
    if not key or len(key) > 64:
        raise Invalid("invalid_request", _("The screen sent no valid request key; start again."))
    if insert_ignore(session, IdempotencyKey, {"office_id": office_id, "key": key, "action": action,
                                               "created_at": utcnow()}, ["office_id", "key"]):
        return None
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.office_id == office_id,
                                                      IdempotencyKey.key == key))
    if row is None or row.action != action or row.result is None:
        raise Conflict("key_reused", _("This screen was already used for something else; start again."))
    return dict(row.result)


def remember(session: Session, office_id: str, key: str, result: dict[str, Any]) -> None:
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.office_id == office_id,
                                                      IdempotencyKey.key == key))
    assert row is not None  # claimed in this same transaction
    row.result = result


# --- Usage counts -----------------------------------------------------------------------------------


def record_usage(session: Session, office: OfficeConfig, language: str, choice: str, guide_id: str = "",
                 now: datetime | None = None) -> None:
    """Count one use; a single upsert so that concurrent kiosks never lose a count."""
    day = (now or utcnow()).astimezone(office.tz).date()
    upsert_increment(session, UsageCount, {"office_id": office.id, "day": day, "language": language,
                                           "choice": choice[:64], "guide": guide_id[:64], "count": 1},
                     ["office_id", "day", "language", "choice", "guide"], "count")


@dataclass(frozen=True)
class UsageRow:
    day: date
    language: str
    choice: str
    guide: str
    count: int


def usage(session: Session, office: OfficeConfig, since: date) -> list[UsageRow]:
    rows = session.execute(
        select(UsageCount.day, UsageCount.language, UsageCount.choice, UsageCount.guide, UsageCount.count)
        .where(UsageCount.office_id == office.id, UsageCount.day >= since)
        .order_by(UsageCount.day.desc(), UsageCount.count.desc(), UsageCount.choice, UsageCount.language))
    return [UsageRow(*row) for row in rows]


@dataclass(frozen=True)
class UsageSummary:
    """Usage for the admin panel: each choice (and guide) by language, and each day by language."""

    languages: list[str]
    by_choice: list[tuple[str, list[int], int]]  # readable choice, count per language, total
    by_day: list[tuple[date, list[int], int]]


def choice_label(choice: str, guide_id: str, language: str) -> str:
    """What a recorded choice means, for office staff."""
    _ = translations.gettext(language)
    if choice == "arrival":
        return _("Arrival for a booked meeting")
    if choice == "guide-read":
        return _("Guide read at the kiosk: %(guide)s", guide=guide_id)
    if choice == "guide-phone":
        return _("Guide opened on a phone: %(guide)s", guide=guide_id)
    if choice == "talk-ticket":
        return _("Ticket to talk to a guide: %(category)s", category=guide_id)
    if choice.startswith("ticket:"):
        return _("Ticket for the service %(service)s", service=choice.removeprefix("ticket:"))
    return _("Start screen choice: %(tile)s", tile=choice)


def summarize(rows: list[UsageRow], language: str) -> UsageSummary:
    langs = sorted({r.language for r in rows})
    by_choice: dict[tuple[str, str], dict[str, int]] = {}
    by_day: dict[date, dict[str, int]] = {}
    for row in rows:
        cell = by_choice.setdefault((row.choice, row.guide), {})
        cell[row.language] = cell.get(row.language, 0) + row.count
        day = by_day.setdefault(row.day, {})
        day[row.language] = day.get(row.language, 0) + row.count
    choices = sorted(((choice_label(c, g, language), [counts.get(lang, 0) for lang in langs], sum(counts.values()))
                      for (c, g), counts in by_choice.items()), key=lambda item: (-item[2], item[0]))
    days = [(day, [counts.get(lang, 0) for lang in langs], sum(counts.values()))
            for day, counts in sorted(by_day.items(), reverse=True)]
    return UsageSummary(languages=langs, by_choice=choices, by_day=days)


# --- Tickets ----------------------------------------------------------------------------------------


def ticket_answers(office: OfficeConfig, category: str, answers: dict[str, str], language: str) -> dict[str, str]:
    """The visitor's answers as the guides read them: Swedish question → Swedish answer, every question answered."""
    _ = translations.gettext(language)
    offered = {g.id: g for g in talk_categories(office, language)}
    if category not in offered:
        raise NotFound("unknown_category", _("There is no errand category called %(c)s.", c=category))
    reference = guide_library(office).get(category, FALLBACK_LANGUAGE)
    assert reference is not None
    readable = {}
    for question in reference.questions:
        chosen = answers.get(question.id)
        options = dict(question.options)
        if chosen not in options:
            raise Invalid("unanswered", _("Please answer every question."))
        readable[question.text] = options[chosen]
    unknown = set(answers) - {q.id for q in reference.questions}
    if unknown:
        raise Invalid("invalid_request", _("Please answer every question."))
    return readable


def staff_title(office: OfficeConfig, guide_id: str) -> str:
    """A guide's title as the office's staff read it: in the office's first language (Swedish if untranslated).
    Only for a guide known to exist (``ticket_answers`` checked it)."""
    found = guide_library(office).get(guide_id, office.default_language)
    assert found is not None
    return found.title


def issue_ticket(session: Session, office: OfficeConfig, issue: Callable[..., Any], *, language: str, key: str,
                 service: str | None = None, category: str | None = None,
                 answers: dict[str, str] | None = None, interpreter: str | None = None) -> dict[str, Any]:
    """Ask the office's queue (through ``issue``, the ``mbk_issue_ticket`` hook) for one ticket per screen key.
    ``interpreter``: a language from ``interpreter_languages`` the visitor asks an interpreter for."""
    _ = translations.gettext(language)
    stored = claim_key(session, office.id, key, "ticket", language)
    if stored is not None:
        return stored
    if (service is None) == (category is None):
        raise Invalid("invalid_request", _("Choose a service or an errand."))
    if interpreter is not None and interpreter not in settings(office).interpreter_languages:
        raise Invalid("invalid_request", _("Choose one of the languages shown."), field="interpreter")
    readable = ticket_answers(office, category, answers or {}, language) if category else {}
    request = TicketRequest(language=language, service=service, category=category,
                            category_title=staff_title(office, category) if category else None, answers=readable,
                            idempotency_key=f"kiosk:{key}", source="kiosk", interpreter=interpreter,
                            urgent=bool(category) and is_urgent(office, category or "", answers or {}))
    receipt = issue(office=office, session=session, request=request)  # a refusal passes through: a core Problem
    if receipt is None:
        raise Unavailable("no_queue", _("Tickets cannot be taken here right now. Please ask at the desk."))
    record_usage(session, office, language, "talk-ticket" if category else f"ticket:{service}", category or "")
    stored = {"id": receipt.id, "number": receipt.number, "service": receipt.service,
              "service_name": receipt.service_name, "position": receipt.position,
              "estimated_wait_minutes": receipt.estimated_wait_minutes, "status_path": receipt.status_path,
              "called_to": receipt.called_to}
    remember(session, office.id, key, stored)
    return stored


def ticket_texts(stored: dict[str, Any], language: str) -> dict[str, str]:
    """What the ticket screen says, in the visitor's language."""
    _ = translations.gettext(language)
    if stored.get("called_to"):  # called at once (a free public computer): the board and the phone say the same
        return {"position_text": _("Go to %(place)s now.", place=stored["called_to"]), "wait_text": ""}
    before = max(int(stored["position"]) - 1, 0)
    position = (_("You are next.") if before == 0 else _("People before you: %(n)s", n=before))
    minutes = stored.get("estimated_wait_minutes")
    wait = (_("Estimated wait: about %(minutes)s minutes", minutes=minutes) if minutes is not None
            else _("We cannot estimate the wait right now."))
    return {"position_text": position, "wait_text": wait}


# --- The manager's live view -------------------------------------------------------------------------


def arrivals_waiting(session: Session, office: OfficeConfig, language: str, now: datetime,
                     hours: int) -> LiveFigure:
    """Visitors who registered their arrival within ``hours`` and whose officer has not answered "I am coming"
    (not those of a meeting with the guides alone: the queue calls them by their booked ticket)."""
    _ = translations.gettext(language)
    count, oldest = session.execute(select(func.count(), func.min(Arrival.created_at)).where(
        Arrival.office_id == office.id, Arrival.acknowledged_at.is_(None),
        Arrival.officer_id.is_not(None) | Arrival.unit_id.is_not(None),
        Arrival.created_at >= now - timedelta(hours=hours))).one()
    return LiveFigure(id="arrivals-waiting", label=_("Arrivals waiting for their officer"), value=count,
                      since=oldest, order=10)


# --- Retention --------------------------------------------------------------------------------------


def purge(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    cutoff = now - timedelta(days=settings(office).arrival_retention_days)
    arrivals = session.execute(delete(Arrival).where(Arrival.office_id == office.id, Arrival.created_at < cutoff))
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.office_id == office.id,
                                                 IdempotencyKey.created_at < now - KEY_RETENTION))
    return {"kiosk_arrivals": arrivals.rowcount or 0}

