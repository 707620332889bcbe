"""JSON and CSV API of the surveys plugin, mounted at /api/v1/offices/{office}/surveys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from core import auth
from core.auth import Principal
from core.config import OfficeConfig
from core.db import utcnow
from core.web.deps import ContextDep, Day, OfficeDep, SessionDep
from core.web.security import require, require_platform_admin
from plugins.surveys import service
from plugins.surveys.service import Cell, Report, Submission
from plugins.surveys.web_common import csv_lines, find_survey, report_range

router = APIRouter()


class ResponseIn(BaseModel):
    """One visitor's answers. ``token`` is random per session of answers: sending it again records nothing."""

    token: str = Field(min_length=16, max_length=64)
    language: str
    answers: dict[str, str] = {}
    context: str | None = None
    gender: str | None = None


class SuppressedCell(BaseModel):
    """A group with too few answers to show (or whose complement would give it away)."""

    key: str | None
    suppressed: Literal[True] = True


class ShownCell(BaseModel):
    """A group's share of yes with its 95 % Wilson interval."""

    key: str | None
    suppressed: Literal[False] = False
    n: int
    yes: int
    share: float
    low: float
    high: float


CellOut = SuppressedCell | ShownCell


def cell_out(cell: Cell | None) -> CellOut | None:
    if cell is None:
        return None
    if cell.suppressed:
        return SuppressedCell(key=cell.key)
    low, high = cell.share.interval
    return ShownCell(key=cell.key, n=cell.share.n, yes=cell.share.yes, share=round(cell.share.value, 4),
                     low=round(low, 4), high=round(high, 4))


class OfficeIndicatorOut(BaseModel):
    office: str
    overall: CellOut | None
    by_gender: list[CellOut | None]


class ComparisonOut(BaseModel):
    indicator: str
    start: date
    end: date
    offices: list[OfficeIndicatorOut]


class IndicatorOut(BaseModel):
    id: str
    question: str
    target: float | None
    overall: CellOut | None
    breakdowns: dict[str, list[CellOut | None]]


class SuppressedQuestion(BaseModel):
    id: str
    suppressed: Literal[True] = True


class QuestionOut(BaseModel):
    """How the answers to a question that is not an indicator are spread."""

    id: str
    suppressed: Literal[False] = False
    n: int
    counts: dict[str, int]


class ReportOut(BaseModel):
    office: str
    survey: str
    start: date
    end: date
    period: str
    k: int
    responses: int
    indicators: list[IndicatorOut]
    questions: list[SuppressedQuestion | QuestionOut]

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(
            office=report.office_id, survey=report.survey_id, start=report.start, end=report.end,
            period=report.period, k=report.k, responses=report.responses,
            indicators=[IndicatorOut(id=i.id, question=i.question, target=i.target, overall=cell_out(i.overall),
                                     breakdowns={dim: [cell_out(c) for c in cells]
                                                 for dim, cells in i.breakdowns.items()})
                        for i in report.indicators],
            questions=[SuppressedQuestion(id=q.id) if q.suppressed else QuestionOut(id=q.id, n=q.n, counts=q.counts)
                       for q in report.questions])


class ResponseRecorded(BaseModel):
    recorded: Literal[True] = True


class AlreadyRecorded(BaseModel):
    """The same token's answers were recorded before: nothing is counted twice."""

    recorded: Literal[False] = False
    detail: str = "These answers were already recorded."


@router.get("/compare/{indicator_id}")
def compare(indicator_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep, start: Day | None = None,
            end: Day | None = None, principal: Principal = Depends(require_platform_admin)) -> ComparisonOut:
    """A city-wide indicator across every office (platform admin only), overall and by gender."""
    start, end = report_range(office, start, end)
    rows = service.compare_offices(session, ctx.deployment.offices.values(), indicator_id, start, end)
    return ComparisonOut(indicator=indicator_id, start=start, end=end, offices=[
        OfficeIndicatorOut(office=r.office_id, overall=cell_out(r.overall),
                           by_gender=[cell_out(c) for c in r.by_gender]) for r in rows])


@router.post("/{survey_id}/responses", status_code=201, response_model=ResponseRecorded,
             responses={200: {"model": AlreadyRecorded, "description": "Already recorded"}})
