"""The kiosk's catalogs: Swedish and Arabic complete, every catalog present, placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[3] / "plugins" / "kiosk" / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("language", ["sv", "en", "ar", "so", "fi", "fa", "ti"])
def test_catalog_keeps_every_placeholder(language: str) -> None:
    for message in catalog(language):
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_swedish_and_arabic_are_complete(language: str) -> None:
    with (LOCALE / "messages.pot").open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    translated = {m.id for m in catalog(language) if m.id and m.string}
    assert wanted - translated == set()
