"""The queue's catalogs: every message in the code, complete for sv/en/ar, the same placeholders everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "plugins" / "queue"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (PLUGIN / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def in_code() -> set[str | tuple[str, ...]]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {message for _, _, message, _, _ in extract_from_dir(PLUGIN, method_map, options_map)}


@pytest.mark.parametrize("language", ["sv", "en", "ar", "so", "fi", "fa", "ti"])
def test_catalog_has_every_message_with_matching_placeholders(language: str) -> None:
    messages = {m.id: m for m in catalog(language) if m.id}
    for message_id in in_code():
        assert message_id in messages, f"{language}: missing {message_id!r} (pybabel extract/update)"
        message = messages[message_id]
        wanted = set(PLACEHOLDER.findall(message_id if isinstance(message_id, str) else message_id[1])) - {"num"}
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert text or language not in ("sv", "en", "ar"), f"{language}: untranslated {message_id!r}"
            if text:
                assert set(PLACEHOLDER.findall(text)) - {"num"} == wanted, f"{language}: {message_id!r}"
