"""The surveys catalogs: Swedish, English and Arabic complete, the visitor's tablet in all seven languages,
and no translation that loses or invents a placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import plugins.surveys
from core.web.i18n import Translator

LOCALE = Path(plugins.surveys.__file__).parent / "locale"
LANGUAGES = ["sv", "en", "ar", "so", "fi", "fa", "ti"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
# Messages core already translates (the display toggles in the tablet's own header).
CORE_MESSAGES = {"Display", "Large text", "High contrast"}
TABLET_MESSAGES = ["Yes", "No", "Very bad", "Neither good nor bad", "Very good", "How do you describe yourself?",
                   "Woman", "Man", "Prefer not to say", "Choose your language", "Question %(n)s of %(total)s",
                   "Skip this question", "Thank you!", "Done", "Answer in %(language)s"]


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_swedish_and_arabic_are_complete(language: str) -> None:
    missing = [m.id for m in catalog(language) if m.id and not m.string and m.id not in CORE_MESSAGES]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_kept(language: str) -> None:
    for message in catalog(language):
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_the_tablet_speaks_every_language(language: str) -> None:
    translated = {m.id: m.string for m in catalog(language) if m.id}
    assert [m for m in TABLET_MESSAGES if not translated.get(m)] == []
    # and they are what a visitor sees
    assert Translator([LOCALE]).gettext(language)("Thank you!") == translated["Thank you!"]
