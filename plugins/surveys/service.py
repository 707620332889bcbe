"""Domain logic of the surveys plugin: recording anonymous responses, and the indicator report.

The report is computed by SQL aggregation: one COUNT/SUM grouped by question and every dimension at once,
so the database returns group counts (at most a few thousand rows), never the responses themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, delete, func, select, tuple_
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import insert_ignore
from core.events import publish
from core.problems import Invalid
from core.proportions import Share
from plugins.surveys.events import SurveyCompleted
from plugins.surveys.models import SubmissionToken, SurveyAnswer, SurveyResponse
from plugins.surveys.settings import GENDERS, Survey, SurveysSettings

DIMENSIONS = ("gender", "context", "language", "period")
PERIODS = ("week", "month")
COMMENT_QUESTION = "comment"
MAX_COMMENT_LENGTH = 500
# Idempotency tokens only need to outlive a double tap or a retried request.
TOKEN_KEEP_DAYS = 2


class InvalidResponse(Invalid):
    """A submitted response that cannot be recorded; ``field`` names the offending part."""

    def __init__(self, field: str, message: str):
        super().__init__("invalid_request", message, field=field)


def office_today(office: OfficeConfig, now: datetime) -> date:
    return now.astimezone(office.tz).date()


# --- Recording ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    token: str
    language: str
    answers: dict[str, str]
    context: str | None = None
    gender: str | None = None


def validate_submission(office: OfficeConfig, survey: Survey, submission: Submission,
                        context_ids: Sequence[str] | None) -> None:
    """Raise InvalidResponse naming the first problem. ``context_ids`` None: any context id is accepted."""
    if not 16 <= len(submission.token) <= 64:
        raise InvalidResponse("token", "must be 16 to 64 characters (a random value per session of answers)")
    if submission.language not in office.languages:
        raise InvalidResponse("language", f"{submission.language!r} is not a language of this office "
                                          f"({', '.join(office.languages)})")
    if not submission.answers:
        raise InvalidResponse("answers", "at least one answer is needed")
    for question_id, value in submission.answers.items():
        if question_id == COMMENT_QUESTION and survey.free_text:
            if len(value) > MAX_COMMENT_LENGTH:
                raise InvalidResponse(f"answers.{question_id}", f"at most {MAX_COMMENT_LENGTH} characters")
            continue
        question = survey.question(question_id)
        if question is None:
            raise InvalidResponse(f"answers.{question_id}", "no such question in this survey")
        if value not in question.allowed_values():
            raise InvalidResponse(f"answers.{question_id}",
                                  f"{value!r} is not an answer (answers: {', '.join(question.allowed_values())})")
    if submission.gender is not None:
        if not survey.gender_question:
            raise InvalidResponse("gender", "this survey does not ask for gender")
        if submission.gender not in GENDERS:
            raise InvalidResponse("gender", f"{submission.gender!r} is not one of {', '.join(GENDERS)}")
    if submission.context is not None:
        validate_context(survey, submission.context, context_ids)


def validate_context(survey: Survey, context: str, context_ids: Sequence[str] | None) -> None:
    if survey.context == "none":
        raise InvalidResponse("context", "this survey does not record a service or category")
    if context_ids is not None and context not in context_ids:
        raise InvalidResponse("context", f"unknown {survey.context} {context!r} "
                                         f"(known: {', '.join(context_ids) or 'none'})")


def _claim_token(session: Session, office_id: str, token: str, day: date) -> bool:
    """Insert the token; False if it was already used (the same session of answers submitted again)."""
    return insert_ignore(session, SubmissionToken, {"token": token, "office_id": office_id, "day": day}) == 1


def record_response(session: Session, office: OfficeConfig, survey: Survey, submission: Submission,
                    now: datetime, context_ids: Sequence[str] | None = None) -> bool:
    """Record one visitor's answers in the caller's transaction. False: this token was already recorded."""
    validate_submission(office, survey, submission, context_ids)
    day = office_today(office, now)
    if not _claim_token(session, office.id, submission.token, day):
        return False
    response = SurveyResponse(office_id=office.id, survey_id=survey.id, language=submission.language, day=day,
                              context=submission.context, gender=submission.gender)
    session.add(response)
    session.flush()
    session.add_all(response.answer(q, v) for q, v in submission.answers.items())
    publish(session, office.id, SurveyCompleted(survey=survey.id, language=submission.language))
    return True


def forget_old_tokens(session: Session, office_id: str, today: date) -> int:
    result = session.execute(delete(SubmissionToken).where(SubmissionToken.office_id == office_id,
                                                           SubmissionToken.day < today - timedelta(TOKEN_KEEP_DAYS)))
    return result.rowcount or 0


# --- Statistics -----------------------------------------------------------------------------------


@dataclass
class Cell:
    """One group of a breakdown (a gender, a language…). ``suppressed``: too few answers to show."""

    key: str | None
    share: Share
    suppressed: bool = False

    @property
    def shown(self) -> Share | None:
        return None if self.suppressed else self.share


def suppress_small_cells(cells: list[Cell], k: int) -> list[Cell]:
    """Hide cells with fewer than ``k`` answers, and then more cells (the smallest first) until the hidden
    cells together hold at least ``k``: the breakdown adds up to the total shown, so a single hidden
    cell (or hidden cells that together are few) could otherwise be worked out by subtraction."""
    for cell in cells:
        cell.suppressed = cell.share.n < k
    hidden = sum(c.share.n for c in cells if c.suppressed)
    while any(c.suppressed for c in cells) and hidden < k:
        candidates = [c for c in cells if not c.suppressed]
        if not candidates:
            break
        smallest = min(candidates, key=lambda c: (c.share.n, str(c.key)))
        smallest.suppressed = True
        hidden += smallest.share.n
    return cells


# --- Report ---------------------------------------------------------------------------------------


@dataclass
class IndicatorResult:
    id: str
    question: str
    target: float | None
    overall: Cell | None
    breakdowns: dict[str, list[Cell]] = field(default_factory=dict)


@dataclass
class QuestionResult:
    """How the answers to a question that is not an indicator (a smiley scale, a choice…) are spread;
    ``suppressed`` when fewer than k visitors answered it."""

    id: str
    n: int
    counts: dict[str, int]
    suppressed: bool


@dataclass
class Report:
    office_id: str
    survey_id: str
    start: date
    end: date
    period: str
    k: int
    indicators: list[IndicatorResult]
    responses: int
    questions: list[QuestionResult] = field(default_factory=list)


def _period_key(dialect: str, period: str) -> Any:
    day = SurveyAnswer.day
    if dialect == "postgresql":
        if period == "week":  # the Monday of the ISO week: date arithmetic, cheaper than date_trunc + to_char
            return day - (func.extract("isodow", day).cast(Integer) - 1)
        return func.to_char(day, "YYYY-MM")
    if period == "week":  # the Monday of the ISO week
        return func.date(day, "weekday 0", "-6 days")
    return func.strftime("%Y-%m", day)


def period_label(key: str, period: str) -> str:
    if period == "week":
        year, week, _ = date.fromisoformat(key).isocalendar()
        return f"{year}-W{week:02d}"
    return key


def _dimension_column(dimension: str, dialect: str, period: str) -> Any:
    if dimension == "period":
        return _period_key(dialect, period)
    columns = {"gender": SurveyAnswer.gender, "context": SurveyAnswer.context, "language": SurveyAnswer.language}
    return columns[dimension]


@dataclass(frozen=True)
class GroupCount:
    """Answers to ``question`` in one combination of dimension values: ``n`` answers, ``yes`` of them yes."""

    keys: dict[str, str | None]
    question: str
    n: int
    yes: int


def aggregate_answers(session: Session, office_id: str, survey_ids: Sequence[str], questions: Sequence[str],
                      start: date, end: date, dimensions: Sequence[str], period: str = "month") -> list[GroupCount]:
    """COUNT and SUM of the answers, grouped by question and every requested dimension at once.

    One range scan of the answers' covering index (office, survey, question, day, value, gender, language,
    context) instead of one per dimension: the database returns at most a few thousand group counts, which
    ``roll_up`` adds up per dimension."""
    dialect = session.get_bind().dialect.name
    keys = [_dimension_column(d, dialect, period).label(d) for d in dimensions]
    stmt = (
        select(*keys, SurveyAnswer.question_id, func.count().label("n"),
               func.sum(case((SurveyAnswer.value == "yes", 1), else_=0)).label("yes"))
        .where(SurveyAnswer.office_id == office_id, SurveyAnswer.survey_id.in_(survey_ids),
               SurveyAnswer.question_id.in_(questions), SurveyAnswer.day >= start, SurveyAnswer.day <= end)
        .group_by(*keys, SurveyAnswer.question_id)
    )
    return [GroupCount({d: None if row[i] is None else str(row[i]) for i, d in enumerate(dimensions)},
                       row.question_id, int(row.n), int(row.yes))
            for row in session.execute(stmt)]


def roll_up(groups: Iterable[GroupCount], dimensions: Sequence[str]
            ) -> dict[tuple[str | None, str], dict[str | None, Share]]:
    """Add group counts up, in one pass, into shares per (dimension, question) and dimension value; the
    dimension None holds each question's overall share under the value "all"."""
    totals: dict[tuple[str | None, str], dict[str | None, list[int]]] = {}
    for group in groups:
        for dimension in (None, *dimensions):
            value = group.keys[dimension] if dimension else "all"
            total = totals.setdefault((dimension, group.question), {}).setdefault(value, [0, 0])
            total[0] += group.yes
            total[1] += group.n
    return {where: {value: Share(yes, n) for value, (yes, n) in by_value.items()}
            for where, by_value in totals.items()}


