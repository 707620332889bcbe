"""A long errand guide on the kiosk, Swedish and Arabic: numbered steps a screenful at a time with next and back
(not one page of thousands of pixels), each passing axe-core; the phone copy behind the QR code stays one
page. (Layout does not depend on the database: SQLite only.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.axe import assert_accessible
from tests.plugins.kiosk.browser import enrol_kiosk, visible
from tests.support import LiveServer

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
GUIDE = "financial-assistance"  # the library's longest: an introduction, six steps, what to bring, where next
PAGES = 9
COUNT = {"sv": "Steg {n} av {total}", "ar": "الخطوة {n} من {total}"}
VISIBLE_PAGES = "() => [...document.querySelectorAll('.kiosk-guide-page')].filter(p => !p.hidden).map(p => p.id)"


def page_height(page: Any) -> int:
    return page.evaluate("document.scrollingElement.scrollHeight")


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_a_long_guide_is_numbered_steps_with_next_and_back(page: Any, live_server: LiveServer, lang: str) -> None:
    enrol_kiosk(page, live_server)
    page.goto(f"{live_server.url}/skarholmen/kiosk/phone/guides/{GUIDE}?lang={lang}")
    assert page.locator(".kiosk-guide-page, #guide-step-next").count() == 0  # the phone copy: one page, no pager
    assert page.locator(".kiosk-guide-section").count() == 3 and page.locator("#guide-steps li").count() == 6
    phone_height = page_height(page)

    page.goto(f"{live_server.url}/skarholmen/kiosk/guides/{GUIDE}?lang={lang}")
    viewport = page.viewport_size["height"]
    assert phone_height > 1.5 * viewport  # what the kiosk used to show in one piece
    back, forward = page.locator("#guide-step-back"), page.locator("#guide-step-next")
    count = page.locator("#guide-count")
    assert page.evaluate(VISIBLE_PAGES) == ["guide-intro"] and back.is_hidden()
    seen = []
    for n in range(1, PAGES + 1):
        [shown] = page.evaluate(VISIBLE_PAGES)
        seen.append(shown)
        assert count.inner_text() == COUNT[lang].format(n=n, total=PAGES)
        assert page_height(page) <= viewport, f"step {n} ({shown}) does not fit the screen"
        if n > 1:  # the new page's heading has the focus (screen readers and read-aloud start there)
            assert page.evaluate("document.activeElement.id") == f"{shown}-title"
            assert back.is_visible()
        if n == 4:
            assert_accessible(page)
        if n < PAGES:
            forward.click()
    assert forward.is_hidden()
    assert seen == ["guide-intro", *(f"guide-steps-{i}" for i in range(1, 7)), "guide-bring", "guide-next"]
    # each numbered step keeps its number
    assert page.locator("#guide-steps-5 ol").get_attribute("start") == "5"
    back.click()
    back.click()
    assert page.evaluate(VISIBLE_PAGES) == ["guide-steps-6"]
    assert count.inner_text() == COUNT[lang].format(n=PAGES - 2, total=PAGES)
    visible(page, "#guide-steps-6 li")
    assert_accessible(page)
