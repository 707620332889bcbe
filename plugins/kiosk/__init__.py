"""The kiosk plugin (skeleton: being built)."""

from pathlib import Path

from core.plugins import Plugin, hookimpl
from plugins.kiosk.settings import KioskSettings

HERE = Path(__file__).resolve().parent


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="kiosk", version="0.1.0", settings_model=KioskSettings, migrations=HERE / "migrations",
                  locale=HERE / "locale")
