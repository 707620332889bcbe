"""Models that differ from their migrations are caught by `mbk check` (on a scratch database) and `mbk serve`
(on the real one, SQLite and PostgreSQL), naming the table and the column, before any request fails on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import tests.core.drifting
from core import cli as mbk
from core import cli_support, migrate
from core.db import Database
from core.plugins import PluginManager
from tests.support import builtin_plugins, free_port

DEMO = Path(__file__).resolve().parents[2] / "deployments" / "demo"
COLOUR_MISSING = "error: table drifting_item: column colour is in the model, but no migration adds it"


def with_drifting() -> PluginManager:
    manager = builtin_plugins()
    manager.register(tests.core.drifting, "drifting")
    return manager


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(mbk.cli, list(args))
    return result.exit_code, result.output


def test_check_finds_a_column_no_migration_adds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_support, "load_plugins", with_drifting)
    code, output = run("check", "--deployment", str(DEMO))
    assert code == 2
    assert output.splitlines()[0] == COLOUR_MISSING
    assert "add a migration" in output


def test_check_passes_when_every_model_matches_its_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_support, "load_plugins", builtin_plugins)
    code, output = run("check", "--deployment", str(DEMO))
    assert (code, output.split(":")[0]) == (0, "ok")


def test_serve_refuses_a_database_whose_tables_differ_from_the_models(db_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = with_drifting()
    database = Database(db_url)
    try:
        migrate.upgrade(database.engine, plugins)  # at head: only the model is ahead
        assert migrate.is_at_head(database.engine, plugins)
        monkeypatch.setattr(cli_support, "load_plugins", with_drifting)
        monkeypatch.setenv("MBK_DATABASE_URL", db_url)
        monkeypatch.setenv("MBK_SECRET_KEY", "test-secret-key-0123456789")
        code, output = run("serve", "--deployment", str(DEMO), "--port", str(free_port()))
        assert code == 2
        assert COLOUR_MISSING in output.splitlines() and "Nothing was started" in output
    finally:
        migrate.downgrade(database.engine, plugins, "drifting@base")  # the shared PostgreSQL database stays clean
        database.dispose()