def count_responses(session: Session, office_id: str, survey_id: str, start: date, end: date) -> int:
    return session.scalar(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.office_id == office_id, SurveyResponse.survey_id == survey_id,
        SurveyResponse.day >= start, SurveyResponse.day <= end)) or 0


def report_dimensions(office: OfficeConfig, survey: Survey) -> list[str]:
    """The breakdowns that mean something for this survey (no gender split when gender is not asked…)."""
    skip = {"context": survey.context == "none", "gender": not survey.gender_question,
            "language": len(office.languages) < 2}
    return [d for d in DIMENSIONS if not skip.get(d, False)]


def build_report(session: Session, office: OfficeConfig, survey: Survey, start: date, end: date,
                 period: str = "month") -> Report:
    if period not in PERIODS:
        raise InvalidResponse("period", f"must be one of {', '.join(PERIODS)}")
    if start > end:
        raise InvalidResponse("start", "must not be after end")
    settings: SurveysSettings = office.settings_for("surveys")
    k = settings.suppression_k
    indicators = survey.all_indicators()
    dimensions = report_dimensions(office, survey)
    groups = aggregate_answers(session, office.id, [survey.id], [i.question for i in indicators], start, end,
                               dimensions, period) if indicators else []
    shares = roll_up(groups, dimensions)
    results = []
    for indicator in indicators:
        overall = shares.get((None, indicator.question), {}).get("all")
        result = IndicatorResult(id=indicator.id, question=indicator.question, target=indicator.target,
                                 overall=None if overall is None else Cell("all", overall, suppressed=overall.n < k))
        for dimension in dimensions:
            by_value = shares.get((dimension, indicator.question), {})
            cells = sorted((Cell(value, share) for value, share in by_value.items()),
                           key=lambda c, d=dimension: _sort_key(d, c.key))
            result.breakdowns[dimension] = suppress_small_cells(cells, k)
        results.append(result)
    return Report(office_id=office.id, survey_id=survey.id, start=start, end=end, period=period, k=k,
                  indicators=results, responses=count_responses(session, office.id, survey.id, start, end),
                  questions=answer_distribution(session, office.id, survey, start, end, k))


