"""Queue settings: defaults work with no section, cross-references are checked with their key paths."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.config import ConfigError
from core.loading import load_deployment
from plugins.queue.settings import QueueSettings
from tests.plugins.queue.support import OFFICE, write_deployment
from tests.support import builtin_plugins


def problems(tmp_path: Path, extra: str = "", office: str | None = None) -> list[str]:
    root = write_deployment(tmp_path / "dep", extra, office)
    with pytest.raises(ConfigError) as caught:
        load_deployment(root, builtin_plugins())
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_an_office_may_enable_the_queue_without_settings() -> None:
    settings = QueueSettings()
    assert [s.prefix for s in settings.services] == ["A"] and settings.service_for(None).id == "general"


def test_demo_settings_load(tmp_path: Path) -> None:
    root = write_deployment(tmp_path / "dep", 'categories = { housing = "guidance" }\ndefault_service = "info"')
    settings = load_deployment(root, builtin_plugins()).office("test").settings_for("queue")
    assert settings.service_for("housing").id == "guidance"
    assert settings.service_for("something-else").id == "info"
    assert [s.id for s in settings.services_at("desk-2")] == ["info", "guidance"]


def test_duplicate_prefixes_and_unknown_counters_are_named_by_key_path(tmp_path: Path) -> None:
    office = OFFICE.format(extra="").replace('prefix = "B"', 'prefix = "A"').replace(
        'counters = ["desk-2"]', 'counters = ["desk-2", "desk-9"]')
    found = problems(tmp_path, office=office)
    assert any(p.startswith("plugins.queue.services[1].prefix: prefix 'A' is already used by services[0]")
               for p in found), found
    assert any(p.startswith("plugins.queue.services[1].counters[1]: unknown counter 'desk-9'") for p in found), found


def test_categories_default_service_and_announcements_must_exist(tmp_path: Path) -> None:
    found = problems(tmp_path, 'categories = { housing = "nope" }\ndefault_service = "gone"\n'
                               'announce_languages = ["fi"]')
    assert "plugins.queue.categories.housing: unknown service 'nope'" in found
    assert "plugins.queue.default_service: unknown service 'gone'" in found
    assert any(p.startswith("plugins.queue.announce_languages[0]: 'fi' is not one of") for p in found)


def test_field_errors_carry_the_key_path(tmp_path: Path) -> None:
    office = OFFICE.format(extra="near_position = 0").replace('prefix = "B"', 'prefix = "b1"')
    found = problems(tmp_path, office=office)
    assert any(p.startswith("plugins.queue.services[1].prefix:") for p in found), found
    assert any(p.startswith("plugins.queue.near_position:") for p in found), found


def test_opening_hours() -> None:
    settings = QueueSettings.model_validate({"services": [{
        "id": "info", "prefix": "A", "name": {"sv": "Info"}, "counters": ["desk-1"],
        "hours": [{"days": ["mon", "tue"], "opens": "08:00", "closes": "16:30"}]}]})
    info = settings.services[0]
    tz = ZoneInfo("Europe/Stockholm")
    assert info.is_open(datetime(2026, 11, 23, 8, 0, tzinfo=tz))  # a Monday
    assert not info.is_open(datetime(2026, 11, 23, 16, 30, tzinfo=tz))
    assert not info.is_open(datetime(2026, 11, 25, 10, 0, tzinfo=tz))  # a Wednesday
    with pytest.raises(ValueError, match="opens must be before closes"):
        QueueSettings.model_validate({"services": [{"id": "x", "prefix": "A", "name": {"sv": "X"},
                                                    "hours": [{"opens": "10:00", "closes": "09:00"}]}]})
