"""Per-office settings of the surveys plugin: surveys built from a city-wide template plus office questions.

```toml
[plugins.surveys]
suppression_k = 5
[[plugins.surveys.surveys]]
id = "exit"
template = "empowerment"          # the two indicator questions, worded in every language
targets = { learned = 60, self_reliant = 40 }
context = "service"               # none | service | category
ask_context = true
questions = [{ id = "welcome", type = "smiley", text = { sv = "...", en = "..." } }]
```
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from core.config import Localized, StrictModel
from plugins.surveys.city_templates import DEFAULT_TITLE, TEMPLATES

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
# Ids the tablet and the report use for their own questions and dimensions.
RESERVED_QUESTION_IDS = frozenset({"gender", "comment", "context", "language"})
GENDERS = ("woman", "man", "other", "unstated")
SMILEY_VALUES = ("1", "2", "3", "4", "5")
YES_NO_VALUES = ("yes", "no")

Percent = Annotated[float, Field(ge=0, le=100)]


class Option(StrictModel):
    id: str = Field(pattern=ID_PATTERN)
    label: Localized


class Question(StrictModel):
    """An office question. ``yes_no`` and ``smiley`` (1–5) need no options; ``choice`` needs two or more."""

    id: str = Field(pattern=ID_PATTERN)
    type: Literal["yes_no", "smiley", "choice"]
    text: Localized
    options: tuple[Option, ...] = ()

    @model_validator(mode="after")
    def _options_fit_type(self) -> Question:
        if self.type == "choice":
            if len(self.options) < 2:
                raise ValueError(f"question {self.id!r}: a single-choice question needs at least two options")
            ids = [o.id for o in self.options]
            if len(set(ids)) != len(ids):
                raise ValueError(f"question {self.id!r}: an option id is listed twice")
        elif self.options:
            raise ValueError(f"question {self.id!r}: only a 'choice' question takes options")
        return self

    def allowed_values(self) -> tuple[str, ...]:
        if self.type == "yes_no":
            return YES_NO_VALUES
        if self.type == "smiley":
            return SMILEY_VALUES
        return tuple(o.id for o in self.options)


class Indicator(StrictModel):
    """An office indicator: the share of visitors answering yes to one of the survey's yes/no questions."""

    id: str = Field(pattern=ID_PATTERN)
    question: str
    label: Localized


class ContextChoice(StrictModel):
    id: str = Field(pattern=ID_PATTERN)
    label: Localized


class ResolvedIndicator(StrictModel):
    id: str
    question: str
    label: Localized
    target: float | None


