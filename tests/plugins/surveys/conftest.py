"""Fixtures of the surveys tests: a small deployment whose survey records an errand category."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.web.app import AppContext

OFFICE = """
[office]
id = "{office}"
name = {{ sv = "Kontoret {office}", en = "Office {office}" }}
languages = ["sv", "en", "ar"]
[plugins]
enabled = ["surveys"]
[plugins.surveys]
suppression_k = 5
[[plugins.surveys.surveys]]
id = "exit"
context = "category"
ask_context = true
context_choices = [
  {{ id = "housing", label = {{ sv = "Bostad", en = "Housing", ar = "السكن" }} }},
  {{ id = "preschool", label = {{ sv = "Förskola", en = "Preschool", ar = "الروضة" }} }},
]
free_text = {free_text}
questions = [
  {{ id = "welcome", type = "smiley", text = {{ sv = "Bemötande?", en = "Treated well?", ar = "كيف كانت معاملتك؟" }} }},
]
"""


@pytest.fixture
def survey_deployment(tmp_path: Path) -> Path:
    root = tmp_path / "deployment"
    (root / "offices").mkdir(parents=True)
    (root / "platform.toml").write_text("[platform]\n", encoding="utf-8")
    for office, free_text in (("north", "true"), ("south", "false")):
        (root / "offices" / f"{office}.toml").write_text(OFFICE.format(office=office, free_text=free_text),
                                                         encoding="utf-8")
    return root


@pytest.fixture
def survey_ctx(make_context: Callable[..., AppContext], survey_deployment: Path) -> AppContext:
    return make_context(deployment=survey_deployment)
