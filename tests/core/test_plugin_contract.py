"""The plugin contract, through a dummy plugin that implements every hook: per-office enablement and dispatch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.config import ConfigError
from core.hookspecs import hook_names
from core.plugins import PluginLoadError, PluginManager
from core.web.app import AppContext, create_app
from tests.core import dummy
from tests.support import builtin_plugins

PLATFORM = """
[platform]
name = { sv = "Test", en = "Test" }
"""
OFFICE_WITH = """
[office]
id = "alpha"
name = { sv = "Alfa" }
languages = ["sv", "en"]
[plugins]
enabled = ["dummy", "queue"]
[plugins.dummy]
greeting = "hej"
"""
OFFICE_WITHOUT = """
[office]
id = "beta"
name = { sv = "Beta" }
languages = ["sv"]
[plugins]
enabled = ["queue"]
"""


def write_deployment(root: Path, offices: dict[str, str], platform: str = PLATFORM) -> Path:
    (root / "offices").mkdir(parents=True, exist_ok=True)
    (root / "platform.toml").write_text(platform, encoding="utf-8")
    for name, text in offices.items():
        (root / "offices" / f"{name}.toml").write_text(text, encoding="utf-8")
    return root


def with_dummy() -> PluginManager:
    manager = builtin_plugins()
    manager.register(dummy, "dummy")
    return manager


@pytest.fixture
def dummy_ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    dummy.calls.clear()
    root = write_deployment(tmp_path / "dep", {"alpha": OFFICE_WITH, "beta": OFFICE_WITHOUT})
    return make_context(deployment=root, plugins=with_dummy())


def test_dummy_implements_every_hookspec() -> None:
    implemented = {name for name in dir(dummy) if name.startswith("mbk_")}
    assert implemented == set(hook_names())


def test_routes_served_only_for_offices_that_enable_the_plugin(dummy_ctx: AppContext) -> None:
    with TestClient(create_app(dummy_ctx)) as client:
        assert client.get("/api/v1/offices/alpha/dummy/hello").json() == {"office": "alpha", "greeting": "hej"}
        missing = client.get("/api/v1/offices/beta/dummy/hello")
        assert missing.status_code == 404
        assert missing.json()["error"] == "plugin_not_enabled"
    assert ("mbk_startup", None) in dummy.calls and ("mbk_shutdown", None) in dummy.calls


def test_hooks_reach_only_enabled_plugins(dummy_ctx: AppContext) -> None:
    alpha, beta = dummy_ctx.deployment.office("alpha"), dummy_ctx.deployment.office("beta")
    dummy.calls.clear()
    tiles_alpha = [t for group in dummy_ctx.hooks(alpha).mbk_kiosk_tiles(office=alpha, language="sv") for t in group]
    tiles_beta = [t for group in dummy_ctx.hooks(beta).mbk_kiosk_tiles(office=beta, language="sv") for t in group]
    assert any(t.id == "dummy" for t in tiles_alpha)
    assert not any(t.id == "dummy" for t in tiles_beta)
    assert dummy.calls == [("mbk_kiosk_tiles", "alpha")]
    # the office hook relays are cached: same object for the same set of plugins
    assert dummy_ctx.hooks(alpha) is dummy_ctx.hooks(alpha)


def test_page_links_and_admin_panels_come_from_hooks(dummy_ctx: AppContext) -> None:
    alpha = dummy_ctx.deployment.office("alpha")
    assert any(link.path == "/alpha/dummy" for link in dummy_ctx.page_links(alpha))
    assert not any(link.path.endswith("/dummy") for link in dummy_ctx.page_links(dummy_ctx.deployment.office("beta")))


def test_validate_office_hook_problems_stop_loading(make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    root = write_deployment(tmp_path / "dep", {"alpha": OFFICE_WITH.replace('"hej"', '"forbidden"')})
    with pytest.raises(ConfigError) as err:
        make_context(deployment=root, plugins=with_dummy())
    assert "plugins.dummy.greeting: this greeting is not allowed" in str(err.value)


def test_plugin_whose_import_fails_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    broken = importlib.metadata.EntryPoint(name="broken", value="tests.core.does_not_exist",
                                           group="medborgarkontor.plugins")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [broken])
    with pytest.raises(PluginLoadError) as err:
        PluginManager.from_entry_points()
    assert "plugin 'broken'" in str(err.value) and "ModuleNotFoundError" in str(err.value)


def test_builtin_plugins_come_from_entry_points() -> None:
    manager = PluginManager.from_entry_points(only=["kiosk", "queue", "surveys", "notify", "appointments"])
    assert set(manager.plugins) == {"kiosk", "queue", "surveys", "notify", "appointments"}
