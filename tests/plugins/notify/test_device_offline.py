"""IT hears about a device gone quiet: core publishes device.offline for a kiosk not heard from during opening
hours, and a notify rule mails the unit it names (a real SMTP server on loopback); and device.online when it is
back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core import devices
from core.db import utcnow
from core.loading import load_deployment
from core.web.app import AppContext
from plugins.notify.models import NotifyMessage
from tests.plugins.notify.conftest import notify_and_publishers
from tests.plugins.notify.fakes import ProviderServer, SmtpServer, write_deployment
from tests.plugins.notify.test_delivery import sender_for
from tests.support import drain_events

IT_RULE = """\
[[plugins.notify.rules]]
event = "device.offline"
to = "unit:social"
channel = "email"

[[plugins.notify.rules]]
event = "device.online"
to = "unit:social"
channel = "email"
"""


def test_a_kiosk_gone_quiet_is_mailed_to_the_unit_a_rule_names(make_context: Callable[..., AppContext],
                                                               tmp_path: Path, smtp: SmtpServer,
                                                               provider: ProviderServer) -> None:
    root = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url, rules=IT_RULE)
    load_deployment(root, notify_and_publishers())  # mbk check accepts a rule on core's device.offline
    ctx = make_context(deployment=root, plugins=notify_and_publishers())
    with ctx.db.session() as session:
        kiosk, _token = devices.enrol_device(session, "testoffice", "kiosk", "Entrance kiosk")
        kiosk.last_seen_at = utcnow() - timedelta(minutes=40)
    with ctx.db.session() as session:
        assert devices.report_offline(session, ctx.deployment) == [kiosk.id]
    drain_events(ctx)
    sender_for(ctx).run_once()
    [(recipients, mail)] = smtp.wait_for(1)
    assert recipients == ["social@test.example"]
    assert mail["Subject"] == "Enhet frånkopplad: Entrance kiosk"  # the office's first language: sv
    assert "har inte hörts av på 40 minuter" in mail.get_content()

    # Back: its check-in publishes device.online, and IT hears that too.
    with ctx.db.session() as session:
        devices.seen(session, session.get(devices.Device, kiosk.id), ctx.deployment.office("testoffice"), utcnow(),
                     timedelta(minutes=5))
    drain_events(ctx)
    sender_for(ctx).run_once()
    [_, (recipients, mail)] = smtp.wait_for(2)
    assert (recipients, mail["Subject"]) == (["social@test.example"], "Enhet ansluten igen: Entrance kiosk")
    assert "hör av sig igen, efter 40 minuter" in mail.get_content()


def test_the_demo_mails_a_kiosk_gone_quiet(make_context: Callable[..., AppContext]) -> None:
    """`make run`'s deployment has the rule, so that the feature shows there (the mail at /demo/mail)."""
    ctx = make_context()  # deployments/demo
    with ctx.db.session() as session:
        kiosk, _token = devices.enrol_device(session, "skarholmen", "kiosk", "Entrance")
        kiosk.last_seen_at = utcnow() - timedelta(minutes=20)
    with ctx.db.session() as session:
        assert devices.report_offline(session, ctx.deployment) == [kiosk.id]
    drain_events(ctx)
    with ctx.db.session() as session:
        made = session.scalars(select(NotifyMessage).where(NotifyMessage.event_type == "device.offline")).all()
        assert [(m.office_id, m.recipient, m.channel, m.address) for m in made] == [
            ("skarholmen", "unit:social", "email", "socialtjansten@skarholmen.example.org")]
        assert "Entrance" in made[0].subject
