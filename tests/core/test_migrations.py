"""Migrations of core and every installed plugin, on SQLite and PostgreSQL: up from empty, down to base, up
again, and the models agree with the migrations (no pending autogenerate diff)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core import cli as mbk
from core import cli_support, migrate
from core.config import PlatformSettings
from core.db import Base, Database
from core.web.app import create_app, create_context
from tests.support import builtin_plugins

DEMO = Path(__file__).resolve().parents[2] / "deployments" / "demo"


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def postgres_enum_types(engine: sa.Engine) -> set[str]:
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as conn:
        return set(conn.scalars(sa.text("SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                                        "WHERE t.typtype = 'e' AND n.nspname = 'public'")))


def test_upgrade_downgrade_upgrade_and_models_agree(empty_db_url: str) -> None:
    plugins = builtin_plugins()
    prefixes = migrate.table_prefixes(plugins)
    database = Database(empty_db_url)
    engine = database.engine
    try:
        assert not migrate.is_at_head(engine, plugins)
        migrate.upgrade(engine, plugins)
        assert migrate.is_at_head(engine, plugins)
        created = tables(engine) - {"alembic_version"}
        assert {t for t in Base.metadata.tables if t.startswith(tuple(prefixes))} <= created
        strays = sorted(t for t in created if not t.startswith(tuple(prefixes)))
        assert not strays, f"tables without their owner's prefix ({', '.join(prefixes)}): {strays}"
        assert migrate.schema_drift(engine, plugins) == []

        migrate.downgrade(engine, plugins, "base")
        assert tables(engine) <= {"alembic_version"}
        assert postgres_enum_types(engine) == set(), "a downgrade left enum types behind"
        assert migrate.current_heads(engine) == set()

        migrate.upgrade(engine, plugins)
        assert tables(engine) - {"alembic_version"} == created
        assert migrate.schema_drift(engine, plugins) == []
    finally:
        database.dispose()


def test_every_plugin_has_its_own_branch() -> None:
    plugins = builtin_plugins()
    database = Database("sqlite://")
    script = ScriptDirectory.from_config(migrate.alembic_config(database.engine, plugins))
    labels = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    assert "core" in labels
    for name, plugin in plugins.plugins.items():
        if plugin.migrations is not None:
            assert name in labels, f"plugin {name!r} has migrations but no branch labelled {name!r}"
            # every revision in the plugin's folder belongs to its branch, so `upgrade <name>@head` is the plugin
            for path in plugin.migrations.glob("*.py"):
                rev = next(r for r in script.walk_revisions() if r.path == str(path))
                assert rev.revision.startswith(f"{name}_"), f"{path.name}: revision id should start with {name}_"
    database.dispose()


def test_db_commands_and_readiness(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_support, "load_plugins", builtin_plugins)
    monkeypatch.setenv("MBK_DATABASE_URL", empty_db_url)
    runner = CliRunner()
    settings = PlatformSettings(database_url=empty_db_url, deployment=DEMO, secret_key="x" * 32,
                                run_dispatcher=False)
    ctx = create_context(settings, builtin_plugins())
    try:
        with TestClient(create_app(ctx)) as client:
            behind = runner.invoke(mbk.cli, ["db", "current", "--deployment", str(DEMO)])
            assert behind.exit_code == 0, behind.output
            assert "core" in behind.output and "BEHIND" in behind.output
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "mbk db upgrade" in ready.json()["detail"]

            upgraded = runner.invoke(mbk.cli, ["db", "upgrade", "--deployment", str(DEMO)])
            assert upgraded.exit_code == 0, upgraded.output
            current = runner.invoke(mbk.cli, ["db", "current", "--deployment", str(DEMO)])
            lines = [line for line in current.output.splitlines() if line.strip()]
            assert len(lines) == len(migrate.branch_status(ctx.db.engine, ctx.plugins)) >= 1
            assert all(line.endswith("up to date") for line in lines), current.output
            assert client.get("/readyz").json() == {"status": "ready"}
    finally:
        ctx.db.dispose()


def test_serve_refuses_a_database_behind_its_migrations(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(a))
    monkeypatch.setattr(cli_support, "load_plugins", builtin_plugins)
    monkeypatch.setenv("MBK_DATABASE_URL", empty_db_url)
    # (SQLite is migrated by `serve` itself unless told not to; PostgreSQL never is)
    refused = CliRunner().invoke(mbk.cli, ["serve", "--deployment", str(DEMO), "--no-migrate-sqlite"])
    assert refused.exit_code == 2 and "run `mbk db upgrade` first" in refused.output
    assert started == []
