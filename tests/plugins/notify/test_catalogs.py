"""Every message of the notify plugin is translated in each of the platform's seven languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[3] / "plugins" / "notify" / "locale"


def _ids(path: Path) -> dict[str, str]:
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


@pytest.mark.parametrize("language", ["sv", "en", "ar", "so", "fi", "fa", "ti"])
def test_catalog_is_complete_and_keeps_placeholders(language: str) -> None:
    template = _ids(LOCALE / "messages.pot")
    catalog = _ids(LOCALE / language / "LC_MESSAGES" / "messages.po")
    assert set(catalog) == set(template)
    for msgid, text in catalog.items():
        assert text, f"{language}: {msgid!r} is not translated"
        for placeholder in ("%(name)s", "%(number)s", "%(time)s", "%(place)s", "%(counter)s", "%(position)s",
                            "%(office)s"):
            assert (placeholder in msgid) == (placeholder in text), f"{language}: {msgid!r}"
