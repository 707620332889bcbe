"""`mbk check` validates the calendar settings: URL form, officers and units that exist, credentials named and
set; and the other settings' bounds, each with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import cli as mbk
from core import cli_support
from core.config import ConfigError
from core.loading import load_deployment
from tests.plugins.appointments.support import appointments_only, write_deployment


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_deployment(root, appointments_only())
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_defaults_and_a_full_section_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBK_TEST_CALDAV", "secret")
    root = write_deployment(tmp_path, """
calendars = [
  { officer = "a-lind", url = "https://calendar.example.org/a-lind.ics" },
  { unit = "social", url = "http://127.0.0.1:5232/social/", username = "sync", password_env = "MBK_TEST_CALDAV" },
]
arrival = { early_minutes = 20, late_minutes = 10 }
[[plugins.appointments.services]]
id = "tax-help"
name = { sv = "Deklaration" }
online = true
capacity = 2
hours = [{ days = ["mon"], opens = "09:00", closes = "12:00" }]
""")
    settings = load_deployment(root, appointments_only()).office("test").settings_for("appointments")
    assert [c.protocol for c in settings.calendars] == ["ics", "caldav"]
    assert settings.reminders_minutes_before == (1440, 120) and settings.arrival.late_minutes == 10
    assert settings.service("tax-help").capacity == 2


def test_calendar_problems_are_named_with_key_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MBK_UNSET_PASSWORD", raising=False)
    root = write_deployment(tmp_path, """
calendars = [
  { officer = "nobody", url = "https://calendar.example.org/x.ics" },
  { unit = "nowhere", url = "https://calendar.example.org/y.ics" },
  { officer = "a-lind", url = "https://dav.example.org/", username = "sync", password_env = "MBK_UNSET_PASSWORD" },
  { officer = "a-lind", url = "https://calendar.example.org/z.ics" },
  { officer = "a-lind", url = "https://calendar.example.org/z.ics" },
]
services = [{ id = "help", name = { sv = "Hjälp" }, officer = "ghost" }]
""")
    assert problems(root) == [
        "plugins.appointments.calendars[0].officer: unknown officer 'nobody' (directory: a-lind)",
        "plugins.appointments.calendars[1].unit: unknown unit 'nowhere' (directory: social)",
        "plugins.appointments.calendars[2].password_env: environment variable MBK_UNSET_PASSWORD is not set",
        "plugins.appointments.calendars[4].url: the same calendar as calendars[3]",
        "plugins.appointments.services[0].officer: unknown officer 'ghost' (directory: a-lind)",
    ]


@pytest.mark.parametrize(("settings", "expected"), [
    ('calendars = [{ officer = "a-lind", url = "ftp://example.org/cal.ics" }]',
     "plugins.appointments.calendars[0].url: not an http(s) URL: 'ftp://example.org/cal.ics'"),
    ('calendars = [{ officer = "a-lind", url = "calendar.ics" }]',
     "plugins.appointments.calendars[0].url: not an http(s) URL: 'calendar.ics'"),
    ('calendars = [{ officer = "a-lind", unit = "social", url = "https://example.org/c.ics" }]',
     "plugins.appointments.calendars[0]: a calendar belongs to exactly one of 'officer' or 'unit'"),
    ('calendars = [{ officer = "a-lind", url = "https://example.org/", username = "sync" }]',
     "plugins.appointments.calendars[0]: a CalDAV calendar needs both 'username' and 'password_env'"),
    ('calendars = [{ officer = "a-lind", url = "https://example.org/", username = "u", password_env = "secret" }]',
     "plugins.appointments.calendars[0].password_env: String should match pattern"),
    ("reminders_minutes_before = [1440, 1440]",
     "plugins.appointments.reminders_minutes_before: a reminder time is listed twice"),
    ('services = [{ id = "x", name = { sv = "X" }, online = true }]',
     "plugins.appointments.services[0]: a service booked online needs its booking hours ('hours')"),
    ("arrival = { early_minutes = -5 }",
     "plugins.appointments.arrival.early_minutes: Input should be greater than or equal to 0"),
])
def test_bad_values_are_named(tmp_path: Path, settings: str, expected: str) -> None:
    found = problems(write_deployment(tmp_path, settings))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_mbk_check_prints_the_problem_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_deployment(tmp_path, 'calendars = [{ unit = "nowhere", url = "https://example.org/c.ics" }]')
    monkeypatch.setattr(cli_support, "load_plugins", appointments_only)
    result = CliRunner().invoke(mbk.cli, ["check", "--deployment", str(root)])
    assert result.exit_code == 2
    assert "plugins.appointments.calendars[0].unit: unknown unit 'nowhere'" in result.output
