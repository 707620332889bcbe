"""The survey tablet in a real browser: enrolment, Swedish and Arabic (right to left), one question per
screen, a double tap that answers only once, thank-you and back to start; axe-core clean throughout,
including large text and high contrast."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from plugins.surveys.models import SurveyAnswer, SurveyResponse
from tests.axe import assert_accessible
from tests.plugins.surveys.helpers import enrolment_path
from tests.support import LiveServer

VISIBLE = ".sv-screen:not([hidden])"
GUARD_MS = 500  # the tablet ignores taps for 0.5 s after a new screen appears


def past_the_guard(page: Any) -> None:
    """Moves the page's clock (installed by the test) past the guard of the screen now shown, without waiting."""
    page.clock.fast_forward(GUARD_MS + 100)


def visible_screen(page: Any) -> str:
    return page.locator(VISIBLE).get_attribute("data-screen") or ""


def answer_all(page: Any) -> None:
    """Tap the first answer of every question until the thank-you screen."""
    for _ in range(10):
        if visible_screen(page) != "question":
            break
        heading = page.locator(f"{VISIBLE} h1").inner_text()
        past_the_guard(page)
        page.locator(f"{VISIBLE} .sv-answer").first.click()
        page.wait_for_function("h => document.querySelector('.sv-screen:not([hidden]) h1').innerText !== h",
                               arg=heading)
    page.wait_for_selector('[data-screen="thanks"]:not([hidden])', timeout=5000)


def test_tablet_flow_in_swedish_and_arabic(page: Any, live_server: LiveServer) -> None:
    ctx = live_server.ctx
    page.clock.install()  # the page's timers run on a clock the test can move on (the guard, the thank-you)
    page.goto(live_server.url + enrolment_path(ctx, "skarholmen"))
    assert page.url.endswith("/skarholmen/surveys/exit/tablet")
    page.wait_for_selector('[data-screen="start"]:not([hidden])')
    assert_accessible(page)

    # Swedish; a double tap on the first answer answers the first question only
    page.get_by_role("link", name="Svenska").click()
    page.wait_for_selector(VISIBLE + '[data-question="learned"]')
    assert page.locator(f"{VISIBLE} h1").inner_text() == "Lärde du dig något nytt vid ditt besök i dag?"
    assert_accessible(page)
    past_the_guard(page)
    page.locator(f"{VISIBLE} .sv-answer", has_text="Ja").dblclick()
    page.wait_for_selector(VISIBLE + '[data-question="self_reliant"]')
    past_the_guard(page)
    page.locator(f"{VISIBLE} .sv-answer", has_text="Nej").click()
    page.wait_for_selector(VISIBLE + '[data-question="welcome"]')
    answer_all(page)
    assert page.locator(f"{VISIBLE} h1").inner_text() == "Tack!"
    assert_accessible(page)
    # back to the start screen by itself after the thank-you time (passed on the page's clock)
    page.clock.fast_forward(int(page.locator("#sv-tablet").get_attribute("data-thank-you-seconds")) * 1000)
    page.wait_for_selector('[data-screen="start"]:not([hidden])', timeout=15000)

    # Arabic, right to left, with large text and high contrast
    page.get_by_role("link", name="العربية").click()
    page.wait_for_selector(VISIBLE + '[data-question="learned"]')
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(f"{VISIBLE} h1").inner_text() == "هل تعلّمت شيئًا جديدًا في زيارتك اليوم؟"
    page.click('[data-display="large"]')
    page.click('[data-display="contrast"]')
    assert page.locator("html").get_attribute("class").split() == ["mbk-large", "mbk-contrast"]
    assert_accessible(page)
    answer_all(page)
    assert_accessible(page)
    page.locator(f"{VISIBLE} .sv-answer").click()  # "Done": straight back to the start
    page.wait_for_selector('[data-screen="start"]:not([hidden])')
    assert_accessible(page)

    with ctx.db.session() as session:
        responses = {r.language: r for r in session.scalars(sa.select(SurveyResponse))}
        assert sorted(responses) == ["ar", "sv"]
        swedish = {a.question_id: a.value for a in session.scalars(
            sa.select(SurveyAnswer).where(SurveyAnswer.response_id == responses["sv"].id))}
    assert swedish["learned"] == "yes" and swedish["self_reliant"] == "no"
    assert responses["sv"].gender == "woman"


def test_tablet_returns_to_start_when_left_half_way(page: Any, live_server: LiveServer) -> None:
    """Answers of a visitor who walks away are dropped, and the tablet is ready for the next one. The test
    serves the page with a one-second inactivity limit instead of the office's (at least ten seconds)."""
    ctx = live_server.ctx
    enrol = enrolment_path(ctx, "skarholmen")

    def quick(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace('data-inactivity-seconds="60"', 'data-inactivity-seconds="1"')
        route.fulfill(response=response, body=body)

    page.route("**/skarholmen/surveys/exit/tablet?*begin=1*", quick)
    page.clock.install()
    page.goto(live_server.url + enrol)
    page.get_by_role("link", name="Svenska").click()
    page.wait_for_selector(VISIBLE + '[data-question="learned"]')
    past_the_guard(page)
    page.locator(f"{VISIBLE} .sv-answer", has_text="Ja").click()
    page.wait_for_selector(VISIBLE + '[data-question="self_reliant"]')
    page.wait_for_selector('[data-screen="start"]:not([hidden])', timeout=5000)
    assert "begin" not in page.url
    with ctx.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
