"""A third-party plugin (tests/core/thirdparty, the one docs/writing-plugins.md builds) installed as a package:
found through its entry point, its settings validated, its routes per office, its migration branch applied."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from core import migrate
from core.config import ConfigError, PlatformSettings
from core.db import Base, Database
from core.loading import load_deployment
from core.plugins import PluginManager
from core.web.app import create_app, create_context

PACKAGE = Path(__file__).resolve().parent / "thirdparty"
HTML = {"accept": "text/html"}
OFFICE = """
[office]
id = "{id}"
name = {{ sv = "Kontor {id}", en = "Office {id}" }}
languages = ["sv", "en"]

[plugins]
enabled = {enabled}
{section}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build and install the package into its own folder, put it on sys.path, and take it away afterwards."""
    work = tmp_path_factory.mktemp("thirdparty")
    source, target = work / "source", work / "site-packages"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True, capture_output=True, timeout=120)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    importlib.invalidate_caches()
    for name in [m for m in sys.modules if m.split(".")[0] == "mbk_notices"]:
        del sys.modules[name]
    if "notices_notice" in Base.metadata.tables:  # keep the shared metadata as other tests expect it
        Base.metadata.remove(Base.metadata.tables["notices_notice"])


def deployment(root: Path, section: str = "") -> Path:
    (root / "offices").mkdir(parents=True)
    alpha = OFFICE.format(id="alpha", enabled='["notices"]', section=f"[plugins.notices]\n{section}")
    (root / "offices" / "alpha.toml").write_text(alpha, encoding="utf-8")
    (root / "offices" / "beta.toml").write_text(OFFICE.format(id="beta", enabled="[]", section=""), encoding="utf-8")
    return root


def test_loaded_through_its_entry_point(installed: Path) -> None:
    manager = PluginManager.from_entry_points(only=["notices"])
    plugin = manager.plugins["notices"]
    assert plugin.version == "1.0.0"
    assert plugin.settings_model is not None and plugin.settings_model.__name__ == "NoticesSettings"
    assert plugin.migrations is not None and plugin.migrations.is_relative_to(installed)
    assert plugin.templates is not None and (plugin.templates / "board.html").exists()


def test_the_wheel_carries_its_templates_and_catalogs(tmp_path: Path) -> None:
    """The package data the docs show (pyproject.toml) puts the .po catalogs into the wheel a plugin publishes."""
    source = tmp_path / "source"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=120)
    [wheel] = (tmp_path / "dist").glob("mbk_notices-1.0.0-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    catalogs = {name for name in names if name.startswith("mbk_notices/locale/") and name.endswith((".po", ".mo"))}
    assert catalogs == {"mbk_notices/locale/sv/LC_MESSAGES/messages.po"}
    assert {"mbk_notices/templates/board.html", "mbk_notices/migrations/notices_0001_notice_table.py"} <= names


def test_its_settings_are_validated(installed: Path, tmp_path: Path) -> None:
    manager = PluginManager.from_entry_points(only=["notices"])
    with pytest.raises(ConfigError) as error:
        load_deployment(deployment(tmp_path / "bad", 'max_notices = "lots"\nheading = { sv = "Anslag" }'), manager)
    [problem] = error.value.problems
    assert problem.file.endswith("offices/alpha.toml") and problem.path == "plugins.notices.max_notices"
    assert "valid integer" in problem.message and "'lots'" in problem.message
    loaded = load_deployment(deployment(tmp_path / "good", "max_notices = 3"), manager)
    assert loaded.office("alpha").settings_for("notices").max_notices == 3


def test_migrated_and_served_per_office(installed: Path, empty_db_url: str, tmp_path: Path) -> None:
    manager = PluginManager.from_entry_points(only=["notices"])
    settings = PlatformSettings(database_url=empty_db_url, deployment=deployment(tmp_path / "dep", "max_notices = 2"),
                                secret_key="test-secret-key-0123456789", run_dispatcher=False)
    ctx = create_context(settings, manager, Database(empty_db_url))
    try:
        migrate.upgrade(ctx.db.engine, manager)
        assert "notices_notice" in sa.inspect(ctx.db.engine).get_table_names()
        assert ("notices", "notices_0001", "notices_0001") in migrate.branch_status(ctx.db.engine, manager)

        from mbk_notices.service import post_notice

        with ctx.db.session() as session:
            for text in ("Stängt på fredag", "Nya öppettider", "Ta med legitimation"):
                post_notice(session, "alpha", text)
            post_notice(session, "beta", "not for alpha")
        with TestClient(create_app(ctx)) as client:
            notices = client.get("/api/v1/offices/alpha/notices").json()
            assert [n["text"] for n in notices] == ["Ta med legitimation", "Nya öppettider"]
            missing = client.get("/api/v1/offices/beta/notices")
            assert missing.status_code == 404 and missing.json()["error"] == "plugin_not_enabled"
            page = client.get("/alpha/notices?lang=sv", headers=HTML)
            assert page.status_code == 200 and "Anslagstavla" in page.text and "Nya öppettider" in page.text
            assert "Senaste först." in page.text  # its own catalog, installed with it
            assert client.get("/beta/notices", headers=HTML).status_code == 404
            landing = client.get("/", headers=HTML).text
            assert "/alpha/notices" in landing and "/beta/notices" not in landing
            assert "/api/v1/offices/{office}/notices" in client.get("/openapi.json").json()["paths"]

        # its branch goes down on its own: core's tables stay
        migrate.downgrade(ctx.db.engine, manager, "notices@base")
        remaining = set(sa.inspect(ctx.db.engine).get_table_names())
        assert "notices_notice" not in remaining and any(t.startswith("core_") for t in remaining)
    finally:
        ctx.db.dispose()


def test_the_plugins_own_tests_pass(installed: Path, tmp_path: Path) -> None:
    # What a plugin developer runs in their own repository (docs/writing-plugins.md, "A test").
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PACKAGE / "tests")],
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
