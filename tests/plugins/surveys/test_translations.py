"""The surveys tablet speaks all seven languages (every catalog's completeness and placeholders:
tests/test_catalogs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import plugins.surveys
from core.i18n import Translator

LOCALE = Path(plugins.surveys.__file__).parent / "locale"
LANGUAGES = ["sv", "en", "ar", "so", "fi", "fa", "ti"]
TABLET_MESSAGES = ["Yes", "No", "Very bad", "Neither good nor bad", "Very good", "How do you describe yourself?",
                   "Woman", "Man", "Prefer not to say", "Choose your language", "Question %(n)s of %(total)s",
                   "Skip this question", "Thank you!", "Done", "Answer in %(language)s"]


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_the_tablet_speaks_every_language(language: str) -> None:
    translated = {m.id: m.string for m in catalog(language) if m.id}
    assert [m for m in TABLET_MESSAGES if not translated.get(m)] == []
    # and they are what a visitor sees
    assert Translator([LOCALE]).gettext(language)("Thank you!") == translated["Thank you!"]
