"""The queue plugin (skeleton: being built)."""

from pathlib import Path

from core.plugins import Plugin, hookimpl
from plugins.queue.settings import QueueSettings

HERE = Path(__file__).resolve().parent


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="queue", version="0.1.0", settings_model=QueueSettings, migrations=HERE / "migrations",
                  locale=HERE / "locale")
