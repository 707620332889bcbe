"""The officer's day page (demo deployment, SQLite and PostgreSQL): expected, arrived since, seen, no-show;
marking from the page; stale calendars shown; staff only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

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
