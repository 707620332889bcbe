"""A guide cut into screenfuls for the kiosk (guides.pages): the introduction, each numbered step as a list of its
own that keeps its number, each other section whole; a section that is more than one numbered list stays whole."""

from __future__ import annotations

from pathlib import Path

from plugins.kiosk.guides import LIBRARY, GuideLibrary, pages

GUIDE = """---
title: Prov
---
Inledning.

## Steg {#steps}

3. Tredje steget, med **fetstil**.
4. Fjärde steget.

## Text och lista {#mixed}

Först en mening.

1. Sedan en lista.

## Två listor {#two}

1. Ett.

- Punkt.
"""


def test_the_steps_of_a_library_guide_become_pages_of_their_own() -> None:
    guide = GuideLibrary((LIBRARY,)).get("financial-assistance", "sv")
    assert guide is not None
    found = pages(guide)
    assert [p.id for p in found] == ["guide-intro", *(f"guide-steps-{n}" for n in range(1, 7)), "guide-bring",
                                     "guide-next"]
    assert found[0].title == "" and found[0].html == guide.intro_html
    assert found[3].title == "Steg för steg" and found[3].html.startswith('<ol start="3">\n<li>Du får en tid')
    assert [p.html for p in found[-2:]] == [s.html for s in guide.sections[1:]]  # the other sections whole


def test_numbering_is_kept_and_only_a_section_that_is_one_numbered_list_is_cut(tmp_path: Path) -> None:
    (tmp_path / "prov").mkdir()
    (tmp_path / "prov" / "sv.md").write_text(GUIDE)
    guide = GuideLibrary((tmp_path,)).get("prov", "sv")
    assert guide is not None
    found = {p.id: p for p in pages(guide)}
    assert list(found) == ["guide-intro", "guide-steps-1", "guide-steps-2", "guide-mixed", "guide-two"]
    third = '<ol start="3">\n<li>Tredje steget, med <strong>fetstil</strong>.</li>\n</ol>\n'
    assert found["guide-steps-1"].html == third
    assert found["guide-steps-2"].html.startswith('<ol start="4">')
    assert "Först en mening." in found["guide-mixed"].html and "<ul>" in found["guide-two"].html
