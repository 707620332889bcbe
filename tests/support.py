"""Helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from core import auth
from core.dispatch import Dispatcher
from core.events import DomainEvent
from core.plugins import PluginManager
from core.web.app import AppContext, create_app

PASSWORD = "correct horse battery"


def builtin_plugins() -> PluginManager:
    """The built-in plugins, registered explicitly (not from whatever is installed)."""
    import plugins.appointments
    import plugins.kiosk
    import plugins.notify
    import plugins.queue
    import plugins.surveys

    return PluginManager.from_objects({"kiosk": plugins.kiosk, "notify": plugins.notify, "queue": plugins.queue,
                                       "surveys": plugins.surveys,
                                       "appointments": plugins.appointments})


def registered_event(plugins: PluginManager, type_name: str, **fields: Any) -> DomainEvent:
    """An event of the class its publisher registered through ``mbk_event_types`` (never a copy of it)."""
    return plugins.event_types[type_name].model(**fields)


def drain_events(ctx: AppContext, rounds: int = 20) -> None:
    """Run the outbox dispatcher until it has nothing left to do (tests run it by hand, deterministically)."""
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    for _ in range(rounds):
        if not dispatcher.run_once():
            return


def bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization header for a staff user, through the public token endpoint."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def device_header(ctx: AppContext, office: str, kind: str, name: str = "Test device") -> dict[str, str]:
    with ctx.db.session() as session:
        _, token = auth.enrol_device(session, office, kind, name)
    return {"Authorization": f"Bearer {token}"}


def csp_violations(page: Any, seen: list[str] | None = None) -> list[str]:
    """Collects (into ``seen``) the browser's reports of anything the Content-Security-Policy blocked on a page."""
    seen = [] if seen is None else seen
    page.on("console", lambda message: seen.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return seen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app served by uvicorn in a thread on a free loopback port (for browsers and real HTTP clients)."""

    def __init__(self, ctx: AppContext):
        import uvicorn

        self.ctx = ctx
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(ctx), host="127.0.0.1", port=self.port, log_level="warning",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


