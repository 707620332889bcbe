"""The officer's day page (demo deployment, SQLite and PostgreSQL): expected, arrived since, seen, no-show;
marking from the page; stale calendars shown; staff only."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from core.context import AppContext
from core.db import utcnow
from plugins.appointments import service
from tests.support import bearer, drain_events

HTML = {"accept": "text/html"}
PAGE = "/skarholmen/appointments/day"


def test_the_officers_day(client: TestClient, ctx: AppContext, make_user: Callable[..., str]) -> None:
    office = ctx.deployment.office("skarholmen")
    start = utcnow() + timedelta(minutes=5)
    with ctx.db.session() as session:
        made = [service.create(session, office, service.NewAppointment(
            start=start + timedelta(minutes=n), end=start + timedelta(minutes=n + 30), officer_id=officer,
            first_name=name)) for n, officer, name in ((0, "a-lind", "Amal"), (1, "a-lind", "Bo"),
                                                        (2, "k-hassan", "Cyrus"))]
        ids = [m.id for m in made]
    day = start.astimezone(office.tz).date().isoformat()
    officer = {**HTML, **bearer(client, make_user("officer", role="officer"))}
    page = client.get(PAGE, headers=officer, params={"day": day, "officer": "a-lind", "lang": "sv"})
    assert page.status_code == 200
    assert "Amal" in page.text and "Bo" in page.text and "Cyrus" not in page.text
    assert page.text.count("väntas") == 2

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    marked = client.post(f"{PAGE}/{ids[0]}/status", headers=officer, follow_redirects=False,
                         data={"status": "seen", "csrf_token": token, "back": f"day={day}&officer=a-lind"})
    assert marked.status_code == 303 and marked.headers["location"] == f"{PAGE}?day={day}&officer=a-lind"
    client.post(f"{PAGE}/{ids[1]}/status", headers=officer, data={"status": "no_show", "csrf_token": token})
    assert client.post(f"{PAGE}/{ids[1]}/status", headers=officer,
                       data={"status": "seen", "csrf_token": "forged"}).status_code == 403
    rows = dict(re.findall(r'id="appointment-(\w+)" data-status="(\w+)"', client.get(
        PAGE, headers=officer, params={"day": day}).text))
    assert rows == {ids[0]: "seen", ids[1]: "no_show", ids[2]: "booked"}
    drain_events(ctx)

    viewer = {**HTML, **bearer(client, make_user("viewer", role="viewer"))}
    read_only = client.get(PAGE, headers=viewer, params={"day": day})
    assert "Cyrus" in read_only.text and "/status" not in read_only.text  # a viewer gets no marking forms
    assert client.post(f"{PAGE}/{ids[2]}/status", headers=viewer,
                       data={"status": "seen", "csrf_token": token}).status_code in (403, 401)
    assert client.get(PAGE, headers=HTML, follow_redirects=False).status_code in (302, 303, 307)


def test_staff_create_move_and_cancel_on_the_page(client: TestClient, ctx: AppContext,
                                                  make_user: Callable[..., str]) -> None:
    office = ctx.deployment.office("skarholmen")
    day = (utcnow() + timedelta(days=2)).astimezone(office.tz).date().isoformat()
    guide = {**HTML, **bearer(client, make_user("guide"))}
    page = client.get(PAGE, headers=guide, params={"day": day, "lang": "sv"})
    assert 'id="new-appointment"' in page.text and "Nytt bokat möte" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    made = client.post(f"{PAGE}/new", headers=guide, follow_redirects=False, data={
        "with": "officer:a-lind", "day": day, "starts": "10:00", "ends": "10:30", "first_name": "Amal",
        "email": "amal@example.org", "language": "ar", "csrf_token": token, "back": f"day={day}"})
    assert made.status_code == 303 and made.headers["location"] == f"{PAGE}?day={day}"
    with ctx.db.session() as session:
        [row] = service.day_list(session, office, date.fromisoformat(day))
        appointment_id, code = row.id, row.code
        assert (row.officer_id, row.source, row.email, row.language) == ("a-lind", "staff", "amal@example.org", "ar")
        assert row.start.astimezone(office.tz).strftime("%H:%M") == "10:00"
    listed = client.get(PAGE, headers=guide, params={"day": day, "lang": "sv"}).text
    assert f"<td>{code}</td>" in listed and f'id="move-{appointment_id}-day"' in listed  # the code to give
    by_unit = client.get(PAGE, headers=guide, params={"day": day, "unit": "social", "lang": "sv"}).text
    assert '<option value="social" selected>' in by_unit and "Enhet" in by_unit and f"<td>{code}</td>" in by_unit

    moved = client.post(f"{PAGE}/{appointment_id}/move", headers=guide, follow_redirects=False, data={
        "day": day, "starts": "13:00", "ends": "13:45", "csrf_token": token, "back": f"day={day}"})
    assert moved.status_code == 303
    with ctx.db.session() as session:
        row = service.get(session, office, appointment_id)
        assert (f"{row.start.astimezone(office.tz):%H:%M}", f"{row.end.astimezone(office.tz):%H:%M}") == (
            "13:00", "13:45")
    bad = client.post(f"{PAGE}/{appointment_id}/move", headers=guide,
                      data={"day": day, "starts": "14:00", "ends": "13:00", "csrf_token": token})
    assert bad.status_code == 422
    assert client.post(f"{PAGE}/new", headers=guide, data={
        "with": "officer:nobody", "day": day, "starts": "10:00", "ends": "10:30", "csrf_token": token,
    }).status_code == 422

    cancelled = client.post(f"{PAGE}/{appointment_id}/status", headers=guide, follow_redirects=False,
                            data={"status": "cancelled", "csrf_token": token, "back": f"day={day}"})
    assert cancelled.status_code == 303
    after = client.get(PAGE, headers=guide, params={"day": day, "lang": "sv"}).text
    assert 'data-status="cancelled"' in after and f'id="move-{appointment_id}-day"' not in after
    drain_events(ctx)

    viewer = {**HTML, **bearer(client, make_user("viewer", role="viewer"))}
    assert 'id="new-appointment"' not in client.get(PAGE, headers=viewer, params={"day": day}).text
    assert client.post(f"{PAGE}/new", headers=viewer, data={
        "with": "officer:a-lind", "day": day, "starts": "11:00", "ends": "11:30", "csrf_token": token,
    }).status_code == 403
    with ctx.db.session() as session:
        assert len(service.day_list(session, office, date.fromisoformat(day))) == 1


FORM_PROBLEMS = {  # what the day's forms answer, by the page's language
    "sv": ["ange början och slutet som TT:MM", "slutet måste vara efter början",
           "ingen handläggare 'nobody' på kontoret (handläggare: a-lind, k-hassan)",
           "Kontrollera telefonnumret eller e-postadressen.", "ett möte som är inställt kan inte flyttas",
           "ett möte som är inställt kan inte bli klar"],
    "ar": ["أدخل البداية والنهاية بالشكل HH:MM", "يجب أن تكون النهاية بعد البداية",
           "لا يوجد موظف 'nobody' في هذا المكتب (الموظفون: a-lind, k-hassan)",
           "يرجى التحقق من رقم الهاتف أو البريد الإلكتروني.", "لا يمكن نقل موعد حالته ملغى",
           "لا يمكن لموعد حالته ملغى أن يصبح تمت المقابلة"],
}


def problem_of(page: str) -> str:
    found = re.search(r'<p class="mbk-error-detail">(.*?)</p>', page)
    assert found, page
    return html.unescape(found.group(1))


def test_the_day_forms_say_what_is_wrong_in_the_pages_language(client: TestClient, ctx: AppContext,
                                                               make_user: Callable[..., str]) -> None:
    office = ctx.deployment.office("skarholmen")
    day = (utcnow() + timedelta(days=2)).astimezone(office.tz).date().isoformat()
    guide = {**HTML, **bearer(client, make_user("guide"))}
    token = re.search(r'name="csrf_token" value="([^"]+)"',  # type: ignore[union-attr]
                      client.get(PAGE, headers=guide, params={"day": day}).text).group(1)
    meeting = {"with": "officer:a-lind", "day": day, "starts": "10:00", "ends": "10:30", "csrf_token": token}
    client.post(f"{PAGE}/new", headers=guide, data=meeting)
    with ctx.db.session() as session:
        [row] = service.day_list(session, office, date.fromisoformat(day))
        cancelled = service.set_status(session, office, row.id, "cancelled").id
        session.commit()
    drain_events(ctx)
    for language, expected in FORM_PROBLEMS.items():
        answers = [
            client.post(f"{PAGE}/new", headers=guide, params={"lang": language}, data={**meeting, "starts": "25:00"}),
            client.post(f"{PAGE}/new", headers=guide, params={"lang": language}, data={**meeting, "ends": "09:00"}),
            client.post(f"{PAGE}/new", headers=guide, params={"lang": language},
                        data={**meeting, "with": "officer:nobody"}),
            client.post(f"{PAGE}/new", headers=guide, params={"lang": language}, data={**meeting, "phone": "call me"}),
            client.post(f"{PAGE}/{cancelled}/move", headers=guide, params={"lang": language}, data=meeting),
            client.post(f"{PAGE}/{cancelled}/status", headers=guide, params={"lang": language},
                        data={"status": "seen", "csrf_token": token})]
        assert [problem_of(a.text) for a in answers] == expected, language
        assert [a.status_code for a in answers] == [422, 422, 422, 422, 409, 409]
        assert f'lang="{language}"' in answers[0].text
