"""Every catalog, core's and each built-in plugin's, in each of the platform's seven languages: the .po files are
the one source of translations, so each must hold every message of its code (as its babel.cfg extracts them)
and of its messages.pot, translate all of them, and keep every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from core.i18n import CORE_LOCALE, SOURCE_LANGUAGE
from tests.support import builtin_plugins

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("sv", "en", "ar", "so", "fi", "fa", "ti")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _sources() -> dict[str, Path]:
    """Each catalog's locale folder, by owner: core and every built-in plugin (none named here)."""
    found = {"core": CORE_LOCALE}
    found.update({name: plugin.locale for name, plugin in sorted(builtin_plugins().plugins.items()) if plugin.locale})
    return found


SOURCES = _sources()
CASES = [pytest.param(owner, language, id=f"{owner}-{language}") for owner in SOURCES for language in LANGUAGES]


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def catalog(owner: str, language: str) -> Catalog:
    with (SOURCES[owner] / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def in_code(owner: str) -> set[str]:
    code = SOURCES[owner].parent
    config = code / "babel.cfg" if (code / "babel.cfg").exists() else ROOT / "babel.cfg"
    with config.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {message if isinstance(message, str) else message[0]
            for _, _, message, _, _ in extract_from_dir(code, method_map, options_map)}


def template(owner: str) -> set[str]:
    with (SOURCES[owner] / "messages.pot").open("rb") as fh:
        return {_key(m) for m in read_po(fh) if m.id}


def test_core_and_every_built_in_plugin_have_catalogs() -> None:
    assert set(SOURCES) == {"appointments", "core", "kiosk", "notify", "queue", "surveys"}


@pytest.mark.parametrize(("owner", "language"), CASES)
def test_catalog_holds_every_message_of_the_code_and_the_template(owner: str, language: str) -> None:
    ids = {_key(m) for m in catalog(owner, language) if m.id}
    missing = sorted(in_code(owner) - ids)
    assert not missing, f"{owner}/{language}: run pybabel extract/update (missing {missing[:5]})"
    assert ids == template(owner), f"{owner}/{language}: differs from {owner}'s messages.pot"


def _forms(owner: str, language: str) -> list[tuple[Message, str]]:
    return [(m, text) for m in catalog(owner, language) if m.id
            for text in (m.string if isinstance(m.string, tuple) else (m.string,))]


# An English catalog may leave every entry empty: its msgids are the English texts.
TRANSLATED = [case for case in CASES if case.values[1] != SOURCE_LANGUAGE
              or any(text for _, text in _forms(*case.values))]


@pytest.mark.parametrize(("owner", "language"), TRANSLATED)
def test_catalog_translates_every_message(owner: str, language: str) -> None:
    forms = _forms(owner, language)
    untranslated = sorted({_key(m) for m, text in forms if not text or m.fuzzy})
    assert not untranslated, f"{owner}/{language}: untranslated {untranslated[:5]}"


@pytest.mark.parametrize(("owner", "language"), CASES)
def test_translations_keep_their_placeholders(owner: str, language: str) -> None:
    for message in catalog(owner, language):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, str):
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), \
                f"{owner}/{language}: {message.id!r}"
            continue
        wanted = set(PLACEHOLDER.findall(message.id[1])) - {"num"}
        for text in message.string:
            if text:
                assert set(PLACEHOLDER.findall(text)) - {"num"} == wanted, f"{owner}/{language}: {message.id!r}"
