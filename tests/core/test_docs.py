"""The plugin docs are true: every hook documented, the worked example identical to the tested package, and
every hook exercised through core by the dummy plugin."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core import auth, cli_support
from core import cli as mbk
from core.config import OfficeConfig
from core.db import utcnow
from core.hookspecs import (
    Addressee,
    AdminPanel,
    AppointmentMatch,
    AppointmentQuery,
    DeviceInfo,
    Failure,
    KioskTile,
    LiveFigure,
    PageLink,
    StaffAlert,
    TicketReceipt,
    TicketRequest,
    TicketService,
    hook_names,
)
from core.speech import phrase
from core.web.app import AppContext, create_app
from tests.core import dummy
from tests.support import bearer, builtin_plugins, drain_events

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-plugins.md"
PACKAGE = ROOT / "tests" / "core" / "thirdparty"
FILE_BLOCK = re.compile(r"^```\w+ file=(\S+)\n(.*?)^```$", re.S | re.M)
HTML = {"accept": "text/html"}

OFFICE = """
[office]
id = "{id}"
name = {{ sv = "Kontor {id}" }}
languages = ["sv", "en"]
[plugins]
enabled = {enabled}
{section}
"""


def test_every_hook_is_documented() -> None:
    documented = set(re.findall(r"^### (mbk_\w+)$", GUIDE.read_text(encoding="utf-8"), re.M))
    assert documented == set(hook_names())


@pytest.mark.parametrize("model", [PageLink, KioskTile, TicketService, TicketRequest, TicketReceipt, AdminPanel,
                                   Addressee, StaffAlert, LiveFigure, Failure, DeviceInfo, AppointmentQuery,
                                   AppointmentMatch, OfficeConfig], ids=lambda model: model.__name__)
def test_every_field_of_the_types_hooks_pass_is_documented(model: type) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    heading = "## OfficeConfig\n" if model is OfficeConfig else f"**`{model.__name__}`**"
    assert heading in text, f"docs/writing-plugins.md has no section for {model.__name__}"
    table = re.search(r"^\| field \| meaning \|\n(?:^\|.*\n)+", text.split(heading, 1)[1], re.M)
    assert table is not None
    documented = re.findall(r"^\| `(\w+)` \|", table.group(0), re.M)
    assert documented == [f.name for f in dataclasses.fields(model)]


def test_the_worked_example_is_the_tested_package() -> None:
    blocks = dict(FILE_BLOCK.findall(GUIDE.read_text(encoding="utf-8")))
    files = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")}
    assert set(blocks) == files, "docs/writing-plugins.md must show every file of tests/core/thirdparty, no other"
    for name, text in blocks.items():
        assert text == (PACKAGE / name).read_text(encoding="utf-8"), f"{name} differs from the docs"


def test_every_hook_is_exercised_through_core(make_context: Callable[..., AppContext], make_user: Callable[..., str],
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "deployment"
    (root / "offices").mkdir(parents=True)
    (root / "offices" / "alpha.toml").write_text(
        OFFICE.format(id="alpha", enabled='["dummy"]', section='[plugins.dummy]\ngreeting = "hej"'), encoding="utf-8")
    (root / "offices" / "beta.toml").write_text(OFFICE.format(id="beta", enabled="[]", section=""), encoding="utf-8")
    (root / "platform.toml").write_text('[platform]\nmetrics_token_env = "MBK_TEST_METRICS_TOKEN"\n', encoding="utf-8")
    monkeypatch.setenv("MBK_TEST_METRICS_TOKEN", "scrape-token")

    def plugins():  # type: ignore[no-untyped-def]
        manager = builtin_plugins()
        manager.register(dummy, "dummy")
        return manager

    dummy.calls.clear()
    ctx = make_context(deployment=root, plugins=plugins())  # mbk_register, mbk_validate_office
    alpha = ctx.deployment.office("alpha")
    make_user("boss", office="alpha", role="admin")
    with TestClient(create_app(ctx)) as client:  # mbk_startup, mbk_shutdown
        assert "/alpha/dummy" in client.get("/alpha", headers=HTML).text  # mbk_page_links
        with ctx.db.session() as session:
            auth.audit(session, "user:boss", "dummy.did", "alpha", value=7)
        admin = client.get("/alpha/admin?lang=en", headers={**HTML, **bearer(client, "boss")})
        assert "dummy panel body" in admin.text  # mbk_admin_panels
        assert "Dummy did it (en): 7" in admin.text  # mbk_audit_text
        assert client.post("/api/v1/offices/alpha/dummy/happen/1").status_code == 200
        drain_events(ctx)  # mbk_handle_event
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"}).text  # mbk_metrics
        assert 'mbk_dummy_greeting_level{office="alpha"} 1.0' in scraped
    # what the kiosk plugin asks of the office's plugins
    hooks = ctx.hooks(alpha)
    with ctx.db.session() as session:
        assert hooks.mbk_ticket_services(office=alpha, session=session, language="sv")[0][0].id == "dummy"
        receipt = hooks.mbk_issue_ticket(office=alpha, session=session, request=TicketRequest(language="sv"))
        assert receipt.number == "Z001"
        found = hooks.mbk_find_appointment(office=alpha, session=session, query=AppointmentQuery(code="123456"),
                                           language="sv", now=utcnow())
        assert found.appointment_id == "a1"
    assert hooks.mbk_kiosk_tiles(office=alpha, language="sv")[0][0].id == "dummy"
    # what a screen asks before it promises a visitor a message, and what the guides' console shows
    assert hooks.mbk_message_reach(office=alpha, event_type="dummy.happened", addressee=Addressee(visitor=True)) \
        == [["sms"]]
    with ctx.db.session() as session:
        assert hooks.mbk_staff_alerts(office=alpha, session=session, language="en")[0][0].text == "Dummy alert (en)"
        figure = hooks.mbk_live_figures(office=alpha, session=session, language="en", now=utcnow())[0][0]
        assert (figure.label, figure.value) == ("Dummy figure (en)", 3)
    # what the office's speech clips must say (its templates and fixed clips, with core's digits)
    phrases = ctx.speech_phrases(alpha, "sv")
    assert "Dummy number %(number)s (sv)" in phrases.templates
    assert {"letter-z", "digit-0", phrase("Dummy number").name} <= {clip.name for clip in phrases.clips}
    # what the devices page shows beside a kiosk
    with TestClient(create_app(ctx)) as client:
        kiosk = client.post("/api/v1/offices/alpha/devices", json={"kind": "kiosk", "name": "Door"},
                            headers=bearer(client, "boss"))
        assert kiosk.status_code == 201
        listed = client.get("/alpha/admin/devices?lang=en", headers={**HTML, **bearer(client, "boss")})
        assert "Dummy printer (en): ready" in listed.text  # mbk_device_status
        monkeypatch.setattr(dummy, "failing", True)
        failed = client.get("/alpha/admin/failures?lang=en", headers={**HTML, **bearer(client, "boss")})
        assert "Dummy work (en)" in failed.text and 'action="/alpha/dummy/retry"' in failed.text  # mbk_failures
    # the command line: plugin commands, and the daily purge over every office
    extended = typer.Typer()
    extended.command("noop")(lambda: None)
    ctx.plugins.hook.mbk_cli(cli=extended)
    assert "hello from dummy" in CliRunner().invoke(extended, ["dummy-hello"]).output
    monkeypatch.setattr(cli_support, "load_plugins", plugins)
    monkeypatch.setenv("MBK_DATABASE_URL", ctx.settings.database_url)
    purged = CliRunner().invoke(mbk.cli, ["purge", "--deployment", str(root)])
    assert "alpha: dummy_rows=0" in purged.output and "beta: nothing to purge" in purged.output

    assert {hook for hook, _ in dummy.calls} == set(hook_names())
    # and never for the office that does not enable the plugin
    assert not [call for call in dummy.calls if call[1] == "beta"]
