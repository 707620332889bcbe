"""Pages of the surveys plugin, mounted at /{office}/surveys: the tablet, the report, the comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from core.auth import Principal
from core.config import OfficeConfig
from core.context import AppContext
from core.i18n import language_info
from core.problems import Forbidden, NotFound
from core.web.deps import ContextDep, Day, OfficeDep, PrincipalDep, SessionDep
from core.web.security import signed_in, staff_page
from plugins.surveys import presentation, service
from plugins.surveys.city_templates import TEMPLATES
from plugins.surveys.settings import Survey, SurveysSettings
from plugins.surveys.web_common import find_survey, report_range

router = APIRouter()

# The mouth of each face of the 1–5 scale, drawn as SVG (emoji fonts differ between tablets, or are missing).
SMILEY_MOUTHS = ("M7 17.5 Q12 11.5 17 17.5", "M7.5 16.5 Q12 13.5 16.5 16.5", "M7.5 15.5 L16.5 15.5",
                 "M7.5 14.5 Q12 17.5 16.5 14.5", "M7 14 Q12 20 17 14")


@dataclass(frozen=True)
class AnswerButton:
    value: str
    label: str
    icon: str = ""
    smiley_mouth: str = ""


@dataclass(frozen=True)
class TabletQuestion:
    """One screen of the tablet: ``field`` says where the answer goes (answers, gender or context)."""

    id: str
    field: str
    kind: str
    text: str
    buttons: tuple[AnswerButton, ...] = ()


def tablet_questions(survey: Survey, language: str, context_buttons: list[AnswerButton] | None,
                     _: Any) -> list[TabletQuestion]:
    yes_no = (AnswerButton("yes", _("Yes"), "✓"), AnswerButton("no", _("No"), "✗"))
    smiley_labels = (_("Very bad"), _("Bad"), _("Neither good nor bad"), _("Good"), _("Very good"))
    screens = []
    for question in survey.all_questions():
        text = question.text.get_text(language)
        if question.type == "yes_no":
            buttons = yes_no
        elif question.type == "smiley":
            buttons = tuple(AnswerButton(str(i + 1), label, smiley_mouth=SMILEY_MOUTHS[i])
                            for i, label in enumerate(smiley_labels))
        else:
            buttons = tuple(AnswerButton(o.id, o.label.get_text(language)) for o in question.options)
        screens.append(TabletQuestion(question.id, "answers", question.type, text, buttons))
    if context_buttons:
        prompt = _("What was your visit about?") if survey.context == "category" else _("Which service did you visit?")
        screens.append(TabletQuestion("context", "context", "choice", prompt, tuple(context_buttons)))
    if survey.gender_question:
        screens.append(TabletQuestion("gender", "gender", "choice", _("How do you describe yourself?"), (
            AnswerButton("woman", _("Woman")), AnswerButton("man", _("Man")), AnswerButton("other", _("Other")),
            AnswerButton("unstated", _("Prefer not to say")))))
    if survey.free_text:
        screens.append(TabletQuestion(service.COMMENT_QUESTION, "answers", "text",
                                      _("Anything else you want to tell us? Please do not write names.")))
    return screens


def _may_use_tablet(office: OfficeConfig, principal: Principal | None) -> bool:
    return principal is not None and (principal.is_device(office.id, "tablet")
                                      or principal.has_role(office.id, "admin", "guide"))


@router.get("/{survey_id}/tablet")
def tablet(request: Request, survey_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
           principal: PrincipalDep, context: str | None = None, begin: bool = False) -> Response:
    survey = find_survey(office, survey_id)
    language = ctx.language(request, office)
    _ = ctx.translator.gettext(language)
    if not _may_use_tablet(office, principal):
        return ctx.render(request, "surveys/enrol.html", office=office, status_code=401 if principal is None else 403,
                          survey=survey, next_path=f"/{office.id}/surveys/{survey.id}/tablet")
    options = service.context_options(survey, ctx.hooks(office), office, session, language)
    if context is not None:
        service.validate_context(survey, context, None if options is None else [o.id for o in options])
    context_buttons = None
    if context is None and survey.ask_context and options:
        context_buttons = [AnswerButton(o.id, o.label) for o in options]
    settings: SurveysSettings = office.settings_for("surveys")
    base_path = f"/{office.id}/surveys/{survey.id}/tablet"
    fixed = {"context": context} if context else {}
    start_query = urlencode({"lang": office.default_language, **fixed})
    languages = [(language_info(code), _answer_in(ctx, code),
                  f"{base_path}?{urlencode({'lang': code, 'begin': 1, **fixed})}")
                 for code in office.languages]
    return ctx.render(
        request, "surveys/tablet.html", office=office, survey=survey, title=survey.title.get_text(language),
        questions=tablet_questions(survey, language, context_buttons, _), begin=begin, fixed_context=context,
        language_choices=languages, start_url=f"{base_path}?{start_query}",
        submit_url=f"/api/v1/offices/{office.id}/surveys/{survey.id}/responses",
        thank_you_seconds=settings.thank_you_seconds, inactivity_seconds=settings.inactivity_seconds,
        headers={"Cache-Control": "no-store"},
    )


# --- Report -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    label: str
    text: str
    verdict: str
    # A language's own name is written in that language: screen readers must read it so.
    lang: str | None = None
    dir: str | None = None


@dataclass(frozen=True)
class BreakdownView:
    title: str
    rows: list[GroupRow]


@dataclass(frozen=True)
class IndicatorView:
    id: str
    label: str
    question: str
    target: float | None
    overall_text: str
    verdict: str
    chart: Any
    trend: Any
    breakdowns: list[BreakdownView]


def indicator_views(report: service.Report, survey: Survey, office: OfficeConfig, context_labels: dict[str, str],
                    language: str, _: Any) -> list[IndicatorView]:
    names = {code: language_info(code).native_name for code in office.languages}
    resolved = {i.id: i for i in survey.all_indicators()}
    views = []
    for result in report.indicators:
        indicator = resolved[result.id]
        label = indicator.label.get_text(language)
        breakdowns = []
        for dimension, cells in result.breakdowns.items():
            rows = [GroupRow(presentation.key_label(dimension, c.key, report.period, context_labels, names, _),
                             presentation.cell_text(c, report.k, _), presentation.verdict(c, result.target, _),
                             *((c.key, language_info(c.key).dir) if dimension == "language" and c.key else ()))
                    for c in cells]
            breakdowns.append(BreakdownView(presentation.dimension_title(dimension, survey.context, report.period, _),
                                            rows))
        chart_rows = [presentation.ChartRow(_("All"), result.overall)] + [
            presentation.ChartRow(presentation.key_label("gender", c.key, report.period, {}, names, _), c)
            for c in result.breakdowns.get("gender", [])]
        question = survey.question(result.question)
        views.append(IndicatorView(
            id=result.id, label=label, question=question.text.get_text(language) if question else "",
            target=result.target, overall_text=presentation.cell_text(result.overall, report.k, _),
            verdict=presentation.verdict(result.overall, result.target, _),
            chart=presentation.indicator_chart(label, chart_rows, result.target, _),
            trend=presentation.indicator_chart(
                f"{label}: {presentation.dimension_title('period', survey.context, report.period, _)}",
                [presentation.ChartRow(service.period_label(c.key, report.period) if c.key else _("Not given"), c)
                 for c in result.breakdowns.get("period", [])], result.target, _)
            if result.breakdowns.get("period") else None,
            breakdowns=breakdowns))
    return views


@dataclass(frozen=True)
class AnswerCount:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class QuestionView:
    text: str
    summary: str
    answers: list[AnswerCount]


def question_views(report: service.Report, survey: Survey, language: str, _: Any) -> list[QuestionView]:
    views = []
    for result in report.questions:
        question = survey.question(result.id)
        if question is None:
            continue
        labels = {button.value: f"{button.value} – {button.label}" if button.smiley_mouth else button.label
                  for screen in tablet_questions(survey, language, None, _) if screen.id == question.id
                  for button in screen.buttons}
        if result.suppressed:
            views.append(QuestionView(question.text.get_text(language), _(
                "not shown (fewer than %(k)s answers, or would reveal such a group)", k=report.k), []))
            continue
        views.append(QuestionView(question.text.get_text(language), _("%(n)s answers", n=result.n),
                                  [AnswerCount(labels.get(value, value), count, round(count * 100 / result.n))
                                   for value, count in result.counts.items()]))
    return views


@router.get("/{survey_id}/report")
def report_page(request: Request, survey_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                start: Day | None = None,
                end: Day | None = None, period: Literal["week", "month"] = "month",
                principal: Principal = Depends(staff_page("admin", "viewer"))) -> Response:
    survey = find_survey(office, survey_id)
    language = ctx.language(request, office)
    _ = ctx.translator.gettext(language)
    start, end = report_range(office, start, end)
    report = service.build_report(session, office, survey, start, end, period)
    options = service.context_options(survey, ctx.hooks(office), office, session, language) or []
    settings: SurveysSettings = office.settings_for("surveys")
    query = f"start={start}&end={end}&period={period}"
    api = f"/api/v1/offices/{office.id}/surveys/{survey.id}"
    return ctx.render(
        request, "surveys/report.html", office=office, survey=survey, title=survey.title.get_text(language),
        surveys=[(s.id, s.title.get_text(language)) for s in settings.surveys], report=report,
        indicators=indicator_views(report, survey, office, {o.id: o.label for o in options}, language, _),
        questions=question_views(report, survey, language, _),
        is_admin=principal.has_role(office.id, "admin"), platform_admin=principal.platform_admin,
        report_csv=f"{api}/report.csv?{query}", answers_csv=f"{api}/answers.csv?start={start}&end={end}",
        city_indicators=[i for t in TEMPLATES.values() for i in t.indicators],
    )


@dataclass(frozen=True)
class ComparisonRow:
    office: str
    overall: str
    women: str
    men: str


@router.get("/compare/{indicator_id}")
def compare_page(request: Request, indicator_id: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                 start: Day | None = None,
                 end: Day | None = None, principal: Principal = Depends(signed_in)) -> Response:
    if not principal.platform_admin:
        raise Forbidden("forbidden", "Only a platform admin may compare offices.")
    language = ctx.language(request, office)
    _ = ctx.translator.gettext(language)
    indicator = next((i for t in TEMPLATES.values() for i in t.indicators if i.id == indicator_id), None)
    if indicator is None:
        known = ", ".join(i.id for t in TEMPLATES.values() for i in t.indicators)
        raise NotFound("unknown_indicator", f"No city-wide indicator {indicator_id!r} (indicators: {known}).")
    start, end = report_range(office, start, end)
    comparisons = service.compare_offices(session, ctx.deployment.offices.values(), indicator_id, start, end)
    rows = []
    for comparison in comparisons:
        other = ctx.deployment.office(comparison.office_id)
        k = other.settings_for("surveys").suppression_k
        by_key = {c.key: c for c in comparison.by_gender}
        rows.append(ComparisonRow(other.name.get_text(language),
                                  presentation.cell_text(comparison.overall, k, _),
                                  presentation.cell_text(by_key.get("woman"), k, _),
                                  presentation.cell_text(by_key.get("man"), k, _)))
    chart = presentation.indicator_chart(
        indicator.label.get_text(language),
        [presentation.ChartRow(ctx.deployment.office(c.office_id).name.get_text(language), c.overall)
         for c in comparisons], indicator.default_target, _)
    return ctx.render(request, "surveys/compare.html", office=office, rows=rows, chart=chart, start=start, end=end,
                      indicator_label=indicator.label.get_text(language))


def _answer_in(ctx: AppContext, code: str) -> str:
    """The language button's label in that language itself, so every visitor can read their own."""
    _ = ctx.translator.gettext(code)
    return _("Answer in %(language)s", language=language_info(code).native_name)

