"""Tests of the notices plugin through core's public app. Run them after `pip install -e .` with `pytest`."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mbk_notices.service import post_notice

from core import migrate
from core.config import ConfigError, PlatformSettings
from core.plugins import PluginManager
from core.web.app import AppContext, create_app, create_context

OFFICE = """
[office]
id = "{id}"
name = {{ sv = "Kontor {id}" }}
languages = ["sv", "en"]

[plugins]
enabled = {enabled}
{section}
"""


def deployment(root: Path, section: str = "") -> Path:
    """Two offices: alpha enables the plugin (with `section` as its settings), beta does not."""
    (root / "offices").mkdir(parents=True)
    alpha = OFFICE.format(id="alpha", enabled='["notices"]', section=f"[plugins.notices]\n{section}")
    (root / "offices" / "alpha.toml").write_text(alpha, encoding="utf-8")
    (root / "offices" / "beta.toml").write_text(OFFICE.format(id="beta", enabled="[]", section=""), encoding="utf-8")
    return root


def context(tmp_path: Path, root: Path) -> AppContext:
    plugins = PluginManager.from_entry_points(only=["notices"])  # found through its entry point, like in production
    settings = PlatformSettings(database_url=f"sqlite:///{tmp_path / 'test.db'}", deployment=root,
                                secret_key="test-secret-key-0123456789", run_dispatcher=False)
    return create_context(settings, plugins)


def test_board_served_for_the_office_that_enables_it(tmp_path: Path) -> None:
    ctx = context(tmp_path, deployment(tmp_path / "deployment", "max_notices = 2"))
    migrate.upgrade(ctx.db.engine, ctx.plugins)  # core's migrations and the plugin's branch
    with ctx.db.session() as session:
        for text in ("Closed on Friday", "New opening hours", "Bring your ID"):
            post_notice(session, "alpha", text)
    with TestClient(create_app(ctx)) as client:
        notices = client.get("/api/v1/offices/alpha/notices").json()
        assert [n["text"] for n in notices] == ["Bring your ID", "New opening hours"]
        assert client.get("/api/v1/offices/beta/notices").status_code == 404
        page = client.get("/alpha/notices", headers={"accept": "text/html"})
        assert "Anslagstavla" in page.text and "Bring your ID" in page.text


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        context(tmp_path, deployment(tmp_path / "deployment", "max_notices = 0"))
    assert "alpha.toml: plugins.notices.max_notices: Input should be greater than or equal to 1" in str(error.value)
