"""Survey settings: city templates, office questions, targets, and clear errors with key paths."""

from __future__ import annotations

from pathlib import Path

import pytest

import plugins.surveys
from core.config import ConfigError
from core.i18n import Translator
from core.loading import load_deployment
from core.plugins import PluginManager
from plugins.surveys.city_templates import TEMPLATES
from plugins.surveys.pages import tablet_questions
from plugins.surveys.service import InvalidResponse, Submission, validate_submission
from plugins.surveys.settings import SurveysSettings

LANGUAGES = ["sv", "en", "ar", "so", "fi", "fa", "ti"]


def load(tmp_path: Path, section: str):  # type: ignore[no-untyped-def]
    (tmp_path / "offices").mkdir()
    (tmp_path / "offices" / "test.toml").write_text(
        '[office]\nid = "test"\nname = { sv = "Test" }\nlanguages = ["sv", "en"]\n'
        '[plugins]\nenabled = ["surveys"]\n' + section, encoding="utf-8")
    manager = PluginManager.from_objects({"surveys": plugins.surveys})
    return load_deployment(tmp_path, manager, available_languages=LANGUAGES)


def problems(tmp_path: Path, section: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, section)
    return [str(p) for p in caught.value.problems]


def test_defaults_give_the_city_indicators_with_their_targets(tmp_path: Path) -> None:
    office = load(tmp_path, "").office("test")
    settings: SurveysSettings = office.settings_for("surveys")
    assert settings.suppression_k == 5
    survey = settings.surveys[0]
    assert [(i.id, i.target) for i in survey.all_indicators()] == [("learned", 60.0), ("self_reliant", 40.0)]
    assert survey.gender_question is True
    assert survey.free_text is False


def test_city_template_is_worded_in_every_supported_language() -> None:
    for question in TEMPLATES["empowerment"].questions:
        assert set(question.text) == set(LANGUAGES), question.id
        assert all(text.strip() for text in question.text.values())


def test_every_visitor_text_exists_in_every_office_language(tmp_path: Path) -> None:
    found = problems(tmp_path, """
[[plugins.surveys.surveys]]
id = "exit"
title = { sv = "Enkät" }
questions = [{ id = "c", type = "choice", text = { sv = "C", en = "C" }, options = [
  { id = "a", label = { sv = "A", en = "A" } }, { id = "b", label = { sv = "B" } }] }]
""")
    assert [p.split(": ", 1)[1] for p in found] == [
        "plugins.surveys.surveys[0].title: no text in en (the office offers these languages)",
        "plugins.surveys.surveys[0].questions[0].options[1].label: no text in en (the office offers these languages)",
    ]


def test_office_questions_indicators_and_targets(tmp_path: Path) -> None:
    office = load(tmp_path, """
[plugins.surveys]
suppression_k = 10
[[plugins.surveys.surveys]]
id = "exit"
targets = { learned = 70, waited_ok = 80 }
gender_question = false
questions = [
  { id = "waited_ok", type = "yes_no", text = { sv = "Var väntan rimlig?", en = "Was the wait reasonable?" } },
  { id = "welcome", type = "smiley", text = { sv = "Bemötande?", en = "Welcome?" } },
  { id = "came_for", type = "choice", text = { sv = "Varför?", en = "Why?" }, options = [
    { id = "a", label = { sv = "A", en = "A" } }, { id = "b", label = { sv = "B", en = "B" } }] },
]
indicators = [{ id = "waited_ok", question = "waited_ok", label = { sv = "Rimlig väntan" } }]
""").office("test")
    survey = office.settings_for("surveys").surveys[0]
    assert [q.id for q in survey.all_questions()] == ["learned", "self_reliant", "waited_ok", "welcome", "came_for"]
    assert {i.id: i.target for i in survey.all_indicators()} == {"learned": 70, "self_reliant": 40, "waited_ok": 80}
    assert survey.question("welcome").allowed_values() == ("1", "2", "3", "4", "5")
    assert survey.gender_question is False


@pytest.mark.parametrize(("section", "expected"), [
    ('[plugins.surveys]\ncolour = "red"\n', "plugins.surveys.colour: unknown key"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\nsmileys = true\n', "plugins.surveys.surveys[0].smileys: unknown key"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\ntargets = { learned = 160 }\n',
     "plugins.surveys.surveys[0].targets.learned: Input should be less than or equal to 100"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\ntargets = { lerned = 60 }\n',
     "plugins.surveys.surveys[0].targets: unknown indicator 'lerned' (indicators: learned, self_reliant)"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\nindicators = [{ id = "x", question = "nope", label = { sv = "X" } }]\n',
     "plugins.surveys.surveys[0].indicators: [0] ('x'): question 'nope' is not a question of this survey "
     "(questions of this survey: learned, self_reliant)"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\nquestions = [{ id = "w", type = "smiley", text = { sv = "W" } }]\n'
     'indicators = [{ id = "x", question = "w", label = { sv = "X" } }]\n',
     "plugins.surveys.surveys[0].indicators: [0] ('x'): question 'w' is not a yes/no question"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\ntemplate = "happiness"\n',
     "plugins.surveys.surveys[0].template: unknown template 'happiness' (templates: blank, empowerment)"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\nquestions = [{ id = "c", type = "choice", text = { sv = "C" } }]\n',
     "a single-choice question needs at least two options"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\n'
     'questions = [{ id = "learned", type = "yes_no", text = { sv = "L" } }]\n',
     "question id 'learned' is used twice (or by the template)"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\n[[plugins.surveys.surveys]]\nid = "exit"\n',
     "plugins.surveys.surveys: survey id 'exit' is used twice"),
    ('[[plugins.surveys.surveys]]\nid = "compare"\n',
     "plugins.surveys.surveys[0].id: 'compare' is reserved; choose another survey id"),
    ('[plugins.surveys]\nsuppression_k = 1\n',
     "plugins.surveys.suppression_k: Input should be greater than or equal to 2"),
    ('[[plugins.surveys.surveys]]\nid = "exit"\nask_context = true\n',
     "context_choices and ask_context need context = 'service' or 'category'"),
])
def test_bad_settings_are_reported_with_their_key_path(tmp_path: Path, section: str, expected: str) -> None:
    found = problems(tmp_path, section)
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "offices" / "test.toml")) or p.startswith("offices") for p in found)


def test_an_office_can_turn_the_gender_question_off(tmp_path: Path) -> None:
    office = load(tmp_path, '[[plugins.surveys.surveys]]\nid = "exit"\ngender_question = false\n').office("test")
    survey = office.settings_for("surveys").surveys[0]
    _ = Translator([]).gettext("sv")
    screens = [s.id for s in tablet_questions(survey, "sv", None, _)]
    assert screens == ["learned", "self_reliant"]  # no gender, and no free text unless turned on
    with pytest.raises(InvalidResponse, match="gender: this survey does not ask for gender"):
        validate_submission(office, survey, Submission("t" * 32, "sv", {"learned": "yes"}, gender="woman"), None)
