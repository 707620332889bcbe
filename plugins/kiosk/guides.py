"""Errand guides: Markdown files with front matter, one folder per guide, one file per language.

``<folder>/<guide>/<lang>.md``. The city-wide library ships with the plugin; an office's own folder (in its
deployment) overrides a guide's language file or adds new guides. Swedish is the reference: every guide
needs ``sv.md``, and whatever a translation lacks (the whole file, a section, a question) is shown in
Swedish, marked so that the page can say so and set ``lang="sv"`` on it.

Sections are level-2 headings with an id that is the same in every language: ``## Steg för steg {#steps}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import frontmatter
from markdown_it import MarkdownIt

FALLBACK_LANGUAGE = "sv"
LIBRARY = Path(__file__).resolve().parent / "guides"
_SECTION = re.compile(r"^##\s+(?P<title>.+?)\s*\{#(?P<id>[a-z0-9-]+)\}\s*$", re.MULTILINE)
_GUIDE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
# Raw HTML is off: guide authors write Markdown, and nothing they write can inject markup.
_markdown = MarkdownIt("commonmark", {"html": False})


class GuideError(ValueError):
    """A guide file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[tuple[str, str], ...]  # (option id, text)
    language: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str
    language: str
    # When the section is one numbered list (a guide's "step by step"): each step's HTML as its own list.
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuidePage:
    """One screenful of a guide on the kiosk: the introduction, one numbered step, or one other section."""

    id: str  # the element id: "guide-intro", "guide-steps-3", "guide-bring"
    title: str  # "" for the introduction, which the guide's title heads
    html: str
    language: str


@dataclass(frozen=True)
class Document:
    """One language file of a guide, parsed."""

    language: str
    title: str
    summary: str
    meta: dict[str, Any]
    intro_html: str
    sections: dict[str, Section]
    questions: dict[str, Question]


@dataclass(frozen=True)
class Guide:
    """A guide as one visitor sees it: every part in their language where it exists, else Swedish."""

    id: str
    language: str
    title: str
    title_language: str
    summary: str
    summary_language: str
    category: str
    order: int
    icon: str
    intro_html: str
    intro_language: str
    sections: tuple[Section, ...]
    questions: tuple[Question, ...]

    @property
    def has_fallback(self) -> bool:
        parts = [self.title_language, self.intro_language, *(s.language for s in self.sections),
                 *(q.language for q in self.questions)]
        return any(lang != self.language for lang in parts)


def _parse_questions(raw: Any, language: str, where: str) -> dict[str, Question]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise GuideError(f"{where}: 'questions' must be a list")
    questions = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not {"id", "text", "options"} <= set(item):
            raise GuideError(f"{where}: questions[{i}] needs id, text and options")
        options = item["options"]
        if not isinstance(options, dict) or not options:
            raise GuideError(f"{where}: questions[{i}].options must map option ids to texts")
        questions[str(item["id"])] = Question(id=str(item["id"]), text=str(item["text"]), language=language,
                                              options=tuple((str(k), str(v)) for k, v in options.items()))
    return questions


def parse_document(path: Path) -> Document:
    language = path.stem
    try:
        post = frontmatter.load(str(path))
    except Exception as exc:  # YAML errors come in several types; all mean "fix this file"
        raise GuideError(f"{path}: front matter is not valid YAML ({exc})") from None
    meta = dict(post.metadata)
    if not meta.get("title"):
        raise GuideError(f"{path}: front matter needs a 'title'")
    body = post.content
    matches = list(_SECTION.finditer(body))
    intro = body[: matches[0].start()] if matches else body
    sections = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        text = body[match.end():end].strip()
        sections[match["id"]] = Section(id=match["id"], title=match["title"], language=language,
                                        html=_markdown.render(text), steps=_numbered_steps(text))
    return Document(language=language, title=str(meta["title"]), summary=str(meta.get("summary", "")), meta=meta,
                    intro_html=_markdown.render(intro.strip()) if intro.strip() else "", sections=sections,
                    questions=_parse_questions(meta.get("questions"), language, str(path)))


