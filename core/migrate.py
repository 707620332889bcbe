"""Alembic wiring: one environment in core, version folders from every installed plugin."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from core.plugins import PluginManager

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine, plugins: PluginManager) -> Config:
    import core.auth
    import core.events  # noqa: F401  (core's own tables must be on the metadata autogenerate compares)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_locations", " ".join(version_locations(plugins)))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    cfg.attributes["table_prefixes"] = table_prefixes(plugins)
    return cfg


def version_locations(plugins: PluginManager) -> tuple[str, ...]:
    return (str(MIGRATIONS / "versions"), *(str(p.migrations) for p in plugins.plugins.values() if p.migrations))


def script_directory(plugins: PluginManager) -> ScriptDirectory:
    """The revisions of core and every plugin (read once per set of folders: /readyz asks often)."""
    return _script_directory(version_locations(plugins))


@lru_cache(maxsize=16)
def _script_directory(locations: tuple[str, ...]) -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS), version_locations=list(locations))


def table_prefixes(plugins: PluginManager) -> list[str]:
    """Every table belongs to core or to one plugin, and its name starts with that owner's prefix."""
    return ["core_"] + [f"{name}_" for name in sorted(plugins.plugins)]


def table_filter(prefixes: list[str] | tuple[str, ...]) -> Callable[..., bool]:
    """Alembic ``include_object``: only tables (and their parts) of core and the installed plugins.

    The shared metadata may hold tables of plugins imported but not installed here (a test's plugin);
    they are not this database's business.
    """
    wanted = tuple(prefixes)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return bool(name) and name.startswith(wanted)
        table = getattr(obj, "table", None)
        return table is None or table.name.startswith(wanted)

    return include_object


def upgrade(engine: Engine, plugins: PluginManager, target: str = "heads") -> None:
    command.upgrade(alembic_config(engine, plugins), target)


def downgrade(engine: Engine, plugins: PluginManager, target: str = "base") -> None:
    command.downgrade(alembic_config(engine, plugins), target)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def expected_heads(engine: Engine, plugins: PluginManager) -> set[str]:
    return set(script_directory(plugins).get_heads())


def _applied(engine: Engine, script: ScriptDirectory) -> set[str]:
    """Every revision in the database, including those reached through depends_on."""
    applied: set[str] = set()
    for current in current_heads(engine):
        applied |= {r.revision for r in script.iterate_revisions(current, "base")}
    return applied


def is_at_head(engine: Engine, plugins: PluginManager) -> bool:
    script = script_directory(plugins)
    return set(script.get_heads()) <= _applied(engine, script)


def branch_status(engine: Engine, plugins: PluginManager) -> list[tuple[str, str | None, str]]:
    """(branch label, current revision, head revision) for core and each plugin with migrations."""
    script = script_directory(plugins)
    applied = _applied(engine, script)
    rows = []
    for head in sorted(script.get_heads()):
        chain = []
        rev = script.get_revision(head)
        while rev is not None:  # follow down_revision only: depends_on links into another branch
            chain.append(rev)
            rev = script.get_revision(rev.down_revision) if isinstance(rev.down_revision, str) else None
        label = next((",".join(sorted(r.branch_labels)) for r in chain if r.branch_labels), head)
        here = next((r.revision for r in chain if r.revision in applied), None)
        rows.append((label, here, head))
    return rows
