"""Appointments from a case-management system: a CSV or JSON file (no HTTP), given to `mbk appointments import`,
to the staff API (``POST …/appointments/import``) or to the upload form on the staff's day page.

Every row is checked before anything is written; one bad row refuses the whole file with every row's problem
named (``line 4: start: …``), so that nothing is half-imported. A row's ``id`` (the other system's own id)
makes a re-import of the same file safe: a known id is moved when its times changed and otherwise left alone.

CSV: a header line with these columns (any order; only ``start``, ``end`` and one of officer/unit/service are
required), UTF-8, comma-separated. JSON: a list of objects with the same keys. Times are ISO 8601; a time without
an offset is the office's local time::

    id,start,end,officer,unit,service,first_name,email,phone,language
    fk-1001,2026-05-04 10:00,2026-05-04 10:30,a-lind,,,Amal,amal@example.org,,ar
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import auth
from core.auth import Principal
from core.config import OfficeConfig, StrictModel
from core.people import Gettext, untranslated
from core.problems import Invalid, Problem, value_problem
from plugins.appointments import service
from plugins.appointments.models import BOOKED, IMPORT, STATUS_LABELS, Appointment

MAX_ROWS = 10_000
MAX_BYTES = 5_000_000  # ten thousand rows of CSV take about a megabyte
FORMATS = {".csv": "csv", ".json": "json", "text/csv": "csv", "application/json": "json"}


class ImportRow(StrictModel):
    id: str | None = Field(default=None, max_length=200)
    start: datetime
    end: datetime
    officer: str | None = None
    unit: str | None = None
    service: str | None = None
    first_name: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9 ()-]{6,20}$")
    language: str | None = None


@dataclass(frozen=True)
class ImportReport:
    added: int
    moved: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.added} added, {self.moved} moved, {self.unchanged} unchanged"


def read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The file's rows, each with where it is (``line N`` of a CSV file, ``item N`` of a JSON list)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid("unreadable_file", f"{path}: cannot be read as UTF-8 text ({exc})") from None
    return parse_rows(text, FORMATS.get(path.suffix.lower(), ""), str(path))


def format_of(filename: str | None, content_type: str | None) -> str:
    """``csv`` or ``json``, from an upload's file name, else its media type (parameters such as charset aside)."""
    suffix = Path(filename or "").suffix.lower()
    media = (content_type or "").split(";")[0].strip().lower()
    return FORMATS.get(suffix) or FORMATS.get(media) or ""


def parse_rows(text: str, kind: str, path: str, _: Gettext = untranslated) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a CSV (``kind`` ``csv``) or JSON (``json``) text; ``path`` names it in the problems, which are
    in the reader's language (``_``), as is where each row is."""
    if kind == "json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Invalid("invalid_json", _("%(file)s: not JSON (%(reason)s)", file=path, reason=exc)) from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise Invalid("invalid_json", _("%(file)s: expected a list of objects, one per appointment", file=path))
        rows = [(_("item %(number)s", number=n), item) for n, item in enumerate(items, start=1)]
    elif kind == "csv":
        reader = csv.DictReader(io.StringIO(text))
        try:
            fieldnames = reader.fieldnames
            unknown = sorted(set(fieldnames or ()) - set(ImportRow.model_fields))
            if unknown or not fieldnames:
                raise Invalid("invalid_csv", _("%(file)s: unknown columns %(unknown)s (columns: %(columns)s)",
                                               file=path, unknown=", ".join(unknown) or _("(none given)"),
                                               columns=", ".join(ImportRow.model_fields)))
            rows = [(_("line %(number)s", number=reader.line_num),
                     {k: v.strip() or None for k, v in row.items() if v is not None}) for row in reader]
        except csv.Error as exc:  # a line it cannot split (a lone CR, a huge field); line_num: the lines before
            raise Invalid("invalid_csv", _("%(file)s: not CSV (line %(number)s: %(reason)s)", file=path,
                                           number=reader.line_num + 1, reason=exc)) from None
    else:
        raise Invalid("unknown_format", _("%(file)s: name a .csv or a .json file (text/csv or application/json)",
                                          file=path))
    if len(rows) > MAX_ROWS:
        raise Invalid("too_many_rows", _("%(file)s: %(count)s rows; import at most %(most)s at a time", file=path,
                                         count=len(rows), most=MAX_ROWS))
    return rows


