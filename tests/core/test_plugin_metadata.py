"""Plugin metadata: the version from the installed package, the core versions a plugin supports, misspelt hooks,
and a new migration revision on a plugin's own branch."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

import core.cli
from core import cli_support
from core.contract import Plugin
from core.migrate import MIGRATIONS
from core.plugins import PluginLoadError, PluginManager, core_version, hookimpl


def plugin_object(register: Any, **hooks: Any) -> SimpleNamespace:
    return SimpleNamespace(mbk_register=hookimpl(register), **{name: hookimpl(f) for name, f in hooks.items()})


def test_a_plugin_version_comes_from_its_installed_package() -> None:
    manager = PluginManager.from_entry_points(only=["queue", "kiosk"])
    assert {p.version for p in manager.plugins.values()} == {importlib.metadata.version("medborgarkontor")}


def test_a_plugin_for_another_core_stops_start_up_with_a_clear_message() -> None:
    old = plugin_object(lambda: Plugin(name="old", version="2.3", core_versions="<0.0.1"))
    with pytest.raises(PluginLoadError) as refused:
        PluginManager.from_objects({"old": old})
    assert str(refused.value) == (f"plugin 'old' 2.3 supports core <0.0.1, but this is core {core_version()}: "
                                  f"install a version of the plugin made for core {core_version()}")
    fits = plugin_object(lambda: Plugin(name="fits", core_versions=f">={core_version()}"))
    assert PluginManager.from_objects({"fits": fits}).plugins["fits"].core_versions == f">={core_version()}"
    with pytest.raises(PluginLoadError, match="is not a version specifier"):
        PluginManager.from_objects({"bad": plugin_object(lambda: Plugin(name="bad", core_versions="zero"))})


def test_the_cli_refuses_to_start_with_an_incompatible_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    old = plugin_object(lambda: Plugin(name="old", version="2.3", core_versions="<0.0.1"))
    monkeypatch.setattr(core.cli.PluginManager, "from_entry_points", lambda: PluginManager.from_objects({"old": old}))
    result = CliRunner().invoke(core.cli.cli, ["plugins"])
    assert result.exit_code == 2
    assert "error: plugin 'old' 2.3 supports core <0.0.1" in result.output


def test_a_misspelt_hook_is_an_error() -> None:
    typo = plugin_object(lambda: Plugin(name="typo"), mbk_kiosk_tile=lambda office, language: [])
    with pytest.raises(PluginLoadError, match="plugin 'typo': unknown hook 'mbk_kiosk_tile'"):
        PluginManager.from_objects({"typo": typo})


BASE_REVISION = '''"""tiny: branch base"""
revision = "tiny_0001"
down_revision = None
branch_labels = ("tiny",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def test_mbk_db_revision_writes_on_the_plugins_branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = tmp_path / "migrations"
    versions.mkdir()
    (versions / "tiny_0001_base.py").write_text(BASE_REVISION)
    tiny = plugin_object(lambda: Plugin(name="tiny", migrations=versions))
    monkeypatch.setattr(cli_support, "load_plugins", lambda: PluginManager.from_objects({"tiny": tiny}))
    runner = CliRunner()
    result = runner.invoke(core.cli.cli, ["db", "revision", "--plugin", "tiny", "-m", "add a column"])
    assert result.exit_code == 0, result.output
    written = [p for p in versions.glob("*.py") if p.name != "tiny_0001_base.py"]
    assert len(written) == 1 and "add_a_column" in written[0].name
    script = ScriptDirectory(str(MIGRATIONS), version_locations=[str(MIGRATIONS / "versions"), str(versions)])
    head = script.get_revision("tiny@head")
    assert head is not None and head.down_revision == "tiny_0001" and head.path == str(written[0])
    assert f"on branch tiny (after tiny_0001): {written[0]}" in result.output
    unknown = runner.invoke(core.cli.cli, ["db", "revision", "--plugin", "nope", "-m", "x"])
    assert unknown.exit_code == 2 and "no plugin 'nope' is installed (plugins: tiny)" in unknown.output
