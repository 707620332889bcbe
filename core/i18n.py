"""Translations: Babel catalogs (core's and each plugin's), language negotiation, language metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

CORE_LOCALE = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"  # msgids are English
DOMAIN = "messages"
LANGUAGE_COOKIE = "mbk_lang"


def N_(message: str) -> str:
    """Mark a text for extraction where it is defined; it is translated later, where it is shown."""
    return message


def catalog_languages(locale_dir: Path) -> set[str]:
    return {p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}


def core_languages() -> set[str]:
    """Languages the platform can show (core has a catalog for each); an office may only choose these."""
    return catalog_languages(CORE_LOCALE) | {SOURCE_LANGUAGE}


@dataclass(frozen=True)
class LanguageInfo:
    code: str
    native_name: str
    rtl: bool

    @property
    def dir(self) -> str:
        return "rtl" if self.rtl else "ltr"


@lru_cache(maxsize=64)
def language_info(code: str) -> LanguageInfo:
    locale = Locale.parse(code)
    name = locale.get_display_name(locale) or code
    return LanguageInfo(code=code, native_name=name[:1].upper() + name[1:], rtl=locale.text_direction == "rtl")


@lru_cache(maxsize=512)
def language_label(code: str, reader: str) -> str:
    """A language as someone reading ``reader`` knows it, and in its own script: "arabiska · العربية" (one name
    when both are the same, the code itself for a language Babel does not know)."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
        in_reader = locale.get_display_name(Locale.parse(reader)) or code
    except (ValueError, UnknownLocaleError):
        return code
    own = language_info(code.replace("-", "_")).native_name
    return in_reader if own.casefold() == in_reader.casefold() else f"{in_reader} · {own}"


def _load_po(path: Path) -> Translations:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Translator:
    """gettext per language, merging core's catalog with every plugin's (read from .po, no build step)."""

    def __init__(self, locale_dirs: Iterable[Path]):
        self.locale_dirs = [CORE_LOCALE, *locale_dirs]
        self._cache: dict[str, NullTranslations] = {}

    def translations(self, language: str) -> NullTranslations:
        cached = self._cache.get(language)
        if cached is not None:
            return cached
        merged: NullTranslations = NullTranslations()
        for folder in self.locale_dirs:
            po = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po.exists():
                continue
            loaded = _load_po(po)
            if isinstance(merged, Translations):
                merged.merge(loaded)
            else:
                merged = loaded
        self._cache[language] = merged
        return merged

    def gettext(self, language: str) -> Callable[..., str]:
        """``_("Hello %(name)s", name=...)``: translate, then fill in named values."""
        t = self.translations(language)

        def _(message: str, **values: object) -> str:
            text = t.gettext(message)
            return text % values if values else text

        return _

    def texts(self, language: str) -> list[str]:
        """Every text of ``language`` in the catalogs (the English msgid where there is no translation): what a
        screen in that language may show, e.g. for speech clips."""
        texts: list[str] = []
        for folder in self.locale_dirs:
            po = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po.exists():
                po = folder / "messages.pot"
            if not po.exists():
                continue
            with po.open("rb") as fh:
                for message in read_po(fh):
                    if not message.id:
                        continue
                    ids = message.id if isinstance(message.id, tuple) else (message.id,)
                    strings = message.string if isinstance(message.string, tuple) else (message.string,)
                    texts += [said or ids[min(i, len(ids) - 1)] for i, said in enumerate(strings)]
        return texts

    def ngettext(self, language: str) -> Callable[..., str]:
        t = self.translations(language)

        def n_(singular: str, plural: str, n: int, **values: object) -> str:
            return t.ngettext(singular, plural, n) % {"num": n, **values}

        return n_


def negotiate(query: str | None, cookie: str | None, accept_language: str | None,
              allowed: tuple[str, ...]) -> str:
    """``?lang=``, then the cookie, then Accept-Language, then the office default (the first allowed)."""
    for candidate in (query, cookie):
        if candidate in allowed:
            return candidate
    for code in _parse_accept_language(accept_language or ""):
        if code in allowed:
            return code
        base = code.split("-")[0]
        if base in allowed:
            return base
    return allowed[0]


def _parse_accept_language(header: str) -> list[str]:
    weighted = []
    for i, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        code, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        weighted.append((-q, i, code.strip().lower()))
    return [code for _, _, code in sorted(weighted)]
