"""A small deployment with one office whose appointments settings a test chooses, and a plugin manager with the
appointments plugin alone or beside the others."""

from __future__ import annotations

import json
from pathlib import Path

import plugins.appointments
from core.plugins import PluginManager

OFFICE = """
[office]
id = "test"
name = {{ sv = "Testkontoret", en = "Test office" }}
timezone = "Europe/Stockholm"
languages = ["sv", "en", "ar"]
{address}
[plugins]
enabled = {enabled}

[plugins.appointments]
{settings}

[[directory.units]]
id = "social"
name = {{ sv = "Socialtjänsten", en = "Social services" }}

[[directory.officers]]
id = "a-lind"
name = "Anna Lind"
unit = "social"
"""


def write_deployment(root: Path, settings: str = "", enabled: tuple[str, ...] = ("appointments",),
                     more: str = "", address: str | None = None) -> Path:
    """``settings``: the [plugins.appointments] section's body; ``more``: further sections (other plugins');
    ``address``: the office's street address."""
    (root / "offices").mkdir(parents=True, exist_ok=True)
    (root / "platform.toml").write_text('[platform]\nname = { sv = "Test" }\n', encoding="utf-8")
    office = OFFICE.format(settings=settings, enabled=json.dumps(list(enabled)),
                           address=f"address = {json.dumps(address)}\n" if address else "")
    (root / "offices" / "test.toml").write_text(office + more, encoding="utf-8")
    return root


def appointments_only() -> PluginManager:
    return PluginManager.from_objects({"appointments": plugins.appointments})
