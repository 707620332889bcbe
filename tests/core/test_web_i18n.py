"""Core's languages and translator (its catalogs are checked with every plugin's in tests/test_catalogs.py)."""

from __future__ import annotations

from core.i18n import Translator, core_languages, language_info

COMPLETE = ("sv", "en", "ar")
PRESENT = ("so", "fi", "fa", "ti")


def test_every_office_language_is_available_with_its_direction() -> None:
    assert set(COMPLETE + PRESENT) <= core_languages()
    assert {code for code in core_languages() if language_info(code).rtl} == {"ar", "fa"}


def test_translator_fills_values_and_falls_back_to_english() -> None:
    translator = Translator([])
    assert translator.gettext("sv")("Too many failed attempts. Try again in %(seconds)s seconds.", seconds=30) == (
        "För många misslyckade försök. Försök igen om 30 sekunder.")
    assert translator.gettext("ti")("Not a message anywhere") == "Not a message anywhere"