class Survey(StrictModel):
    id: str = Field(pattern=ID_PATTERN)
    title: Localized = DEFAULT_TITLE
    template: str = "empowerment"
    questions: tuple[Question, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    # Target share in percent per indicator id; the city template sets defaults (60 and 40).
    targets: dict[str, Percent] = {}
    gender_question: bool = True
    # Off by default: a free-text box invites names and case details.
    free_text: bool = False
    context: Literal["none", "service", "category"] = "none"
    # The services or errand categories offered; empty with context = "service" means the queue's services.
    context_choices: tuple[ContextChoice, ...] = ()
    ask_context: bool = False

    @field_validator("id")
    @classmethod
    def _not_a_page_name(cls, value: str) -> str:
        if value == "compare":  # /{office}/surveys/compare/… is the cross-office comparison
            raise ValueError("'compare' is reserved; choose another survey id")
        return value

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise ValueError(f"unknown template {value!r} (templates: {', '.join(sorted(TEMPLATES))})")
        return value

    @field_validator("questions")
    @classmethod
    def _question_ids_unique(cls, value: tuple[Question, ...], info: ValidationInfo) -> tuple[Question, ...]:
        template = TEMPLATES.get(info.data.get("template", ""))
        taken = {q.id for q in template.questions} if template else set()
        for question in value:
            if question.id in RESERVED_QUESTION_IDS:
                raise ValueError(f"question id {question.id!r} is reserved")
            if question.id in taken:
                raise ValueError(f"question id {question.id!r} is used twice (or by the template)")
            taken.add(question.id)
        return value

    @field_validator("indicators")
    @classmethod
    def _indicators_name_yes_no_questions(cls, value: tuple[Indicator, ...],
                                          info: ValidationInfo) -> tuple[Indicator, ...]:
        template = TEMPLATES.get(info.data.get("template", ""))
        if template is None or "questions" not in info.data:
            return value  # the template or the questions are already reported as wrong
        types = {q.id: "yes_no" for q in template.questions} | {q.id: q.type for q in info.data["questions"]}
        taken = {i.id for i in template.indicators}
        for index, indicator in enumerate(value):
            where = f"[{index}] ({indicator.id!r})"
            if indicator.id in taken:
                raise ValueError(f"{where}: indicator id {indicator.id!r} is used twice (or by the template)")
            taken.add(indicator.id)
            if indicator.question not in types:
                raise ValueError(f"{where}: question {indicator.question!r} is not a question of this survey "
                                 f"(questions of this survey: {', '.join(types) or 'none'})")
            if types[indicator.question] != "yes_no":
                raise ValueError(f"{where}: question {indicator.question!r} is not a yes/no question")
        return value

    @field_validator("targets")
    @classmethod
    def _targets_name_indicators(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        template = TEMPLATES.get(info.data.get("template", ""))
        if template is None or "indicators" not in info.data:
            return value
        known = [i.id for i in template.indicators] + [i.id for i in info.data["indicators"]]
        for key in value:
            if key not in known:
                raise ValueError(f"unknown indicator {key!r} (indicators: {', '.join(known) or 'none'})")
        return value

    @model_validator(mode="after")
    def _context_choices_fit(self) -> Survey:
        if self.context == "none" and (self.context_choices or self.ask_context):
            raise ValueError("context_choices and ask_context need context = 'service' or 'category'")
        if self.context == "category" and self.ask_context and not self.context_choices:
            raise ValueError("ask_context with context = 'category' needs context_choices")
        ids = [c.id for c in self.context_choices]
        if len(set(ids)) != len(ids):
            raise ValueError("context_choices: a choice id is listed twice")
        return self

    def all_questions(self) -> tuple[Question, ...]:
        """The template's questions (yes/no), then the office's, in the order the tablet asks them."""
        template = TEMPLATES[self.template]
        asked = tuple(Question(id=q.id, type="yes_no", text=q.text) for q in template.questions)
        return asked + self.questions

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.all_questions() if q.id == question_id), None)

    def all_indicators(self) -> tuple[ResolvedIndicator, ...]:
        template = TEMPLATES[self.template]
        resolved = [ResolvedIndicator(id=i.id, question=i.question, label=i.label,
                                      target=self.targets.get(i.id, i.default_target)) for i in template.indicators]
        resolved += [ResolvedIndicator(id=i.id, question=i.question, label=i.label, target=self.targets.get(i.id))
                     for i in self.indicators]
        return tuple(resolved)


class SurveysSettings(StrictModel):
    # Cells of the report with fewer answers than this are not shown.
    suppression_k: int = Field(5, ge=2, le=100)
    # The tablet returns to its start screen this long after the thank-you, or after this long untouched.
    thank_you_seconds: int = Field(6, ge=2, le=60)
    inactivity_seconds: int = Field(60, ge=10, le=600)
    surveys: tuple[Survey, ...] = (Survey(id="exit"),)

    @field_validator("surveys")
    @classmethod
    def _survey_ids_unique(cls, value: tuple[Survey, ...]) -> tuple[Survey, ...]:
        ids = [s.id for s in value]
        for survey_id in ids:
            if ids.count(survey_id) > 1:
                raise ValueError(f"survey id {survey_id!r} is used twice")
        return value

    def survey(self, survey_id: str) -> Survey | None:
        return next((s for s in self.surveys if s.id == survey_id), None)
