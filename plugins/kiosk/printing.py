"""Paper tickets on an ESC/POS network receipt printer, and what each printer answered (no HTTP).

python-escpos does the protocol: its ``Dummy`` printer composes a ticket into bytes in memory, its ``Network``
printer (TCP, port 9100) sends them in one write between two paper-status queries (DLE EOT 4). Every socket
step shares one short deadline, so a printer that is off or unplugged holds the visitor's screen for a few
seconds at most. A ticket counts as printed only when the printer took it and did not report its paper out.
Between tickets the kiosk's background work asks each printer for its paper alone (``poll``), so that staff
learn of an empty roll before a visitor does.

Text the printer's code pages can print (Swedish, Finnish, Somali, English) is sent as text; Arabic, Persian
and Tigrinya are drawn into a picture with Pillow (shaped and right to left through libraqm), since a receipt
printer's Arabic code pages print unjoined letters left to right and it has none for Ge'ez.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from escpos.constants import QR_ECLEVEL_M, RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_STATUS_PAPER
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, Network
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import Database, upsert, utcnow
from core.hookspecs import StaffAlert
from core.i18n import Translator, language_info
from core.problems import NotFound
from plugins.kiosk.models import IdempotencyKey, PrinterState
from plugins.kiosk.settings import PrinterSetting

log = logging.getLogger(__name__)
translations = Translator([Path(__file__).resolve().parent / "locale"])

# An 80 mm printer of the common Epson kind: 512 dots across. python-escpos's profile of it.
PROFILE = "TM-T88V"
PAPER_DOTS = 512
# Connecting gets this long; the whole exchange (connect, status, ticket, status) at most PRINT_SECONDS.
CONNECT_SECONDS = 2.0
PRINT_SECONDS = 5.0
# Between tickets each printer is asked for its paper once a minute, within a shorter limit (a status query only).
POLL_SECONDS = 60.0
CHECK_SECONDS = 3.0
# Text sent as text: what CP858 (Western European, the code page every receipt printer has) can encode.
TEXT_CODE_PAGE = "cp858"
FONT_PIXELS = 26


class PrinterStatus(StrEnum):
    READY = "ready"
    PAPER_LOW = "paper_low"  # printed, but the roll is near its end
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"  # no connection, or no answer in time


PRINTED = (PrinterStatus.READY, PrinterStatus.PAPER_LOW)
TROUBLE = (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE)


@dataclass(frozen=True)
class PaperTicket:
    """What goes on paper, every text already in the visitor's language."""

    number: str
    language: str
    lines: tuple[str, ...]  # office, service, place in the queue, estimated wait
    phone_url: str
    note: str


# --- Composing ------------------------------------------------------------------------------------------


def compose(ticket: PaperTicket) -> bytes:
    """The ticket as ESC/POS bytes: the number large, the texts, a QR code to the phone page, a cut."""
    paper = Dummy(profile=PROFILE)
    paper.hw("INIT")
    paper.set(align="center")
    _line(paper, ticket.lines[0], ticket.language)
    paper.set(align="center", bold=True, double_height=True, double_width=True)
    paper.textln(ticket.number)
    paper.set(align="center", normal_textsize=True)
    for text in ticket.lines[1:]:
        _line(paper, text, ticket.language)
    paper.qr(ticket.phone_url, ec=QR_ECLEVEL_M, size=6, native=True)  # the printer draws it: sharp and small
    _line(paper, ticket.note, ticket.language)
    paper.cut()
    return paper.output


def _line(paper: Dummy, text: str, language: str) -> None:
    if not text:
        return
    try:
        text.encode(TEXT_CODE_PAGE)
    except UnicodeEncodeError:
        picture = text_picture(text, language)
        if picture is not None:
            paper.image(picture, center=True)
        return
    paper.textln(text)


def text_picture(text: str, language: str) -> Image.Image | None:
    """``text`` drawn black on white, wrapped to the paper's width; None when no font has the script."""
    path = _font_file(language)
    if path is None:
        log.warning("no font for %s: the ticket is printed without its %s lines", language, language)
        return None
    font = ImageFont.truetype(path, FONT_PIXELS, layout_engine=ImageFont.Layout.RAQM)
    direction = "rtl" if language_info(language).rtl else "ltr"
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate, direction=direction) <= PAPER_DOTS - 16:
            lines[-1] = candidate
        else:
            lines.append(word)
    height = int(FONT_PIXELS * 1.6)
    picture = Image.new("1", (PAPER_DOTS, height * len(lines) + 8), 1)
    draw = ImageDraw.Draw(picture)
    for i, line in enumerate(lines):
        width = font.getlength(line, direction=direction)
        draw.text(((PAPER_DOTS - width) / 2, 4 + i * height), line, font=font, fill=0, direction=direction,
                  language=language)
    return picture


