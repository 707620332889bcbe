"""Alembic wiring: one environment in core, version folders from every installed plugin."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine

from core.db import Base, Database
from core.plugins import PluginManager

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None, plugins: PluginManager) -> Config:
    """Alembic's configuration; ``engine`` None for commands that touch no database (a new revision)."""
    import core.auth
    import core.devices
    import core.events
    import core.people  # noqa: F401  (core's own tables must be on the metadata autogenerate compares)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_locations", " ".join(version_locations(plugins)))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    cfg.attributes["table_prefixes"] = table_prefixes(plugins)
    return cfg


def new_revision(plugins: PluginManager, plugin: str, message: str) -> Script:
    """Write an empty revision on ``plugin``'s branch (after its head), in the plugin's migrations folder."""
    spec = plugins.plugins.get(plugin)
    if spec is None:
        raise ValueError(f"no plugin {plugin!r} is installed (plugins: {', '.join(sorted(plugins.plugins)) or 'none'})")
    if spec.migrations is None:
        raise ValueError(f"plugin {plugin!r} has no migrations folder (Plugin.migrations)")
    script = command.revision(alembic_config(None, plugins), message=message, head=f"{plugin}@head",
                              version_path=str(spec.migrations))
    assert isinstance(script, Script)  # one head given, so one script
    _script_directory.cache_clear()  # the folders now hold one more revision
    return script


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


# --- Drift: models that differ from their migrations -----------------------------------------------------


def schema_drift(engine: Engine, plugins: PluginManager) -> list[str]:
    """Where the models of core and the installed plugins differ from the tables in the database (what
    autogenerate would write into a new migration): one line per difference, naming the table and column."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": table_filter(table_prefixes(plugins)),
                                                         "compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    return [describe_diff(diff) for diff in _flatten(diffs)]


def migrations_drift(plugins: PluginManager) -> list[str]:
    """Drift between the models and their migrations, without touching any real database: the migrations are
    applied to a scratch SQLite database and the models compared with what they made."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mbk-drift-") as folder:
        scratch = Database(f"sqlite:///{Path(folder) / 'scratch.db'}")
        try:
            upgrade(scratch.engine, plugins)
            return schema_drift(scratch.engine, plugins)
        finally:
            scratch.dispose()


def _flatten(diffs: list[Any]) -> list[Any]:
    # Column changes come grouped in a list per column; everything else is one tuple.
    return [item for diff in diffs for item in (diff if isinstance(diff, list) else [diff])]


def describe_diff(diff: tuple[Any, ...]) -> str:
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        table = diff[1].name
        return (f"table {table}: in the models, but no migration creates it" if kind == "add_table"
                else f"table {table}: created by a migration, but no model declares it")
    if kind in ("add_column", "remove_column"):
        table, column = diff[2], diff[3].name
        return (f"table {table}: column {column} is in the model, but no migration adds it" if kind == "add_column"
                else f"table {table}: column {column} is made by a migration, but the model has no such column")
    if kind.startswith("modify_"):
        table, column, existing, model = diff[2], diff[3], diff[5], diff[6]
        return (f"table {table}: column {column}: {kind.removeprefix('modify_')} is {model!r} in the model "
                f"but {existing!r} in the migrations")
    item = diff[1]
    owner = getattr(getattr(item, "table", None), "name", None) or getattr(getattr(item, "parent", None), "name", "?")
    where = "in the model, but in no migration" if kind.startswith("add_") else "in a migration, but not the model"
    return f"table {owner}: {kind.split('_', 1)[1]} {item.name} is {where}"
