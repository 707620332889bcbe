"""Helpers for the kiosk's browser tests (tests/browser/test_kiosk_*.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from core import devices
from tests.support import LiveServer

DEMO = Path(__file__).resolve().parents[3] / "deployments" / "demo"


def enrol_kiosk(page: Any, server: LiveServer, office: str = "skarholmen") -> None:
    """Enrol the browser as a kiosk of ``office`` the way an IT admin does: through a one-time link."""
    with server.ctx.db.session() as session:
        device, _token = devices.enrol_device(session, office, "kiosk", "Entrance screen")
        code = devices.new_enrolment_code(device)
    page.goto(f"{server.url}/{office}/enrol?code={code}")
    assert page.url.startswith(f"{server.url}/{office}/kiosk"), page.url


def quick_reset_deployment(target: Path, inactivity: int, warning: int) -> Path:
    """The demo deployment with a short kiosk inactivity time (for the reset test)."""
    shutil.copytree(DEMO, target)
    office = target / "offices" / "skarholmen.toml"
    text = office.read_text()
    assert "inactivity_seconds = 90\nwarning_seconds = 20\n" in text
    office.write_text(text.replace("inactivity_seconds = 90\nwarning_seconds = 20\n",
                                   f"inactivity_seconds = {inactivity}\nwarning_seconds = {warning}\n"))
    return target


def visible(page: Any, selector: str, timeout: float = 5000) -> Any:
    page.wait_for_selector(selector, state="visible", timeout=timeout)
    return page.locator(selector)


def unreadable_text(page: Any, results: dict[str, Any] | None = None) -> list[str]:
    """Text axe-core could not clear for contrast because it measured a ratio (e.g. text the colour of its
    background, 1:1): axe files those under "incomplete", not violations, so they are checked here. ``results``:
    a full axe run of the page as it is now (it includes the contrast rule), instead of running it again."""
    from tests.axe import run_axe

    results = results or run_axe(page, {"type": "rule", "values": ["color-contrast"]})
    return [f"{node['target']}: {check['message']}" for rule in results["incomplete"] for node in rule["nodes"]
            for check in node["any"] if "contrast ratio" in check.get("message", "")]


def printer_deployment(target: Path, address: str, device: str = "Entrance screen") -> Path:
    """The demo deployment with a receipt printer at ``address`` beside the kiosk ``enrol_kiosk`` enrols."""
    shutil.copytree(DEMO, target)
    office = target / "offices" / "skarholmen.toml"
    text = office.read_text()
    assert "\n[plugins.kiosk]\n" in text
    printers = f'printers = [{{ device = "{device}", address = "{address}" }}]'
    office.write_text(text.replace("\n[plugins.kiosk]\n", f"\n[plugins.kiosk]\n{printers}\n"))
    return target
