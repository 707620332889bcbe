"""The import from staff (demo deployment, SQLite and PostgreSQL): a case-management system's CSV or JSON sent to
``POST /api/v1/offices/{office}/appointments/import`` as the body or as an uploaded file, or uploaded on the day
page. The importer's rules hold as for `mbk appointments import`: every bad row named, nothing written when one
is bad, a known id moved and never added twice. Only the office's admins, officers and guides may import."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core.auth import AuditEntry
from core.context import AppContext
from plugins.appointments.models import Appointment
from tests.support import bearer, device_header

API = "/api/v1/offices/skarholmen/appointments"
PAGE = "/skarholmen/appointments"
HTML = {"accept": "text/html"}
HEADER = "id,start,end,officer,unit,service,first_name,email,phone,language\n"
GOOD = HEADER + ("fk-1,2026-05-04 10:00,2026-05-04 10:30,a-lind,,,Amal,amal@example.org,,ar\n"
                 "fk-2,2026-05-04T11:00+02:00,2026-05-04T11:30+02:00,k-hassan,,,,,,\n")
BAD = HEADER + ("fk-3,2026-05-04 12:00,2026-05-04 12:30,a-lind,,,,,,\n"
                "fk-4,tomorrow,2026-05-04 11:30,a-lind,,,,,,\n"
                "fk-5,2026-05-04 12:00,2026-05-04 11:00,nobody,,,,,,\n")


def count(ctx: AppContext) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


def test_csv_and_json_bodies_and_uploads_are_imported(client: TestClient, ctx: AppContext,
                                                      make_user: Callable[..., str]) -> None:
    guide = bearer(client, make_user("guide"))
    sent = client.post(f"{API}/import", headers={**guide, "content-type": "text/csv; charset=utf-8"},
                       content=GOOD.encode())
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"added": 2, "moved": 0, "unchanged": 0}
    listed = client.get(API, headers=guide, params={"day": "2026-05-04"}).json()
    assert [(a["officer"], a["source"], a["first_name"]) for a in listed] == [
        ("a-lind", "import", "Amal"), ("k-hassan", "import", None)]
    assert all(re.fullmatch(r"\d{6}", a["code"]) for a in listed)

    moved = [{"id": "fk-1", "start": "2026-05-04T10:15", "end": "2026-05-04T10:45", "officer": "a-lind"},
             {"id": "fk-9", "start": "2026-05-04T14:00", "end": "2026-05-04T14:30", "officer": "a-lind"}]
    assert client.post(f"{API}/import", headers=guide, json=moved).json() == {"added": 1, "moved": 1, "unchanged": 0}
    uploaded = client.post(f"{API}/import", headers=guide,
                           files={"file": ("bookings.csv", GOOD.encode(), "application/octet-stream")})
    assert uploaded.json() == {"added": 0, "moved": 1, "unchanged": 1}  # fk-1 back at 10:00
    assert count(ctx) == 3
    with ctx.db.session() as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "appointment.import")).all()
        assert [(a.actor, a.detail) for a in audited][-1] == ("user:guide", {"added": 0, "moved": 1, "unchanged": 1})
        assert "Amal" not in json.dumps([a.detail for a in audited])  # counts only, never a visitor's data


def test_a_bad_row_refuses_the_file_naming_each_problem_and_writes_nothing(client: TestClient, ctx: AppContext,
                                                                          make_user: Callable[..., str]) -> None:
    officer = bearer(client, make_user("officer", role="officer"))
    refused = client.post(f"{API}/import", headers={**officer, "content-type": "text/csv"}, content=BAD.encode())
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_import"
    lines = refused.json()["detail"].splitlines()
    assert lines[0] == "line 3: start: not a date and time (write it like 2026-05-04 09:30)"
    assert lines[1:] == ["line 4: end must be after start",
                         "line 4: no officer 'nobody' at this office (officers: a-lind, k-hassan)"]
    assert count(ctx) == 0  # not even the good first row
    for headers, body, message in [
            ({"content-type": "text/plain"}, b"x", "name a .csv or a .json file"),
            ({"content-type": "application/json"}, b'{"id": 1}', "expected a list of objects"),
            ({"content-type": "text/csv"}, b"when,who\n1,2\n", "unknown columns when, who"),
            ({"content-type": "text/csv"}, b"\xff\xfe", "not UTF-8 text"),
            # lines the csv module cannot split: a lone carriage return, a field past its size limit
            ({"content-type": "text/csv"}, b"id,st\rart\n", "not CSV (line 1: new-line character seen"),
            ({"content-type": "text/csv"}, b"id\n" + b"x" * 200_000, "not CSV (line 2: field larger than")]:
        answer = client.post(f"{API}/import", headers={**officer, **headers}, content=body)
        assert answer.status_code == 422 and message in answer.json()["detail"], answer.text
    no_file = client.post(f"{API}/import", headers=officer, files={"other": ("a.csv", GOOD.encode(), "text/csv")})
    assert no_file.status_code == 422 and no_file.json()["error"] == "no_file"
    assert count(ctx) == 0


def problems_on(page: str) -> list[str]:
    """The problems the import page lists, one per bad row and problem."""
    listed = re.search(r'id="import-problems">(.*?)</div>', page, re.S)
    return [html.unescape(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", listed.group(1))] if listed else []


def test_only_the_offices_staff_who_edit_may_import(client: TestClient, ctx: AppContext,
                                                    make_user: Callable[..., str]) -> None:
    csv = {"content-type": "text/csv"}
    viewer = bearer(client, make_user("viewer", role="viewer"))
    elsewhere = bearer(client, make_user("rinkeby-admin", office="rinkeby", role="admin"))
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    assert client.post(f"{API}/import", headers=csv, content=GOOD.encode()).status_code == 401
    for refused in (viewer, elsewhere, kiosk):
        assert client.post(f"{API}/import", headers={**refused, **csv}, content=GOOD.encode()).status_code == 403
    # Rinkeby's admin cannot import into Skärholmen through their own office's path either: the rows name
    # Skärholmen's officers, unknown at Rinkeby
    answer = client.post("/api/v1/offices/rinkeby/appointments/import", headers={**elsewhere, **csv},
                         content=GOOD.encode())
    assert answer.status_code == 422 and "no officer 'a-lind' at this office" in answer.json()["detail"]
    assert count(ctx) == 0


def test_staff_upload_a_file_on_the_day_page(client: TestClient, ctx: AppContext,
                                             make_user: Callable[..., str]) -> None:
    guide = {**HTML, **bearer(client, make_user("guide"))}
    day = client.get(f"{PAGE}/day", headers=guide, params={"day": "2026-05-04", "lang": "sv"})
    assert 'id="import-form"' in day.text and "Importera bokade möten" in day.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', day.text).group(1)  # type: ignore[union-attr]

    bad = client.post(f"{PAGE}/import", headers=guide, params={"lang": "sv"}, data={"csrf_token": token},
                      files={"file": ("bookings.csv", BAD.encode(), "text/csv")})
    assert bad.status_code == 422
    assert "Inget importerades. Rätta de här raderna och försök igen:" in bad.text
    # each row's problems in the page's language too, not only the heading
    assert problems_on(bad.text) == ["rad 3: start: inte ett datum och en tid (skriv till exempel 2026-05-04 09:30)",
                                     "rad 4: slutet måste vara efter början",
                                     "rad 4: ingen handläggare 'nobody' på kontoret (handläggare: a-lind, k-hassan)"]
    assert count(ctx) == 0
    in_arabic = client.post(f"{PAGE}/import", headers=guide, params={"lang": "ar"}, data={"csrf_token": token},
                            files={"file": ("bookings.csv", BAD.encode(), "text/csv")})
    assert problems_on(in_arabic.text)[1] == "السطر 4: يجب أن تكون النهاية بعد البداية"

    done = client.post(f"{PAGE}/import", headers=guide, params={"lang": "ar"}, data={"csrf_token": token},
                       files={"file": ("bookings.csv", GOOD.encode(), "text/csv")})
    assert done.status_code == 200
    assert "تم الاستيراد: أضيف 2، ونُقل 0، وبقي 0 دون تغيير." in done.text and count(ctx) == 2

    forged = client.post(f"{PAGE}/import", headers=guide, data={"csrf_token": "forged"},
                         files={"file": ("bookings.csv", GOOD.encode(), "text/csv")})
    assert forged.status_code == 403
    viewer = {**HTML, **bearer(client, make_user("viewer", role="viewer"))}
    read_only = client.get(f"{PAGE}/day", headers=viewer, params={"day": "2026-05-04"})
    assert 'id="import-form"' not in read_only.text
    assert client.post(f"{PAGE}/import", headers=viewer, data={"csrf_token": token},
                       files={"file": ("bookings.csv", GOOD.encode(), "text/csv")}).status_code == 403
    assert count(ctx) == 2
