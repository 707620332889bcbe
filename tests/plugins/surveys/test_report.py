"""The report: SQL aggregation per dimension, Wilson intervals, suppression, exports, pages and panels."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import plugins.surveys as surveys_plugin
from core.db import utcnow
from core.web.app import AppContext, create_app
from plugins.surveys.models import SubmissionToken, SurveyResponse
from plugins.surveys.service import office_today, raw_answer_rows
from tests.support import bearer

HTML = {"accept": "text/html"}
OCTOBER = date(2026, 10, 5)   # a Monday
NOVEMBER = date(2026, 11, 2)  # a Monday
RANGE = "start=2026-10-01&end=2026-11-30"


def add_responses(ctx: AppContext, count: int, yes: int, *, office: str = "north", day: date = NOVEMBER,
                  gender: str | None = None, language: str = "sv", context: str | None = None) -> None:
    with ctx.db.session() as session:
        for i in range(count):
            response = SurveyResponse(office_id=office, survey_id="exit", language=language, day=day,
                                      gender=gender, context=context)
            session.add(response)
            session.flush()
            session.add(response.answer("learned", "yes" if i < yes else "no"))
            if i % 2 == 0:
                session.add(response.answer("welcome", "5"))


@pytest.fixture
def filled(survey_ctx: AppContext) -> AppContext:
    add_responses(survey_ctx, 30, 18, gender="woman", day=OCTOBER, context="housing")
    add_responses(survey_ctx, 20, 10, gender="man", context="preschool")
    add_responses(survey_ctx, 3, 2, gender="other", context="housing")
    add_responses(survey_ctx, 4, 3, gender="unstated", context="preschool")
    add_responses(survey_ctx, 2, 0, gender="man", language="ar", context="housing")
    add_responses(survey_ctx, 9, 9, office="south", gender="woman")  # another office: never counted at north
    return survey_ctx


@pytest.fixture
def staff(filled: AppContext, make_user: Callable[..., str]) -> dict[str, str]:
    return {"admin": make_user("admin-north", office="north", role="admin"),
            "viewer": make_user("viewer-north", office="north", role="viewer"),
            "guide": make_user("guide-north", office="north", role="guide"),
            "platform": make_user("city", office=None, role=None, platform_admin=True)}


def cells(report: dict, indicator: str, dimension: str) -> dict:  # type: ignore[type-arg]
    found = next(i for i in report["indicators"] if i["id"] == indicator)
    return {c["key"]: c for c in found["breakdowns"][dimension]}


def test_report_shares_intervals_and_suppression(filled: AppContext, staff: dict[str, str]) -> None:
    with TestClient(create_app(filled)) as client:
        response = client.get(f"/api/v1/offices/north/surveys/exit/report?{RANGE}",
                              headers=bearer(client, staff["viewer"]))
        assert response.status_code == 200, response.text
        report = response.json()
    assert report["k"] == 5 and report["responses"] == 59
    learned = next(i for i in report["indicators"] if i["id"] == "learned")
    assert learned["target"] == 60
    # 18 + 10 + 2 + 3 + 0 = 33 of 59 said yes
    assert {k: learned["overall"][k] for k in ("n", "yes")} == {"n": 59, "yes": 33}
    gender = cells(report, "learned", "gender")
    # women 18 of 30: 60 %, Wilson 42.3 %–75.4 % (worked out by hand in test_statistics)
    assert (gender["woman"]["n"], gender["woman"]["yes"], gender["woman"]["share"]) == (30, 18, 0.6)
    assert (round(gender["woman"]["low"] * 100, 1), round(gender["woman"]["high"] * 100, 1)) == (42.3, 75.4)
    assert (gender["man"]["n"], gender["man"]["yes"]) == (22, 10)
    # other (3) is below k; unstated (4) is hidden with it, or other could be worked out from the total
    assert gender["other"] == {"key": "other", "suppressed": True}
    assert gender["unstated"] == {"key": "unstated", "suppressed": True}
    # two languages, one of them small: both hidden, since the total is shown
    language = cells(report, "learned", "language")
    assert language == {"sv": {"key": "sv", "suppressed": True}, "ar": {"key": "ar", "suppressed": True}}
    context = cells(report, "learned", "context")
    assert (context["housing"]["n"], context["housing"]["yes"]) == (35, 20)
    assert (context["preschool"]["n"], context["preschool"]["yes"]) == (24, 13)
    period = cells(report, "learned", "period")
    assert (period["2026-10"]["n"], period["2026-11"]["n"]) == (30, 29)
    assert report["questions"] == [{"id": "welcome", "suppressed": False, "n": 30,
                                    "counts": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 30}}]
    # self_reliant was never answered in this data: no overall, no cells
    self_reliant = next(i for i in report["indicators"] if i["id"] == "self_reliant")
    assert self_reliant["overall"] is None and self_reliant["breakdowns"]["gender"] == []


def test_report_by_week_and_date_range(filled: AppContext, staff: dict[str, str]) -> None:
    with TestClient(create_app(filled)) as client:
        headers = bearer(client, staff["viewer"])
        url = "/api/v1/offices/north/surveys/exit/report"
        by_week = client.get(f"{url}?{RANGE}&period=week", headers=headers).json()
        assert {k: c["n"] for k, c in cells(by_week, "learned", "period").items()} == {
            OCTOBER.isoformat(): 30, NOVEMBER.isoformat(): 29}
        november = client.get(f"{url}?start=2026-11-01&end=2026-11-30", headers=headers).json()
        assert november["responses"] == 29
        bad = client.get(f"{url}?start=2026-12-01&end=2026-11-01", headers=headers)
        assert bad.status_code == 422 and "start" in bad.json()["detail"]
        assert client.get(f"{url}?period=year", headers=headers).status_code == 422
        assert client.get("/api/v1/offices/north/surveys/nope/report", headers=headers).status_code == 404


def test_everything_is_suppressed_below_k(survey_ctx: AppContext, make_user: Callable[..., str]) -> None:
    add_responses(survey_ctx, 4, 4, gender="woman")
    make_user("viewer-north", office="north", role="viewer")
    with TestClient(create_app(survey_ctx)) as client:
        report = client.get(f"/api/v1/offices/north/surveys/exit/report?{RANGE}",
                            headers=bearer(client, "viewer-north")).json()
    learned = next(i for i in report["indicators"] if i["id"] == "learned")
    assert learned["overall"] == {"key": "all", "suppressed": True}
    assert all(c["suppressed"] for cells_ in learned["breakdowns"].values() for c in cells_)


def test_report_needs_staff_of_the_office(filled: AppContext, staff: dict[str, str],
                                          make_user: Callable[..., str]) -> None:
    make_user("admin-south", office="south", role="admin")
    with TestClient(create_app(filled)) as client:
        url = f"/api/v1/offices/north/surveys/exit/report?{RANGE}"
        assert client.get(url).status_code == 401
        assert client.get(url, headers=bearer(client, staff["guide"])).status_code == 403
        assert client.get(url, headers=bearer(client, "admin-south")).status_code == 403
        assert client.get(url, headers=bearer(client, staff["platform"])).status_code == 200


def test_csv_exports_are_for_admins(filled: AppContext, staff: dict[str, str]) -> None:
    with TestClient(create_app(filled)) as client:
        base = "/api/v1/offices/north/surveys/exit"
        viewer = bearer(client, staff["viewer"])
        assert client.get(f"{base}/report.csv?{RANGE}", headers=viewer).status_code == 403
        assert client.get(f"{base}/answers.csv?{RANGE}", headers=viewer).status_code == 403
        admin = bearer(client, staff["admin"])
        report = client.get(f"{base}/report.csv?{RANGE}", headers=admin)
        assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(report.text)))
        assert rows[0][:7] == ["item", "target_percent", "dimension", "group", "n", "count", "percent"]
        assert ["learned", "60.0", "gender", "woman", "30", "18", "60.0", "42.3", "75.4", "shown"] in rows
        assert ["learned", "60.0", "gender", "other", "", "", "", "", "", "suppressed"] in rows
        # the smiley question: 15 + 10 + 2 + 2 + 1 = 30 of the 59 answered it, all with a 5
        assert ["welcome", "", "answer", "5", "30", "30", "100.0", "", "", "shown"] in rows
        assert ["welcome", "", "answer", "1", "30", "0", "0.0", "", "", "shown"] in rows
        answers = client.get(f"{base}/answers.csv?{RANGE}", headers=admin)
        rows = list(csv.reader(io.StringIO(answers.text)))
    assert rows[0] == ["day", "language", "context", "gender", "learned", "self_reliant", "welcome", "comment"]
    assert len(rows) == 1 + 59
    assert rows.count(["2026-10-05", "sv", "housing", "woman", "yes", "", "5", ""]) == 9
    assert all(row[0] in ("2026-10-05", "2026-11-02") for row in rows[1:])


def test_report_page_chart_and_honest_figures(filled: AppContext, staff: dict[str, str]) -> None:
    with TestClient(create_app(filled)) as client:
        url = f"/north/surveys/exit/report?{RANGE}&lang=en"
        redirect = client.get(url, headers=HTML, follow_redirects=False)
        assert redirect.status_code == 303 and redirect.headers["location"].startswith("/login?next=")
        page = client.get(url, headers={**HTML, **bearer(client, staff["admin"])})
    assert page.status_code == 200
    assert "60 % (18 of 30, 42–75 %)" in page.text
    assert "56 % (33 of 59, 43–68 %)" in page.text
    # one chart per indicator (overall and by gender) and one over time for each indicator that has answers
    assert page.text.count('<svg class="sv-chart"') == 3
    assert 'aria-label="Learned something new: By month"' in page.text
    assert 'class="sv-target"' in page.text
    assert "Target: 60 %" in page.text and "Target: 40 %" in page.text
    assert "report.csv" in page.text and "answers.csv" in page.text
    assert "Treated well? (30 answers)" in page.text
    # a language's name is marked up in its own language; both languages are hidden (2 answers in Arabic)
    assert ('<th scope="row" lang="ar" dir="rtl">العربية</th><td>not shown (fewer than 5 answers, or would '
            'reveal such a group)</td>') in page.text
    assert '<th scope="row" lang="sv" dir="ltr">Svenska</th><td>not shown' in page.text


def test_cross_office_comparison_for_the_platform_admin(filled: AppContext, staff: dict[str, str]) -> None:
    add_responses(filled, 10, 5, office="south", gender="man")
    with TestClient(create_app(filled)) as client:
        url = f"/api/v1/offices/north/surveys/compare/learned?{RANGE}"
        assert client.get(url, headers=bearer(client, staff["admin"])).status_code == 403
        result = client.get(url, headers=bearer(client, staff["platform"])).json()
        offices = {o["office"]: o for o in result["offices"]}
        assert (offices["north"]["overall"]["n"], offices["south"]["overall"]["n"]) == (59, 19)
        assert {c["key"]: c.get("n") for c in offices["south"]["by_gender"]} == {"woman": 9, "man": 10}
        page = client.get(f"/north/surveys/compare/learned?{RANGE}&lang=en",
                          headers={**HTML, **bearer(client, staff["platform"])})
        assert page.status_code == 200 and "Office south" in page.text and "<svg" in page.text
        assert client.get("/north/surveys/compare/nope", headers={**HTML, **bearer(client, staff["platform"])}
                          ).status_code == 404


def test_admin_panel_and_page_links(survey_ctx: AppContext, make_user: Callable[..., str]) -> None:
    today = office_today(survey_ctx.deployment.office("north"), utcnow())
    add_responses(survey_ctx, 22, 10, gender="man", day=today)
    add_responses(survey_ctx, 3, 3, gender="woman", day=today - timedelta(days=3))
    add_responses(survey_ctx, 40, 40, gender="woman", day=today - timedelta(days=40))  # outside the 30 days
    make_user("admin-north", office="north", role="admin")
    with TestClient(create_app(survey_ctx)) as client:
        pages = client.get("/api/v1/offices/north").json()["pages"]
        assert {"label": "Survey tablet", "path": "/north/surveys/exit/tablet", "audience": "tablet"} in pages
        assert {"label": "Survey report", "path": "/north/surveys/exit/report", "audience": "staff"} in pages
        dashboard = client.get("/north/admin?lang=en", headers={**HTML, **bearer(client, "admin-north")})
    assert dashboard.status_code == 200
    assert "Survey: How was your visit?" in dashboard.text
    # 13 of 25 in the last 30 days (Wilson 33.5–70.0 %); women (3) are too few, and men are hidden with them,
    # or the women's figures would be the total minus the men's
    assert "52 % (13 of 25, 33–70 %) · target 60 % · not clearly different from target" in dashboard.text
    assert "Women: not shown" in dashboard.text and "Men: not shown" in dashboard.text
    assert "/north/surveys/exit/report" in dashboard.text


def test_admin_panel_shows_women_and_men(survey_ctx: AppContext, make_user: Callable[..., str]) -> None:
    today = office_today(survey_ctx.deployment.office("north"), utcnow())
    add_responses(survey_ctx, 22, 10, gender="man", day=today)
    add_responses(survey_ctx, 30, 18, gender="woman", day=today - timedelta(days=29))
    make_user("admin-north", office="north", role="admin")
    with TestClient(create_app(survey_ctx)) as client:
        dashboard = client.get("/north/admin?lang=en", headers={**HTML, **bearer(client, "admin-north")})
    assert "Women: 60 % (18 of 30, 42–75 %) · Men: 45 % (10 of 22, 27–65 %)" in dashboard.text


def test_purge_keeps_anonymous_answers_and_drops_spent_tokens(filled: AppContext) -> None:
    office = filled.deployment.office("north")
    today = date(2026, 11, 24)
    with filled.db.session() as session:
        session.add_all([SubmissionToken(token="a" * 32, office_id="north", day=today - timedelta(days=5)),
                         SubmissionToken(token="b" * 32, office_id="north", day=today)])
    with filled.db.session() as session:
        now = datetime(2026, 11, 24, 12, tzinfo=UTC)
        assert surveys_plugin.mbk_purge(office=office, session=session, now=now) == {}
    with filled.db.session() as session:
        assert list(session.scalars(sa.select(SubmissionToken.token))) == ["b" * 32]
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 68


def test_tablet_page_for_staff_and_devices_only(filled: AppContext, staff: dict[str, str]) -> None:
    with TestClient(create_app(filled)) as client:
        denied = client.get("/north/surveys/exit/tablet?lang=en", headers=HTML)
        assert denied.status_code == 401
        assert "mbk device add --office north --kind tablet" in denied.text
        guide = bearer(client, staff["guide"])
        page = client.get("/north/surveys/exit/tablet?lang=ar&begin=1", headers={**HTML, **guide})
        assert page.status_code == 200
        assert '<html lang="ar" dir="rtl"' in page.text
        assert "هل تعلّمت شيئًا جديدًا في زيارتك اليوم؟" in page.text
        assert 'data-question="context"' in page.text and 'data-question="gender"' in page.text
        fixed = client.get("/north/surveys/exit/tablet?context=housing", headers={**HTML, **guide})
        assert fixed.status_code == 200 and 'data-question="context"' not in fixed.text
        assert 'data-context="housing"' in fixed.text
        assert 'href="/north/surveys/exit/tablet?lang=ar&amp;begin=1&amp;context=housing"' in fixed.text
        unknown = client.get("/north/surveys/exit/tablet?context=parking", headers={**HTML, **guide})
        assert unknown.status_code == 422 and "parking" in unknown.text


def test_raw_answers_are_read_in_chunks_without_losing_or_repeating_a_row(filled: AppContext) -> None:
    survey = filled.deployment.office("north").settings_for("surveys").survey("exit")
    rows = list(raw_answer_rows(filled.db.session, "north", survey, date(2026, 10, 1), date(2026, 11, 30), chunk=7))
    assert len(rows) == 59
    assert sorted(rows, key=lambda r: r[0]) == rows  # by day
    assert sum(1 for r in rows if r[4] == "yes") == 33
