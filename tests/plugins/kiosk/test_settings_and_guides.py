"""Kiosk settings validation (with key paths), the guide library's parsing and fallback rules, page links."""

from __future__ import annotations

from pathlib import Path

import pytest

import plugins.kiosk
from core.config import ConfigError
from core.loading import load_deployment
from core.plugins import PluginManager
from plugins.kiosk.guides import LIBRARY, GuideLibrary
from tests.plugins.kiosk import fakemessenger, fakequeue
from tests.plugins.kiosk.conftest import write_deployment
from tests.support import builtin_plugins


def manager() -> PluginManager:
    return PluginManager.from_objects({"kiosk": plugins.kiosk, "fakequeue": fakequeue, "fakemessenger": fakemessenger})


def problems_with(tmp_path: Path, old: str, new: str) -> list[str]:
    root = write_deployment(tmp_path / "d")
    office = root / "offices" / "testby.toml"
    text = office.read_text()
    assert old in text
    office.write_text(text.replace(old, new))
    with pytest.raises(ConfigError) as error:
        load_deployment(root, manager())
    return [f"{p.path}: {p.message}" for p in error.value.problems]


def test_the_test_deployment_and_the_demo_are_valid(tmp_path: Path) -> None:
    load_deployment(write_deployment(tmp_path / "d"), manager())
    demo = load_deployment(Path(__file__).resolve().parents[3] / "deployments" / "demo", builtin_plugins())
    assert demo.office("skarholmen").settings_for("kiosk").guide_categories[0] == "financial-assistance"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("inactivity_seconds = 30", 'inactivity_seconds = 30\nlanguages = ["sv", "fi"]',
     "plugins.kiosk.languages: not a language of the office: fi"),
    ("warning_seconds = 10", "warning_seconds = 40",
     "plugins.kiosk: warning_seconds must be shorter than inactivity_seconds"),
    ('ticket_service = "computers" }', 'ticket_service = "computers", link = "/x" }',
     "plugins.kiosk.tiles[0]: a tile needs exactly one of 'link' or 'ticket_service'"),
    ("inactivity_seconds = 30", 'inactivity_seconds = 30\nguide_categories = ["housing", "astrology"]',
     "plugins.kiosk.guide_categories[1]: unknown guide 'astrology'"),
    ("inactivity_seconds = 30", "inactivity_seconds = 30\ncolour = 'red'", "plugins.kiosk.colour: unknown key"),
    ('link = "/testby', 'link = "https://example.org/testby',
     "plugins.kiosk.tiles[1].link: String should match pattern"),
    ('icon = "book"', 'icon = "unicorn"', "plugins.kiosk.tiles[1].icon: unknown icon 'unicorn'"),
])
def test_settings_problems_name_the_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = problems_with(tmp_path, old, new)
    assert any(p.startswith(expected) for p in problems), problems


def test_broken_guide_files_are_reported(tmp_path: Path) -> None:
    root = write_deployment(tmp_path / "d")
    (root / "kiosk" / "guides" / "broken").mkdir()
    (root / "kiosk" / "guides" / "broken" / "sv.md").write_text("---\ntitle: [unclosed\n---\nText\n")
    (root / "kiosk" / "guides" / "english-only").mkdir()
    (root / "kiosk" / "guides" / "english-only" / "en.md").write_text("---\ntitle: Hello\n---\nText\n")
    with pytest.raises(ConfigError) as error:
        load_deployment(root, manager())
    messages = [f"{p.path}: {p.message}" for p in error.value.problems]
    assert any("plugins.kiosk.guides_folder" in m and "broken/sv.md" in m and "YAML" in m for m in messages)
    assert any("'english-only' has no sv.md" in m for m in messages)


def test_library_guides_are_complete_in_swedish_and_english() -> None:
    library = GuideLibrary((LIBRARY,))
    assert library.problems == []
    assert library.ids() == ["preschool", "financial-assistance", "migration", "housing", "id-card"]
    for guide_id in library.ids():
        assert {"sv", "en"} <= set(library.languages(guide_id)), guide_id
        for language in ("sv", "en"):
            guide = library.get(guide_id, language)
            assert not guide.has_fallback, (guide_id, language)
            assert [s.id for s in guide.sections] == ["steps", "bring", "next"]
            assert 2 <= len(guide.questions) <= 3
    for guide_id in library.ids():
        assert not library.get(guide_id, "ar").has_fallback, guide_id
    somali = library.get("preschool", "so")
    assert somali.has_fallback and somali.title_language == "so"
    assert [s.language for s in somali.sections] == ["so", "sv", "sv"]
    assert {q.language for q in somali.questions} == {"sv"}
    # a language with no file at all is Swedish throughout
    tigrinya = library.get("housing", "ti")
    assert tigrinya.title == "Bostad" and tigrinya.has_fallback


def test_the_kiosk_lists_its_page_for_devices_of_kind_kiosk(tmp_path: Path) -> None:
    deployment = load_deployment(write_deployment(tmp_path / "d"), manager())
    office = deployment.office("testby")
    links = [link for group in manager().for_office(office).mbk_page_links(office=office) for link in group]
    assert [(link.path, link.audience) for link in links] == [("/testby/kiosk", "kiosk")]