@lru_cache(maxsize=16)
def _font_file(language: str) -> str | None:
    """A font file that covers the language, as fontconfig knows them (Noto on Debian: fonts-noto-core):
    its best match when that covers the language, else a plain sans covering it."""
    fc_list, fc_match = shutil.which("fc-list"), shutil.which("fc-match")
    if fc_list is None or fc_match is None:
        return None
    covering = _run([fc_list, f":lang={language}", "file"])
    files = sorted(line.rstrip(": ") for line in covering.splitlines() if line.strip())
    best = _run([fc_match, "--format=%{file}", f":lang={language}"]).strip()
    if best in files:
        return best
    plain = [f for f in files if "Sans" in f and "Regular" in f]
    return (plain or files or [None])[0]


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=5, check=False).stdout


# --- Sending --------------------------------------------------------------------------------------------


def send(printer: PrinterSetting, data: bytes, seconds: float = PRINT_SECONDS) -> PrinterStatus:
    """Print ``data`` if the printer answers and has paper; what the printer's state is afterwards."""
    return _exchange(printer, data, seconds)


def check(printer: PrinterSetting, seconds: float = CHECK_SECONDS) -> PrinterStatus:
    """The printer's state, asked without printing (one DLE EOT 4)."""
    return _exchange(printer, None, seconds)


def _exchange(printer: PrinterSetting, data: bytes | None, seconds: float) -> PrinterStatus:
    deadline = time.monotonic() + seconds
    device = Network(printer.host, printer.port, timeout=min(CONNECT_SECONDS, seconds))
    try:
        device.open()
    except DeviceNotFoundError:
        return PrinterStatus.OFFLINE
    try:
        before = _paper(device, deadline)
        if data is None or before not in PRINTED:
            return before
        _within(device, deadline)
        device._raw(data)  # python-escpos's raw write: the composed ticket in one piece
        return _paper(device, deadline)
    except OSError:  # refused, reset, or the deadline passed (socket.timeout is an OSError)
        return PrinterStatus.OFFLINE
    finally:
        device.close()


def poll(db: Database, office: OfficeConfig, printers: tuple[PrinterSetting, ...], now: datetime | None = None,
         every: float = POLL_SECONDS) -> dict[str, PrinterStatus]:
    """Ask each of the office's printers not heard from for ``every`` seconds (no ticket, no earlier poll) for
    its state, and keep it, so that staff see an empty roll before a visitor meets it. Only while the office is
    open: a printer switched off for the night is not "not answering". No transaction is open while a printer
    is asked. Answers what each asked printer said, by device."""
    now = now or utcnow()
    if not office.is_open(now):
        return {}
    with db.session() as session:
        heard = {r.device.casefold(): r.checked_at for r in session.scalars(
            select(PrinterState).where(PrinterState.office_id == office.id))}
    last = datetime.min.replace(tzinfo=UTC)
    due = [p for p in printers if heard.get(p.device.casefold(), last) <= now - timedelta(seconds=every)]
    answers = {printer.device: check(printer) for printer in due}
    if answers:
        with db.session() as session:
            for device, status in answers.items():
                record(session, office, device, status, now)
    return answers


