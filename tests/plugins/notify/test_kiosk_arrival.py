"""End to end through the kiosk's public API: a visitor registers arrival at an enrolled kiosk, the server's own
dispatcher and sender run, and the case officer's mailbox (a real SMTP server) gets the message once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from core.web.app import AppContext, create_app
from tests.plugins.notify.conftest import notify_and_publishers
from tests.plugins.notify.fakes import ProviderServer, SmtpServer, write_deployment
from tests.support import device_header


def test_arrival_at_the_kiosk_mails_the_officer(make_context: Callable[..., AppContext], tmp_path: Path,
                                                smtp: SmtpServer, provider: ProviderServer) -> None:
    deployment = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url,
                                  enabled=("kiosk", "notify"))
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers(), run_dispatcher=True)
    kiosk = device_header(ctx, "testoffice", "kiosk")
    with TestClient(create_app(ctx)) as client:
        for _ in range(2):  # a double tap on the screen: the same key, one arrival
            response = client.post("/api/v1/offices/testoffice/kiosk/arrivals", headers=kiosk,
                                   json={"language": "ar", "idempotency_key": "screen-key-0001", "officer_id": "a-lind",
                                         "first_name": "Amina"})
            assert response.status_code == 201, response.text
        [(recipients, mail)] = smtp.wait_for(1)
        time.sleep(0.3)
    assert recipients == ["anna.lind@test.example"]
    assert mail["Subject"] == "Amina har kommit till det bokade mötet"  # the officer's language, not the visitor's
    assert "Väntrummet på plan 2" in mail.get_content()
    assert len(smtp.messages()) == 1
