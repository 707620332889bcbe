"""The demo shows its messages: with `mbk serve --catch-mail` (what `make run` does), an arrival's e-mail to the
officer lands in the demo's mail catcher (aiosmtpd) and staff read it at /demo/mail, instead of a failed
delivery. Only demo deployments have the page."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core import auth, cli_support
from core import cli as mbk
from core.demo_mail import MailCatcher
from core.events import publish
from core.web.app import AppContext, create_app
from plugins.notify.worker import Sender
from tests.support import PASSWORD, bearer, drain_events, free_port, registered_event

ROOT = Path(__file__).resolve().parents[2]
HTML = {"accept": "text/html"}


@pytest.fixture
def mail_port() -> int:
    return free_port()


@pytest.fixture
def catcher(tmp_path: Path, mail_port: int) -> Iterator[Path]:
    folder = tmp_path / "demo-mail"
    running = MailCatcher("127.0.0.1", mail_port, folder).start()
    yield folder
    running.stop()


def demo_sending_to(tmp_path: Path, port: int, demo: bool = True) -> Path:
    deployment = tmp_path / "deployment"
    shutil.copytree(ROOT / "deployments" / "demo", deployment)
    office = deployment / "offices" / "skarholmen.toml"
    office.write_text(office.read_text().replace("port = 1025", f"port = {port}"))
    if not demo:
        platform = deployment / "platform.toml"
        platform.write_text(platform.read_text().replace("demo = true", "demo = false"))
    return deployment


def test_the_officers_email_of_a_demo_arrival_is_readable(make_context: Callable[..., AppContext], tmp_path: Path,
                                                          mail_port: int, catcher: Path) -> None:
    ctx = make_context(deployment=demo_sending_to(tmp_path, mail_port), demo_mail_dir=catcher)
    with ctx.db.session() as session:
        auth.create_user(session, "demo", PASSWORD, platform_admin=True)
        publish(session, "skarholmen", registered_event(ctx.plugins, "visitor.arrived", arrival_id="a1",
                                                        officer_id="a-lind", unit_id=None, first_name="Amina",
                                                        language="ar"))
    drain_events(ctx)
    sender = Sender(ctx.db, ctx.deployment, ctx.settings.base_url)
    assert sender.run_once() == 1
    assert sender.run_once() == 0  # sent, not retried
    with TestClient(create_app(ctx)) as client:
        page = client.get("/demo/mail?lang=sv", headers={**HTML, **bearer(client, "demo")})
    assert page.status_code == 200
    assert "E-post som demon har skickat" in page.text
    assert "Amina har kommit till det bokade mötet" in page.text  # the subject, in Anna Lind's Swedish
    assert "anna.lind@example.org" in page.text and "Väntrummet på plan 2" in page.text


def test_demo_mail_is_for_staff_and_demo_deployments_only(make_context: Callable[..., AppContext],
                                                          tmp_path: Path, mail_port: int) -> None:
    with TestClient(create_app(make_context(deployment=demo_sending_to(tmp_path, mail_port)))) as client:
        anonymous = client.get("/demo/mail", headers=HTML, follow_redirects=False)
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login?next=/demo/mail")
    real = make_context(deployment=demo_sending_to(tmp_path / "real", mail_port, demo=False))
    with real.db.session() as session:
        auth.create_user(session, "admin", PASSWORD, platform_admin=True)
    with TestClient(create_app(real)) as client:
        assert client.get("/demo/mail", headers=bearer(client, "admin")).status_code == 404


def test_serve_catches_mail_only_for_a_demo(make_context: Callable[..., AppContext], tmp_path: Path, db_url: str,
                                            mail_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBK_DATABASE_URL", db_url)
    monkeypatch.setenv("MBK_SECRET_KEY", "test-secret-key-0123456789")
    monkeypatch.setattr(cli_support, "load_plugins", lambda: make_context().plugins)
    deployment = demo_sending_to(tmp_path, mail_port, demo=False)
    result = CliRunner().invoke(mbk.cli, ["serve", "--deployment", str(deployment), "--port", str(free_port()),
                                          "--catch-mail", f"127.0.0.1:{mail_port}"])
    assert result.exit_code == 2
    assert "--catch-mail is for demo deployments only" in result.output
