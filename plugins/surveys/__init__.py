"""The surveys plugin (skeleton: being built)."""

from pathlib import Path

from core.plugins import Plugin, hookimpl
from plugins.surveys.settings import SurveysSettings

HERE = Path(__file__).resolve().parent


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="surveys", version="0.1.0", settings_model=SurveysSettings, migrations=HERE / "migrations",
                  locale=HERE / "locale")