def submit_response(survey_id: str, body: ResponseIn, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                    principal: Principal = Depends(require("admin", "guide", devices=("tablet",)))) -> Any:
    survey = find_survey(office, survey_id)
    submission = Submission(token=body.token, language=body.language, answers=body.answers, context=body.context,
                            gender=body.gender)
    options = service.context_options(survey, ctx.hooks(office), office, session, body.language)
    recorded = service.record_response(session, office, survey, submission, utcnow(),
                                       None if options is None else [o.id for o in options])
    if not recorded:
        return JSONResponse(AlreadyRecorded().model_dump(), status_code=200)
    return ResponseRecorded()


def _report(session: Session, office: OfficeConfig, survey_id: str, start: date | None, end: date | None,
            period: str) -> Report:
    survey = find_survey(office, survey_id)
    start, end = report_range(office, start, end)
    return service.build_report(session, office, survey, start, end, period)


Period = Literal["week", "month"]


@router.get("/{survey_id}/report")
def report(survey_id: str, office: OfficeDep, session: SessionDep, start: Day | None = None, end: Day | None = None,
           period: Period = "month", principal: Principal = Depends(require("admin", "viewer"))) -> ReportOut:
    """Each indicator's share with n and 95 % Wilson interval, overall and by gender, service or category,
    language and period. Groups with fewer than k answers (and their complements) are suppressed."""
    return ReportOut.of(_report(session, office, survey_id, start, end, period))


def report_csv_rows(report: Report) -> Iterator[list[Any]]:
    for indicator in report.indicators:
        groups = [("overall", indicator.overall)] + [(dim, c) for dim, cells in indicator.breakdowns.items()
                                                      for c in cells]
        for dimension, cell in groups:
            if cell is None:
                continue
            if cell.suppressed:
                yield [indicator.id, indicator.target, dimension, cell.key, "", "", "", "", "", "suppressed"]
                continue
            low, high = cell.share.interval
            yield [indicator.id, indicator.target, dimension, cell.key, cell.share.n, cell.share.yes,
                   round(cell.share.value * 100, 1), round(low * 100, 1), round(high * 100, 1), "shown"]
    for question in report.questions:
        if question.suppressed:
            yield [question.id, "", "answer", "", "", "", "", "", "", "suppressed"]
            continue
        for value, count in question.counts.items():
            yield [question.id, "", "answer", value, question.n, count,
                   round(count / question.n * 100, 1), "", "", "shown"]


# One row per group of an indicator (count: answers "yes"), then one per answer of every other question
# (dimension "answer", count: that answer).
REPORT_CSV_HEADER = ["item", "target_percent", "dimension", "group", "n", "count", "percent",
                     "low_percent", "high_percent", "status"]


class CsvDownload(StreamingResponse):
    """A CSV file to save (so /docs shows text/csv, not JSON)."""

    media_type = "text/csv"


def _download(lines: Iterator[str], filename: str) -> CsvDownload:
    return CsvDownload(lines, media_type="text/csv; charset=utf-8",
                       headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{survey_id}/report.csv", response_class=CsvDownload)
def report_csv(survey_id: str, office: OfficeDep, session: SessionDep, start: Day | None = None,
               end: Day | None = None, period: Period = "month", principal: Principal = Depends(require("admin"))
               ) -> CsvDownload:
    built = _report(session, office, survey_id, start, end, period)
    name = f"{office.id}-{survey_id}-report-{built.start}-{built.end}.csv"
    return _download(csv_lines(REPORT_CSV_HEADER, report_csv_rows(built)), name)


@router.get("/{survey_id}/answers.csv", response_class=CsvDownload)
def answers_csv(survey_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep, start: Day | None = None,
                end: Day | None = None, principal: Principal = Depends(require("admin"))) -> CsvDownload:
    """Every anonymous response, one row each (admin only: small groups are not suppressed here)."""
    survey = find_survey(office, survey_id)
    start, end = report_range(office, start, end)
    auth.audit(session, principal, "surveys.export_answers", office.id, survey=survey.id,
               start=start.isoformat(), end=end.isoformat())
    # Read while the file streams out, in sessions of its own: the request's has ended by then.
    rows = service.raw_answer_rows(ctx.db.session, office.id, survey, start, end)
    return _download(csv_lines(service.raw_answer_header(survey), rows),
                     f"{office.id}-{survey_id}-answers-{start}-{end}.csv")