def answer_distribution(session: Session, office_id: str, survey: Survey, start: date, end: date,
                        k: int) -> list[QuestionResult]:
    """Counts per answer of every question that is not an indicator (free text excluded), grouped in SQL."""
    indicator_questions = {i.question for i in survey.all_indicators()}
    questions = [q for q in survey.all_questions() if q.id not in indicator_questions]
    if not questions:
        return []
    stmt = (
        select(SurveyAnswer.question_id, SurveyAnswer.value, func.count().label("n"))
        .where(SurveyAnswer.office_id == office_id, SurveyAnswer.survey_id == survey.id,
               SurveyAnswer.question_id.in_([q.id for q in questions]), SurveyAnswer.day >= start,
               SurveyAnswer.day <= end)
        .group_by(SurveyAnswer.question_id, SurveyAnswer.value)
    )
    counts: dict[str, dict[str, int]] = {}
    for row in session.execute(stmt):
        counts.setdefault(row.question_id, {})[row.value] = int(row.n)
    results = []
    for question in questions:
        found = counts.get(question.id, {})
        ordered = {value: found.get(value, 0) for value in question.allowed_values()}
        n = sum(found.values())
        results.append(QuestionResult(question.id, n, ordered, suppressed=n < k))
    return results


def _sort_key(dimension: str, key: str | None) -> tuple[int, str]:
    if key is None:
        return (len(GENDERS) + 1, "")
    if dimension == "gender" and key in GENDERS:
        return (GENDERS.index(key), key)
    return (0, key)


# --- Cross-office comparison ----------------------------------------------------------------------


@dataclass
class OfficeComparison:
    office_id: str
    overall: Cell | None
    by_gender: list[Cell]


