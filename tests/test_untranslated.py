"""Every string a person sees is translated: pages of core and every plugin are rendered in Swedish and Arabic, and
every visible text (text nodes, and the alt, title, placeholder and aria-label a screen reader reads) must come
from a catalog of that language or be data: the deployment's own texts (office, service and officer names…),
numbers, times and punctuation, language names. English left in a Swedish or Arabic page fails, naming the text.
On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import frontmatter
import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from core.i18n import CORE_LOCALE, language_info
from core.web.app import AppContext
from tests.support import bearer, builtin_plugins, device_header

ROOT = Path(__file__).resolve().parents[1]
HTML = {"accept": "text/html"}
PLACEHOLDER = re.compile(r"%\(\w+\)s")
SHOWN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
NOT_SHOWN = {"script", "style", "template", "noscript"}
# numbers, times, dates, ticket numbers (B001), single letters, punctuation and symbols
DATA_LIKE = re.compile(r"[\d\W_]*|[A-Z]\d+|\w")
SEPARATORS = re.compile(r" · | – |: |\(|\)|“|”|(?<=[.؟?]) ")  # how pages join texts, and sentences
LANGUAGES = {"sv", "en", "ar", "so", "fi", "fa", "ti"}
PAGES = ("/", "/login", "/enrol", "/skarholmen", "/skarholmen/admin", "/skarholmen/admin/people",
         "/skarholmen/admin/devices", "/skarholmen/admin/failures", "/skarholmen/queue/console",
         "/skarholmen/queue/live", "/skarholmen/queue/board",
         "/skarholmen/kiosk", "/skarholmen/kiosk/meeting", "/skarholmen/kiosk/guides", "/skarholmen/kiosk/talk",
         "/skarholmen/surveys/exit/tablet", "/skarholmen/surveys/exit/report", "/skarholmen/notify/messages")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """(language, text) of every text a person sees; the language is the nearest ``lang`` attribute's."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[tuple[str, str]] = []
        self._open: list[tuple[str, str, bool]] = []  # (tag, language, hidden)

    @property
    def _language(self) -> str:
        return self._open[-1][1] if self._open else ""

    @property
    def _hidden(self) -> bool:
        return bool(self._open) and self._open[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        language = values.get("lang") or self._language
        hidden = self._hidden or tag in NOT_SHOWN
        if not hidden:
            self.texts += [(language, value) for name, value in attrs if name in SHOWN_ATTRIBUTES and value]
        if tag not in VOID:
            self._open.append((tag, language, hidden))

    def handle_endtag(self, tag: str) -> None:
        while self._open:  # (an element left open by the page closes with its parent)
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append((self._language, data))


def visible_texts(html: str) -> list[tuple[str, str]]:
    parser = VisibleText()
    parser.feed(html)
    return [(language, " ".join(text.split())) for language, text in parser.texts]


def catalog_texts(language: str) -> list[re.Pattern[str]]:
    """Each translation of the language as a pattern (placeholders match any value), longest first; translations
    with hardly any text of their own ("%(n)s", "%(a)s: %(b)s") would match anything and are left out."""
    folders = [CORE_LOCALE, *(p.locale for p in builtin_plugins().plugins.values() if p.locale)]
    texts = set()
    for folder in folders:
        with (folder / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            for message in read_po(fh, locale=language):
                for text in ([message.string] if isinstance(message.string, str) else message.string or []):
                    plain = " ".join(re.sub(r"<[^>]+>", " ", text or "").replace("%%", "%").split())
                    if len(PLACEHOLDER.sub("", plain).strip(" .,:;–·()")) >= 2:
                        texts.add(plain)
    return [re.compile(".+?".join(re.escape(part) for part in PLACEHOLDER.split(text)))
            for text in sorted(texts, key=len, reverse=True)]


def data_texts(language: str) -> set[str]:
    """What the office wrote, not the interface: the demo deployment's texts in ``language`` (and names, which have
    no language), the city's survey templates and the kiosk's guide library in ``language``."""
    from plugins.surveys.city_templates import TEMPLATES

    found: set[str] = set()

    def walk(value: Any, fallback: bool) -> Iterator[str]:
        """Strings of ``value``; of a text in several languages, the one in ``language`` or, where the office
        wrote it in fewer languages (``fallback``), the one shown instead (Localized.get_text: sv, else the first)."""
        if isinstance(value, str):
            yield " ".join(value.split())
        elif isinstance(value, dict) and value and set(value) <= LANGUAGES:
            shown = value.get(language) or (fallback and (value.get("sv") or next(iter(value.values()))))
            if shown:
                yield " ".join(shown.split())
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item, fallback)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from walk(item, fallback)

    for path in (ROOT / "deployments" / "demo").rglob("*.toml"):
        found.update(walk(tomllib.loads(path.read_text()), fallback=True))
    # the platform's own texts outside the catalogs must exist in the language: no fallback for them
    for template in TEMPLATES.values():
        found.update(walk([dict(q.text) for q in template.questions] + [dict(i.label) for i in template.indicators],
                          fallback=False))
    for guide in (ROOT / "plugins" / "kiosk" / "guides").glob(f"*/{language}.md"):
        found.update(walk(frontmatter.load(guide).metadata, fallback=False))
    return found


def is_accounted_for(text: str, patterns: list[re.Pattern[str]], data: set[str]) -> bool:
    """Take every translation (values filled in) out of the text; what is left must be data, or pieces of a
    translation split by markup, joined the way pages join texts ("Page title · Office name")."""
    for pattern in patterns:
        text = pattern.sub(" · ", text)
    pieces = [p.strip() for p in SEPARATORS.split(text) if p.strip()]
    return all(DATA_LIKE.fullmatch(piece) or any(piece in item for item in data)
               or any(piece in p.pattern.replace("\\", "") for p in patterns) for piece in pieces)


# names shown as they are: the languages' own names, the product's, the devices' and users' made above
NAMES = {language_info(code).native_name for code in LANGUAGES} | {"medborgarkontor", "Kiosk by the door", "i18n-guide",
                                                                   "i18n-root"}


@pytest.fixture
def staff_headers(client: TestClient, ctx: AppContext, make_user: Callable[..., str]) -> dict[str, str]:
    return {**HTML, **bearer(client, make_user("i18n-root", None, None, platform_admin=True))}


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_every_visible_text_is_translated(client: TestClient, ctx: AppContext, staff_headers: dict[str, str],
                                          make_user: Callable[..., str], language: str) -> None:
    patterns = {code: catalog_texts(code) for code in LANGUAGES - {"en"}}
    data = {code: data_texts(code) | NAMES for code in LANGUAGES}
    kiosk = {**HTML, **device_header(ctx, "skarholmen", "kiosk", "Kiosk by the door")}
    ticket = client.post("/api/v1/offices/skarholmen/queue/tickets", headers=kiosk,
                         json={"service": "guidance", "language": language}).json()
    untranslated: dict[str, list[str]] = {}
    person = f"/skarholmen/admin/people/{make_user('i18n-guide', 'skarholmen', 'guide')}"
    for path in (*PAGES, f"/skarholmen/queue/t/{ticket['id']}", person):
        headers = kiosk if "/kiosk" in path else staff_headers
        page = client.get(f"{path}?lang={language}", headers=headers)
        assert page.status_code == 200, (path, page.status_code)
        # a text marked as being in another language (a language's own name, "Answer in Suomi") is checked
        # against that language's catalog; English has none: its texts are the msgids themselves
        missing = [text for lang, text in visible_texts(page.text)
                   if lang != "en" and not is_accounted_for(text, patterns[lang], data[lang])]
        if missing:
            untranslated[path] = sorted(set(missing))
    assert not untranslated, "\n".join(f"{path}: {texts}" for path, texts in untranslated.items())
