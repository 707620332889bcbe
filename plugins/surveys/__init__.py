"""The surveys plugin: the office's empowerment indicators, asked on a tablet and reported against target.

Anonymous by design (see README.md): a response keeps its answers, the survey, the language, the day and
optionally the service or errand category, never a ticket, device, address or time of day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from core.config import ConfigProblem, OfficeConfig
from core.db import utcnow
from core.events import DomainEvent
from core.hookspecs import AdminPanel, PageLink
from core.i18n import Translator
from core.plugins import Plugin, hookimpl
from plugins.surveys import presentation, service
from plugins.surveys.api import router as api_router
from plugins.surveys.events import EVENT_TYPES
from plugins.surveys.pages import router as page_router
from plugins.surveys.settings import SurveysSettings

HERE = Path(__file__).resolve().parent
translations = Translator([HERE / "locale"])


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="surveys", settings_model=SurveysSettings,
                  description="Exit surveys on a tablet; empowerment indicators against target, by gender",
                  api_router=api_router, page_router=page_router, templates=HERE / "templates",
                  static=HERE / "static", migrations=HERE / "migrations", locale=HERE / "locale")


@hookimpl
def mbk_event_types() -> list[type[DomainEvent]]:
    return EVENT_TYPES


@hookimpl
def mbk_validate_office(office: OfficeConfig) -> list[ConfigProblem]:
    """Every text a visitor reads must exist in every language the office offers: a visitor who picked
    Somali must not meet a Swedish question."""
    settings: SurveysSettings = office.settings_for("surveys")
    problems = []
    for index, survey in enumerate(settings.surveys):
        where = f"plugins.surveys.surveys[{index}]"
        texts = [("title", survey.title)]
        for q_index, question in enumerate(survey.questions):
            texts.append((f"questions[{q_index}].text", question.text))
            texts += [(f"questions[{q_index}].options[{o}].label", option.label)
                      for o, option in enumerate(question.options)]
        if survey.ask_context:
            texts += [(f"context_choices[{c}].label", choice.label) for c, choice in enumerate(survey.context_choices)]
        for path, text in texts:
            missing = [language for language in office.languages if not text.get(language)]
            if missing:
                problems.append(ConfigProblem(str(office.source), f"{where}.{path}",
                                              f"no text in {', '.join(missing)} (the office offers these languages)"))
    return problems


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    settings: SurveysSettings = office.settings_for("surveys")
    links = []
    for survey in settings.surveys:
        suffix = "" if len(settings.surveys) == 1 else f" ({survey.id})"
        links.append(PageLink(label="Survey tablet" + suffix, path=f"/{office.id}/surveys/{survey.id}/tablet",
                              audience="tablet", order=60))
        links.append(PageLink(label="Survey report" + suffix, path=f"/{office.id}/surveys/{survey.id}/report",
                              audience="staff", order=800))
    return links


@hookimpl
def mbk_admin_panels(office: OfficeConfig, session: Session, language: str) -> list[AdminPanel]:
    settings: SurveysSettings = office.settings_for("surveys")
    _ = translations.gettext(language)
    end = service.office_today(office, utcnow())
    start = end - timedelta(days=29)
    panels = []
    for survey in settings.surveys:
        summaries = service.indicator_summaries(session, office, survey, start, end)
        lines = []
        for indicator in survey.all_indicators():
            summary = summaries.get(indicator.id)
            overall = summary.overall if summary else None
            by_gender = tuple(
                (group, presentation.cell_text(summary.by_gender.get(key) if summary else None,
                                               settings.suppression_k, _))
                for key, group in (("woman", _("Women")), ("man", _("Men")))) if survey.gender_question else ()
            lines.append(presentation.PanelLine(indicator.label.get_text(language),
                                                presentation.cell_text(overall, settings.suppression_k, _),
                                                presentation.verdict(overall, indicator.target, _), indicator.target,
                                                by_gender))
        title = survey.title.get_text(language)
        panels.append(AdminPanel(id=f"surveys-{survey.id}", title=_("Survey: %(title)s", title=title),
                                 template="surveys/panel.html", order=50,
                                 context={"survey_title": title, "lines": lines,
                                          "report_path": f"/{office.id}/surveys/{survey.id}/report"}))
    return panels


@hookimpl
def mbk_purge(office: OfficeConfig, session: Session, now: datetime) -> dict[str, int]:
    """Responses are anonymous and kept: nothing personal to purge. Spent idempotency tokens are dropped."""
    service.forget_old_tokens(session, office.id, service.office_today(office, now))
    return {}
