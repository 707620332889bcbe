"""`mbk appointments import FILE --office ID` (SQLite and PostgreSQL): a case-management system's CSV or JSON
file becomes appointments with booking codes; a bad row refuses the whole file with every problem named by its
line, and nothing is written; a re-import of the same ids moves what moved and adds nothing twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from core import cli_support
from core.context import AppContext
from plugins.appointments import service
from plugins.appointments.models import Appointment
from tests.plugins.appointments.calendars import local
from tests.plugins.appointments.support import write_deployment
from tests.support import builtin_plugins

SERVICE = """
[[plugins.appointments.services]]
id = "tax-help"
name = { sv = "Deklarationshjälp", en = "Tax return help" }
"""
HEADER = "id,start,end,officer,unit,service,first_name,email,phone,language\n"


@pytest.fixture
def office_ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    return make_context(deployment=write_deployment(tmp_path / "deployment", SERVICE))


@pytest.fixture
def run(office_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    monkeypatch.setattr(cli_support, "load_plugins", builtin_plugins)
    monkeypatch.setenv("MBK_DATABASE_URL", office_ctx.settings.database_url)
    command = typer.Typer()
    builtin_plugins().hook.mbk_cli(cli=command)  # as `mbk` adds the plugins' commands

    def invoke(*args: str) -> object:
        return CliRunner().invoke(command, ["appointments", "import", *args,
                                            "--deployment", str(office_ctx.deployment.root)])

    return invoke


def day(ctx: AppContext) -> list[Appointment]:
    with ctx.db.session() as session:
        rows = service.day_list(session, ctx.deployment.office("test"), date(2026, 5, 4))
        session.expunge_all()
        return rows


def count(ctx: AppContext) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


def test_a_csv_file_becomes_appointments_and_a_reimport_moves_them(office_ctx: AppContext, run: Callable[..., object],
                                                                   tmp_path: Path) -> None:
    file = tmp_path / "bookings.csv"
    file.write_text(HEADER + "fk-1,2026-05-04 10:00,2026-05-04 10:30,a-lind,,,Amal,amal@example.org,,ar\n"
                    "fk-2,2026-05-04T11:00+02:00,2026-05-04T11:30+02:00,,social,,,,,\n"
                    ",2026-05-04 13:00,2026-05-04 13:20,,,tax-help,,,+46701234567,\n", encoding="utf-8")
    result = run(str(file), "--office", "test")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "test: 3 added, 0 moved, 0 unchanged" in result.output  # type: ignore[attr-defined]
    rows = day(office_ctx)
    assert [(r.start, r.officer_id, r.unit_id, r.service_id, r.source) for r in rows] == [
        (local("2026-05-04 10:00"), "a-lind", "social", None, "import"),
        (local("2026-05-04 11:00"), None, "social", None, "import"),
        (local("2026-05-04 13:00"), None, None, "tax-help", "import")]
    assert all(r.code and len(r.code) == 6 for r in rows)
    assert (rows[0].first_name, rows[0].email, rows[0].language) == ("Amal", "amal@example.org", "ar")

    file.write_text(HEADER + "fk-1,2026-05-04 10:15,2026-05-04 10:45,a-lind,,,Amal,amal@example.org,,ar\n"
                    "fk-2,2026-05-04T11:00+02:00,2026-05-04T11:30+02:00,,social,,,,,\n", encoding="utf-8")
    again = run(str(file), "--office", "test")
    assert "test: 0 added, 1 moved, 1 unchanged" in again.output  # type: ignore[attr-defined]
    assert [r.start for r in day(office_ctx)][:2] == [local("2026-05-04 10:15"), local("2026-05-04 11:00")]
    assert count(office_ctx) == 3


def test_a_bad_row_refuses_the_whole_file_naming_every_problem(office_ctx: AppContext,
                                                               run: Callable[..., object], tmp_path: Path) -> None:
    file = tmp_path / "bookings.csv"
    file.write_text(HEADER + "fk-1,2026-05-04 10:00,2026-05-04 10:30,a-lind,,,Amal,,,\n"
                    "fk-2,tomorrow,2026-05-04 11:30,a-lind,,,,,,\n"
                    "fk-3,2026-05-04 12:00,2026-05-04 11:00,nobody,,,,,,\n"
                    "fk-1,2026-05-04 14:00,2026-05-04 14:30,a-lind,,,,,,xx\n"
                    "fk-6,2026-05-04 15:00,2026-05-04 15:30,a-lind,,,,not-an-address,,\n", encoding="utf-8")
    result = run(str(file), "--office", "test")
    assert result.exit_code == 1
    lines = result.output.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "error: nothing imported:"
    assert lines[1] == "line 3: start: not a date and time (write it like 2026-05-04 09:30)"
    assert lines[2:4] == ["line 4: end must be after start",
                          "line 4: no officer 'nobody' at this office (officers: a-lind)"]
    assert lines[4:6] == ["line 5: language: 'xx' is not one of the office's (sv, en, ar)",
                          "line 5: id: 'fk-1' is also on line 2"]
    assert lines[6] == "line 6: email: not an e-mail address"
    assert len(lines) == 7
    assert count(office_ctx) == 0  # not even the good first row


def test_a_json_file_and_file_level_refusals(office_ctx: AppContext, run: Callable[..., object],
                                             tmp_path: Path) -> None:
    file = tmp_path / "bookings.json"
    file.write_text(json.dumps([{"id": "j-1", "start": "2026-05-04T09:00", "end": "2026-05-04T09:30",
                                 "officer": "a-lind"}]), encoding="utf-8")
    assert "1 added" in run(str(file), "--office", "test").output  # type: ignore[attr-defined]
    for name, text, message in [
            ("bad.json", "{\"id\": 1}", "expected a list of objects"),
            ("bad2.json", "[{\"start\": \"2026-05-04T09:00\", \"end\": \"2026-05-04T09:30\", \"room\": 4}]",
             "item 1: room: not a field of the import (fields: id, start, end, officer,"),
            ("bad.csv", "when,who\n1,2\n", "unknown columns when, who"),
            ("bad.txt", "x", "name a .csv or a .json file"),
            ("huge.csv", "id\n" + "x" * 200_000, "not CSV (line 2: field larger than")]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        refused = run(str(tmp_path / name), "--office", "test")
        assert refused.exit_code == 1 and message in refused.output, refused.output  # type: ignore[attr-defined]
    assert count(office_ctx) == 1
    unknown = run(str(file), "--office", "nowhere")
    assert unknown.exit_code == 2 and "unknown office 'nowhere'" in unknown.output  # type: ignore[attr-defined]
