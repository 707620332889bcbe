"""The notify plugin (skeleton: being built)."""

from pathlib import Path

from core.plugins import Plugin, hookimpl
from plugins.notify.settings import NotifySettings

HERE = Path(__file__).resolve().parent


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="notify", version="0.1.0", settings_model=NotifySettings, migrations=HERE / "migrations",
                  locale=HERE / "locale")