def _numbered_steps(text: str) -> tuple[str, ...]:
    """Each item of a section that is one numbered list, rendered as a list of its own that keeps its number."""
    tokens = _markdown.parse(text)
    if not tokens or tokens[0].type != "ordered_list_open" or tokens[-1].type != "ordered_list_close" or any(
            t.type == "ordered_list_close" and t.level == 0 for t in tokens[:-1]):
        return ()
    first = int(tokens[0].attrGet("start") or 1)
    steps, start = [], None
    for i, token in enumerate(tokens):
        if token.type == "list_item_open" and token.level == 1:
            start = i
        elif token.type == "list_item_close" and token.level == 1 and start is not None:
            item = _markdown.renderer.render(tokens[start:i + 1], _markdown.options, {})
            steps.append(f'<ol start="{first + len(steps)}">\n{item}</ol>\n')
    return tuple(steps)


def pages(guide: Guide) -> tuple[GuidePage, ...]:
    """A guide cut into screenfuls for the kiosk: the introduction, each numbered step, each other section."""
    found = [GuidePage(id="guide-intro", title="", html=guide.intro_html, language=guide.intro_language)
             ] if guide.intro_html else []
    for section in guide.sections:
        if section.steps:
            found += [GuidePage(id=f"guide-{section.id}-{n}", title=section.title, html=html, language=section.language)
                      for n, html in enumerate(section.steps, start=1)]
        else:
            found.append(GuidePage(id=f"guide-{section.id}", title=section.title, html=section.html,
                                   language=section.language))
    return tuple(found)


class GuideLibrary:
    """The guides of one office: the city-wide folder, then the office's folder on top."""

    def __init__(self, folders: tuple[Path, ...]):
        self.folders = folders
        self._documents: dict[str, dict[str, Document]] = {}
        self.problems: list[str] = []
        for folder in folders:
            if not folder.is_dir():
                continue
            for guide_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
                if not _GUIDE_ID.match(guide_dir.name):
                    self.problems.append(f"{guide_dir}: a guide folder name must be lower-case letters, digits, '-'")
                    continue
                for path in sorted(guide_dir.glob("*.md")):
                    try:
                        document = parse_document(path)
                    except GuideError as exc:
                        self.problems.append(str(exc))
                        continue
                    self._documents.setdefault(guide_dir.name, {})[document.language] = document
        for guide_id, documents in list(self._documents.items()):
            if FALLBACK_LANGUAGE not in documents:
                self.problems.append(f"guide {guide_id!r} has no {FALLBACK_LANGUAGE}.md (Swedish is the reference)")
                del self._documents[guide_id]

    def ids(self) -> list[str]:
        return sorted(self._documents, key=lambda g: (int(self._documents[g][FALLBACK_LANGUAGE].meta.get("order", 100)),
                                                      g))

    def languages(self, guide_id: str) -> list[str]:
        return sorted(self._documents.get(guide_id, {}))

    def get(self, guide_id: str, language: str) -> Guide | None:
        documents = self._documents.get(guide_id)
        if documents is None:
            return None
        base = documents[FALLBACK_LANGUAGE]
        doc = documents.get(language, base)
        sections = tuple(doc.sections.get(sid, section) for sid, section in base.sections.items())
        questions = tuple(_question_in(doc, question) for question in base.questions.values())
        intro_doc = doc if doc.intro_html else base
        return Guide(
            id=guide_id, language=language, title=doc.title, title_language=doc.language,
            summary=doc.summary or base.summary, summary_language=doc.language if doc.summary else base.language,
            category=str(base.meta.get("category", guide_id)), order=int(base.meta.get("order", 100)),
            icon=str(base.meta.get("icon", "")), intro_html=intro_doc.intro_html, intro_language=intro_doc.language,
            sections=sections, questions=questions)

    def all(self, language: str) -> list[Guide]:
        return [guide for gid in self.ids() if (guide := self.get(gid, language)) is not None]


def _question_in(doc: Document, base: Question) -> Question:
    """The translated question if it translates every option, else the Swedish one (never half and half)."""
    translated = doc.questions.get(base.id)
    if translated is None or {o for o, _ in translated.options} != {o for o, _ in base.options}:
        return base
    texts = dict(translated.options)
    return Question(id=base.id, text=translated.text, language=translated.language,
                    options=tuple((oid, texts[oid]) for oid, _ in base.options))


@lru_cache(maxsize=32)
def library(folders: tuple[Path, ...]) -> GuideLibrary:
    return GuideLibrary(folders)


def office_folder(office_source: Path, setting: str) -> Path:
    """An office's guide folder: relative to its deployment folder (the parent of ``offices/``)."""
    return (office_source.parent.parent / setting).resolve()
