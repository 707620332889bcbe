"""What the API and the pages share: finding the survey in the path, the report's date range, CSV output."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from core.config import OfficeConfig
from core.db import utcnow
from core.problems import Invalid, NotFound
from plugins.surveys.service import office_today
from plugins.surveys.settings import Survey, SurveysSettings


def find_survey(office: OfficeConfig, survey_id: str) -> Survey:
    settings: SurveysSettings = office.settings_for("surveys")
    survey = settings.survey(survey_id)
    if survey is None:
        known = ", ".join(s.id for s in settings.surveys) or "none"
        raise NotFound("unknown_survey", f"No survey {survey_id!r} at office {office.id!r} (surveys: {known}).")
    return survey


def report_range(office: OfficeConfig, start: date | None, end: date | None) -> tuple[date, date]:
    """Default: from the first day of the month eleven months back to today (twelve calendar months)."""
    end = end or office_today(office, utcnow())
    if start is None:
        month_index = end.year * 12 + end.month - 1 - 11
        start = date(month_index // 12, month_index % 12 + 1, 1)
    if start > end:
        raise Invalid("invalid_request", "must not be after end", field="start")
    return start, end


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text, streamed line by line. Cells that a spreadsheet would run as a formula are quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else
                         ("" if v is None else v) for v in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(header)
    for row in rows:
        yield line(row)
