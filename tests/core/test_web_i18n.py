"""Core's message catalogs: up to date with the code, complete for sv/en/ar, present for so/fi/fa/ti."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from core.web.i18n import CORE_LOCALE, Translator, core_languages, language_info

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ("sv", "en", "ar")
PRESENT = ("so", "fi", "fa", "ti")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (CORE_LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def extracted_from_core() -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {message if isinstance(message, str) else message[0]
            for _, _, message, _, _ in extract_from_dir(ROOT / "core", method_map, options_map)}


def test_catalogs_cover_every_message_in_core() -> None:
    in_code = extracted_from_core()
    for language in (*COMPLETE, *PRESENT):
        ids = {m.id for m in catalog(language) if m.id}
        missing = sorted(in_code - ids)
        assert not missing, f"{language}: run pybabel extract/update for core (missing {missing[:5]})"


@pytest.mark.parametrize("language", COMPLETE)
def test_complete_languages_have_no_untranslated_entries(language: str) -> None:
    untranslated = [m.id for m in catalog(language) if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"{language}: untranslated {untranslated}"


@pytest.mark.parametrize("language", COMPLETE + PRESENT)
def test_translations_keep_their_placeholders(language: str) -> None:
    for message in catalog(language):
        if message.id and message.string:
            assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id)), message.id


def test_every_office_language_is_available_with_its_direction() -> None:
    assert set(COMPLETE + PRESENT) <= core_languages()
    assert {code for code in core_languages() if language_info(code).rtl} == {"ar", "fa"}


def test_translator_fills_values_and_falls_back_to_english() -> None:
    translator = Translator([])
    assert translator.gettext("sv")("Too many failed attempts. Try again in %(seconds)s seconds.", seconds=30) == (
        "För många misslyckade försök. Försök igen om 30 sekunder.")
    assert translator.gettext("ti")("Not a message anywhere") == "Not a message anywhere"
