"""The survey report in a real browser: staff log in, see honest figures and a chart per indicator; the page
is axe-core clean in Swedish and in Arabic with large text and high contrast."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core import auth
from core.db import utcnow
from plugins.surveys.models import SurveyResponse
from plugins.surveys.service import office_today
from tests.axe import assert_accessible
from tests.support import PASSWORD, LiveServer


def test_report_page_is_accessible(page: Any, live_server: LiveServer) -> None:
    ctx = live_server.ctx
    office = ctx.deployment.office("skarholmen")
    today: date = office_today(office, utcnow())
    with ctx.db.session() as session:
        auth.create_user(session, "manager", PASSWORD, office_id="skarholmen", role="admin")
        for i in range(30):
            response = SurveyResponse(office_id="skarholmen", survey_id="exit", language="sv",
                                      day=today - timedelta(days=i % 3), gender="woman" if i < 20 else "man")
            session.add(response)
            session.flush()
            session.add(response.answer("learned", "yes" if i % 5 else "no"))
            session.add(response.answer("self_reliant", "yes" if i % 2 else "no"))

    page.goto(live_server.url + "/skarholmen/surveys/exit/report?lang=sv")
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/skarholmen/surveys/exit/report**")
    assert "80 % (24 av 30, 63–90 %)" in page.locator("main").inner_text()
    assert page.locator("svg.sv-chart").count() == 4  # per indicator: overall and by gender, and over time
    assert_accessible(page)

    page.goto(live_server.url + "/skarholmen/surveys/exit/report?lang=ar")
    page.click('[data-display="large"]')
    page.click('[data-display="contrast"]')
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert_accessible(page)
