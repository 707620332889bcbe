"""Fixtures for notify: loopback SMTP and HTTP servers, a deployment pointing at them, a context on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import PlatformSettings
from core.events import DomainEvent, publish
from core.plugins import PluginManager
from core.web.app import AppContext
from tests.plugins.notify.fakes import REPORT_TOKEN, SMS_PASSWORD, ProviderServer, SmtpServer, write_deployment
from tests.support import drain_events, free_port, registered_event


@pytest.fixture(autouse=True)
def notify_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBK_TEST_SMS_PASSWORD", SMS_PASSWORD)
    monkeypatch.setenv("MBK_TEST_SMS_REPORT_TOKEN", REPORT_TOKEN)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    server = ProviderServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def deployment(tmp_path: Path, smtp: SmtpServer, provider: ProviderServer) -> Path:
    return write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url)


def notify_and_publishers() -> PluginManager:
    """Notify, and the plugins that publish the events it consumes (kiosk: visitor.arrived, queue: ticket.*), so
    tests publish the types those registered; the test office enables only notify."""
    import plugins.kiosk
    import plugins.notify
    import plugins.queue

    return PluginManager.from_objects({"notify": plugins.notify, "kiosk": plugins.kiosk, "queue": plugins.queue})


@pytest.fixture
def notify_ctx(make_context: Callable[..., AppContext], deployment: Path) -> AppContext:
    return make_context(deployment=deployment, plugins=notify_and_publishers())


def publish_now(ctx: AppContext, event: DomainEvent, office: str = "testoffice") -> int:
    with ctx.db.session() as session:
        return publish(session, office, event).id


def arrive(ctx: AppContext, officer_id: str | None = "a-lind", first_name: str | None = "Amina",
           unit_id: str | None = None, language: str = "ar") -> int:
    event_id = publish_now(ctx, registered_event(ctx.plugins, "visitor.arrived", arrival_id="arr-1",
                                                 officer_id=officer_id, unit_id=unit_id, first_name=first_name,
                                                 language=language))
    drain_events(ctx)
    return event_id


def platform_settings(db_url: str, deployment: Path, **extra: Any) -> PlatformSettings:
    return PlatformSettings(database_url=db_url, deployment=deployment, secret_key="test-secret-key-0123456789",
                            **extra)