def _within(device: Network, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the printer took too long")
    device.device.settimeout(left)  # type: ignore[union-attr]


def _paper(device: Network, deadline: float) -> PrinterStatus:
    """The paper roll sensor (DLE EOT 4): bits 5 and 6 set when the paper is out, 2 and 3 when it nears its end."""
    _within(device, deadline)
    answer = device.query_status(RT_STATUS_PAPER)
    if not answer:  # the printer closed the connection instead of answering
        return PrinterStatus.OFFLINE
    if answer[0] & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
        return PrinterStatus.PAPER_OUT
    if answer[0] & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.READY


# --- A stored ticket onto paper -------------------------------------------------------------------------


def stored_ticket(session: Session, office: OfficeConfig, key: str, language: str) -> dict[str, Any]:
    """The ticket a kiosk screen took with its request key (as ``service.issue_ticket`` remembered it)."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.office_id == office.id,
                                                      IdempotencyKey.key == key, IdempotencyKey.action == "ticket"))
    if row is None or row.result is None:
        _ = translations.gettext(language)
        raise NotFound("unknown_ticket", _("This screen has taken no ticket to print; start again."))
    return dict(row.result)


def paper_ticket(office: OfficeConfig, stored: dict[str, Any], texts: dict[str, str], phone_url: str,
                 language: str) -> PaperTicket:
    _ = translations.gettext(language)
    return PaperTicket(number=stored["number"], language=language, phone_url=phone_url,
                       lines=(office.name.get_text(language), stored["service_name"], texts["position_text"],
                              texts["wait_text"]),
                       note=_("Take a seat. Your number is called on the screens and out loud."))


# --- What visitors and staff are told -------------------------------------------------------------------


def visitor_message(status: PrinterStatus, number: str, language: str) -> str:
    """What the kiosk says after printing: never that a ticket came out when it did not."""
    _ = translations.gettext(language)
    if status in PRINTED:
        return _("Take your ticket from the printer.")
    if status is PrinterStatus.PAPER_OUT:
        return _("The printer is out of paper, so no ticket was printed. Remember your number, %(number)s, "
                 "or scan the code with your phone.", number=number)
    return _("The printer is not working right now, so no ticket was printed. Remember your number, "
             "%(number)s, or scan the code with your phone.", number=number)


def record(session: Session, office: OfficeConfig, device: str, status: PrinterStatus,
           now: datetime | None = None) -> None:
    """Keep what the printer beside ``device`` answered; ``since`` moves only when the state changes."""
    now = now or utcnow()
    table = PrinterState.__table__
    upsert(session, PrinterState, {"office_id": office.id, "device": device, "state": status.value, "since": now,
                                   "checked_at": now}, ["office_id", "device"],
           {"state": status.value, "checked_at": now,
            "since": case((table.c.state == status.value, table.c.since), else_=now)})


@dataclass(frozen=True)
class PrinterLine:
    """One configured printer as staff see it."""

    device: str
    address: str
    state: str  # a PrinterStatus value, or "unknown" before its first ticket
    text: str
    since: datetime | None
    since_text: str  # local time of the office
    trouble: bool


def printer_lines(session: Session, office: OfficeConfig, printers: tuple[PrinterSetting, ...],
                  language: str) -> list[PrinterLine]:
    rows = {r.device.casefold(): r for r in session.scalars(
        select(PrinterState).where(PrinterState.office_id == office.id))}
    lines = []
    for printer in printers:
        row = rows.get(printer.device.casefold())
        state = row.state if row is not None else "unknown"
        lines.append(PrinterLine(device=printer.device, address=printer.address, state=state,
                                 text=state_text(state, language), since=row.since if row else None,
                                 since_text=row.since.astimezone(office.tz).strftime("%Y-%m-%d %H:%M") if row else "",
                                 trouble=state in TROUBLE))
    return lines


def state_text(state: str, language: str) -> str:
    _ = translations.gettext(language)
    return {
        PrinterStatus.READY: _("Ready"),
        PrinterStatus.PAPER_LOW: _("Paper running low"),
        PrinterStatus.PAPER_OUT: _("Out of paper"),
        PrinterStatus.OFFLINE: _("Not answering"),
    }.get(state, _("No ticket printed yet"))  # type: ignore[call-overload]


def staff_alerts(session: Session, office: OfficeConfig, printers: tuple[PrinterSetting, ...],
                 language: str) -> list[StaffAlert]:
    """A printer out of paper or not answering, for the guides' console."""
    _ = translations.gettext(language)
    return [StaffAlert(id=f"printer-{line.device}", since=line.since or utcnow(), order=20,
                       text=_("The ticket printer at %(device)s: %(state)s.", device=line.device, state=line.text))
            for line in printer_lines(session, office, printers, language) if line.trouble]


def device_status(session: Session, office: OfficeConfig, printers: tuple[PrinterSetting, ...], device: str,
                  language: str) -> list[str]:
    """The line for the devices page about the printer beside the kiosk ``device`` (none without a printer)."""
    _ = translations.gettext(language)
    wanted = device.strip().casefold()
    return [_("Ticket printer %(address)s: %(state)s", address=line.address, state=line.text)
            for line in printer_lines(session, office, printers, language) if line.device.casefold() == wanted]
