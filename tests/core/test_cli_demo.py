"""`mbk demo-access` (what `make run` prints): a working demo login and device links, for demo deployments only."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core import cli as mbk
from core import cli_support
from core.web.app import AppContext, create_app
from tests.core.test_auth import OFFICE
from tests.core.test_plugin_contract import PLATFORM, with_dummy, write_deployment


@pytest.fixture
def use_deployment(make_context: Callable[..., AppContext], tmp_path: Path, db_url: str,
                   monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], AppContext]:
    def build(demo: bool) -> AppContext:
        platform = PLATFORM + ("demo = true\n" if demo else "")
        root = write_deployment(tmp_path / f"dep-{demo}", {"alpha": OFFICE.format(id="alpha")}, platform=platform)
        monkeypatch.setenv("MBK_DATABASE_URL", db_url)
        monkeypatch.setenv("MBK_DEPLOYMENT", str(root))
        monkeypatch.setenv("MBK_SECRET_KEY", "test-secret-key-0123456789")
        monkeypatch.setattr(cli_support, "load_plugins", with_dummy)
        return make_context(deployment=root, plugins=with_dummy())

    return build


def demo_access() -> tuple[int, str]:
    result = CliRunner().invoke(mbk.cli, ["demo-access", "--base-url", "http://testserver"])
    return result.exit_code, result.output


def test_demo_login_and_device_links_work(use_deployment: Callable[[bool], AppContext]) -> None:
    ctx = use_deployment(True)
    code, first = demo_access()
    assert code == 0, first
    code, output = demo_access()  # a second run: a new password, the earlier links revoked
    assert code == 0, output
    password = re.search(r"demo / (\S+)", output).group(1)
    assert password != re.search(r"demo / (\S+)", first).group(1)
    links = re.findall(r"http://testserver(/alpha/enrol\?code=\S+)", output)
    old_links = re.findall(r"http://testserver(/alpha/enrol\?code=\S+)", first)
    assert links and old_links
    with TestClient(create_app(ctx)) as client:
        token = client.post("/api/v1/auth/token", data={"username": "demo", "password": password})
        assert token.status_code == 200
        assert client.get(old_links[0], follow_redirects=False).status_code == 403
        assert client.get(links[0], follow_redirects=False).status_code == 303


def test_refused_for_a_deployment_that_is_not_a_demo(use_deployment: Callable[[bool], AppContext]) -> None:
    use_deployment(False)
    code, output = demo_access()
    assert code == 2
    assert "is not a demo deployment" in output


def serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(mbk.cli, ["serve", *args])
    return result.exit_code, result.output


def test_make_run_leaves_a_demo_already_running_on_its_port_alone(
        use_deployment: Callable[[bool], AppContext]) -> None:
    """`make run` is `mbk serve --demo-access`: with the port taken it changes no password and no device link."""
    import socket

    from sqlalchemy import select

    from core import auth
    from core.devices import Device

    ctx = use_deployment(True)
    assert demo_access()[0] == 0

    def demo_state() -> tuple[str, list[tuple[int, object]]]:
        with ctx.db.session() as session:
            devices = session.execute(select(Device.id, Device.revoked_at).order_by(Device.id)).all()
            return auth.find_user(session, "demo").password_hash, [tuple(d) for d in devices]

    before = demo_state()
    with socket.socket() as running:  # the demo already serving there
        running.bind(("127.0.0.1", 0))
        running.listen()
        port = running.getsockname()[1]
        code, output = serve("--port", str(port), "--demo-access")
    assert code == 2
    assert f"127.0.0.1:{port} is already in use" in output and "Nothing was changed" in output
    assert demo_state() == before


def test_a_real_deployment_refuses_to_start_without_its_secret_key(
        use_deployment: Callable[[bool], AppContext], monkeypatch: pytest.MonkeyPatch) -> None:
    use_deployment(False)
    monkeypatch.delenv("MBK_SECRET_KEY")
    from tests.support import free_port

    code, output = serve("--port", str(free_port()))
    assert code == 2
    assert "MBK_SECRET_KEY is not set" in output