def _value_problem(error: ErrorDetails, _: Gettext) -> str:
    """What is wrong with a field's value, in the reader's language: core's words, but the import's own for a
    field it does not have and for the e-mail address and the phone number."""
    kind, field = error["type"], error["loc"][-1] if error["loc"] else ""
    if kind == "extra_forbidden":
        return _("not a field of the import (fields: %(fields)s)", fields=", ".join(ImportRow.model_fields))
    if kind == "string_pattern_mismatch":
        return _("not an e-mail address") if field == "email" else _("not a phone number")
    return value_problem(error, _)


def _checked(office: OfficeConfig, where: str, raw: dict[str, Any],
             _: Gettext) -> tuple[ImportRow | None, list[str]]:
    try:
        row = ImportRow.model_validate(raw)
    except ValidationError as exc:
        return None, [f"{where}: {'.'.join(str(p) for p in e['loc']) or _('row')}: {_value_problem(e, _)}"
                      for e in exc.errors()]
    local = {name: value if value.tzinfo else value.replace(tzinfo=office.tz)
             for name, value in (("start", row.start), ("end", row.end))}
    row = row.model_copy(update=local)
    problems = []
    for check in (lambda: service.check_times(row.start, row.end, _),
                  lambda: service.check_owner(office, row.officer, row.unit, row.service, _)):
        try:
            check()
        except Problem as problem:
            problems.append(f"{where}: {problem.message}")
    if row.language is not None and row.language not in office.languages:
        problems.append(f"{where}: language: " + _("%(language)s is not one of the office's (%(languages)s)",
                                                   language=repr(row.language), languages=", ".join(office.languages)))
    return row, problems


def import_rows(session: Session, office: OfficeConfig, rows: list[tuple[str, dict[str, Any]]],
                _: Gettext = untranslated) -> ImportReport:
    """Check every row, then write them all in the caller's transaction; refuse the file (``Invalid``, every
    problem on its own line, in the reader's language ``_``) if any row is wrong."""
    checked: list[tuple[str, ImportRow]] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for where, raw in rows:
        row, found = _checked(office, where, raw, _)
        if row is not None and row.id is not None:
            if row.id in seen:
                found.append(f"{where}: id: " + _("%(id)s is also on %(other)s", id=repr(row.id), other=seen[row.id]))
            seen.setdefault(row.id, where)
        problems += found
        if row is not None:
            checked.append((where, row))
    known = {a.external_id: a for a in session.scalars(select(Appointment).where(
        Appointment.office_id == office.id, Appointment.source == IMPORT, Appointment.calendar.is_(None),
        Appointment.external_id.in_(list(seen))))} if seen else {}
    problems += [f"{where}: " + _("id %(id)s: the meeting is %(status)s and cannot be moved", id=repr(row.id),
                                  status=_(STATUS_LABELS[known[row.id].status]))
                 for where, row in checked if row.id in known and known[row.id].status != BOOKED
                 and (known[row.id].start, known[row.id].end) != (row.start, row.end)]
    if problems:
        raise Invalid("invalid_import", "\n".join(problems))
    added = moved = unchanged = 0
    for _where, row in checked:
        existing = known.get(row.id) if row.id is not None else None
        if existing is None:
            made = service.create(session, office, service.NewAppointment(
                start=row.start, end=row.end, officer_id=row.officer, unit_id=row.unit, service_id=row.service,
                first_name=row.first_name, email=row.email, phone=row.phone, language=row.language,
                source=IMPORT), _=_)
            made.external_id = row.id
            added += 1
        elif (existing.start, existing.end) != (row.start, row.end):
            service.move(session, office, existing.id, row.start, row.end)
            moved += 1
        else:
            unchanged += 1
    return ImportReport(added=added, moved=moved, unchanged=unchanged)


def import_data(session: Session, office: OfficeConfig, actor: Principal, filename: str | None,
                content_type: str | None, data: bytes, _: Gettext = untranslated) -> ImportReport:
    """An upload or a request body from staff, in the request's session: checked and imported under a savepoint
    (nothing written when a row is wrong, even when the caller goes on) and audited with the counts (never the
    rows: they hold visitors' names and contacts). Problems are in the reader's language (``_``)."""
    name = filename or _("the file")
    if len(data) > MAX_BYTES:
        raise Invalid("too_large", _("%(file)s: larger than %(most)s MB; import it in parts", file=name,
                                     most=MAX_BYTES // 1_000_000))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("unreadable_file", _("%(file)s: not UTF-8 text", file=name)) from None
    rows = parse_rows(text, format_of(filename, content_type), name, _)
    with session.begin_nested():
        report = import_rows(session, office, rows, _)
        auth.audit(session, actor, "appointment.import", office.id, added=report.added, moved=report.moved,
                   unchanged=report.unchanged)
    return report
