"""End to end through the queue's public API: a visitor asks for a text message, is texted when near the front
and when called (46elks-shaped server on loopback), and the phone number is gone once the ticket is done."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from core import auth
from core.web.app import AppContext, create_app
from plugins.notify.models import NotifyContact
from tests.plugins.notify.conftest import notify_and_publishers
from tests.plugins.notify.fakes import ProviderServer, SmtpServer, write_deployment
from tests.plugins.notify.test_delivery import messages, wait_until
from tests.support import PASSWORD, bearer, device_header


def test_visitor_is_texted_when_near_and_when_called(make_context: Callable[..., AppContext], tmp_path: Path,
                                                     smtp: SmtpServer, provider: ProviderServer) -> None:
    deployment = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url,
                                  enabled=("queue", "notify"))
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers(), run_dispatcher=True)
    kiosk = device_header(ctx, "testoffice", "kiosk")
    with ctx.db.session() as session:
        auth.create_user(session, "guide", PASSWORD, office_id="testoffice", role="guide")
    base = "/api/v1/offices/testoffice/queue"
    with TestClient(create_app(ctx)) as client:
        issued = client.post(f"{base}/tickets", headers=kiosk, json={"language": "en", "phone": "070-123 45 67"})
        assert issued.status_code == 201, issued.text
        ticket = issued.json()
        [near] = provider.wait_for_sms(1)
        assert near.form["to"] == "+46701234567"
        assert near.form["message"].startswith("Test Citizen Office: Ticket ")
        assert "your turn is coming soon" in near.form["message"]

        staff = bearer(client, "guide")
        called = client.post(f"{base}/call-next", headers=staff, json={"counter": "desk-1"})
        assert called.status_code == 200, called.text
        _, now = provider.wait_for_sms(2)
        assert now.form["to"] == "+46701234567"
        assert "it is your turn now. Please go to Desk 1." in now.form["message"]

        ticket_id = called.json().get("id") or ticket.get("id")
        assert client.post(f"{base}/tickets/{ticket_id}/done", headers=staff).status_code == 200
        wait_until(lambda: _contacts(ctx) == 0)
    assert [m.status for m in messages(ctx)] == ["sent", "sent"]
    assert all(m.address is None and m.body is None for m in messages(ctx))


def _contacts(ctx: AppContext) -> int:
    with ctx.db.session() as session:
        return len(session.scalars(select(NotifyContact)).all())