def compare_offices(session: Session, offices: Iterable[OfficeConfig], indicator_id: str, start: date,
                    end: date) -> list[OfficeComparison]:
    """One city-wide indicator across every office whose surveys have it, overall and by gender.

    Each office is suppressed with its own k. Template indicators share question ids across offices."""
    comparisons = []
    for office in offices:
        settings: SurveysSettings | None = office.settings_for("surveys")
        if settings is None:
            continue
        surveys = [s for s in settings.surveys if any(i.id == indicator_id for i in s.all_indicators())]
        if not surveys:
            continue
        question = next(i.question for i in surveys[0].all_indicators() if i.id == indicator_id)
        k = settings.suppression_k
        groups = aggregate_answers(session, office.id, [s.id for s in surveys], [question], start, end, ["gender"])
        shares = roll_up(groups, ["gender"])
        total = shares.get((None, question), {}).get("all")
        overall = None if total is None else Cell("all", total, suppressed=total.n < k)
        cells = sorted((Cell(value, share) for value, share in shares.get(("gender", question), {}).items()),
                       key=lambda c: _sort_key("gender", c.key))
        comparisons.append(OfficeComparison(office.id, overall, suppress_small_cells(cells, k)))
    return comparisons


# --- Raw answers ----------------------------------------------------------------------------------


def raw_answer_rows(sessions: Callable[[], AbstractContextManager[Session]], office_id: str, survey: Survey,
                    start: date, end: date, chunk: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Every response as one row (day, language, context, gender, one value per question), pivoted in SQL.

    Read in chunks, each in its own short transaction (keyset on day and id), so that a long export never
    holds SQLite's single write lock. Ordered by day, then the random id: the order says nothing about the
    time of day."""
    question_ids = [q.id for q in survey.all_questions()] + ([COMMENT_QUESTION] if survey.free_text else [])
    pivots = [func.max(case((SurveyAnswer.question_id == q, SurveyAnswer.value))).label(f"q_{i}")
              for i, q in enumerate(question_ids)]
    stmt = (
        select(SurveyResponse.day, SurveyResponse.language, SurveyResponse.context, SurveyResponse.gender,
               *pivots, SurveyResponse.id)
        .select_from(SurveyResponse)
        .outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .where(SurveyResponse.office_id == office_id, SurveyResponse.survey_id == survey.id,
               SurveyResponse.day >= start, SurveyResponse.day <= end)
        .group_by(SurveyResponse.id, SurveyResponse.day, SurveyResponse.language, SurveyResponse.context,
                  SurveyResponse.gender)
        .order_by(SurveyResponse.day, SurveyResponse.id)
        .limit(chunk)
    )
    after: tuple[date, str] | None = None
    while True:
        page = stmt if after is None else stmt.where(tuple_(SurveyResponse.day, SurveyResponse.id) > tuple_(*after))
        with sessions() as session:
            rows = session.execute(page).all()
        for row in rows:
            yield tuple(row)[:-1]
        if len(rows) < chunk:
            return
        after = (rows[-1].day, rows[-1].id)


def raw_answer_header(survey: Survey) -> list[str]:
    questions = [q.id for q in survey.all_questions()] + ([COMMENT_QUESTION] if survey.free_text else [])
    return ["day", "language", "context", "gender", *questions]


# --- Context (service or errand category) ---------------------------------------------------------


@dataclass(frozen=True)
class ContextOption:
    id: str
    label: str


def context_options(survey: Survey, hooks: Any, office: OfficeConfig, session: Session,
                    language: str) -> list[ContextOption] | None:
    """The services or categories a response may name; None when the survey records none or the list is
    open (context = "service" at an office whose queue is not enabled: the id is taken as given)."""
    if survey.context == "none":
        return None
    if survey.context_choices:
        return [ContextOption(c.id, c.label.get_text(language)) for c in survey.context_choices]
    services = [s for group in hooks.mbk_ticket_services(office=office, session=session, language=language)
                for s in group]
    return [ContextOption(s.id, s.name) for s in services] or None


@dataclass(frozen=True)
class IndicatorSummary:
    overall: Cell | None
    by_gender: dict[str | None, Cell]


def indicator_summaries(session: Session, office: OfficeConfig, survey: Survey, start: date, end: date
                        ) -> dict[str, IndicatorSummary]:
    """Each indicator overall and by gender (one grouped query), suppressed with the office's k."""
    k = office.settings_for("surveys").suppression_k
    indicators = survey.all_indicators()
    dimensions = ["gender"] if survey.gender_question else []
    groups = aggregate_answers(session, office.id, [survey.id], [i.question for i in indicators], start, end,
                               dimensions) if indicators else []
    shares = roll_up(groups, dimensions)
    summaries = {}
    for indicator in indicators:
        total = shares.get((None, indicator.question), {}).get("all")
        cells = suppress_small_cells([Cell(value, share) for value, share in
                                      shares.get(("gender", indicator.question), {}).items()], k)
        summaries[indicator.id] = IndicatorSummary(
            None if total is None else Cell("all", total, suppressed=total.n < k), {c.key: c for c in cells})
    return summaries
