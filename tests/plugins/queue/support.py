"""A small deployment with one office whose queue settings a test chooses."""

from __future__ import annotations

from pathlib import Path

PLATFORM = '[platform]\nname = { sv = "Test" }\n'
OFFICE = """
[office]
id = "test"
name = {{ sv = "Testkontoret", en = "Test office" }}
timezone = "Europe/Stockholm"
languages = ["sv", "en", "ar"]

[plugins]
enabled = ["queue"]

[plugins.queue]
counters = [
  {{ id = "desk-1", name = {{ sv = "Disk 1", en = "Desk 1" }} }},
  {{ id = "desk-2", name = {{ sv = "Disk 2", en = "Desk 2" }} }},
]
services = [
  {{ id = "info", prefix = "A", name = {{ sv = "Info", en = "Info" }}, counters = ["desk-1", "desk-2"] }},
  {{ id = "guidance", prefix = "B", name = {{ sv = "Vägledning", en = "Guidance" }}, counters = ["desk-2"] }},
  {{ id = "computers", prefix = "D", name = {{ sv = "Datorer", en = "Computers" }}, seats = 2 }},
]
{extra}
"""


def write_deployment(root: Path, extra: str = "", office: str | None = None) -> Path:
    (root / "offices").mkdir(parents=True, exist_ok=True)
    (root / "platform.toml").write_text(PLATFORM, encoding="utf-8")
    (root / "offices" / "test.toml").write_text(office or OFFICE.format(extra=extra), encoding="utf-8")
    return root
