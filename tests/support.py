"""Helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from core import devices
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
        _, token = devices.enrol_device(session, office, kind, name)
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

    def __init__(self, ctx: AppContext, port: int | None = None):
        import uvicorn

        self.ctx = ctx
        self.port = port or free_port()
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




OIDC_DIR = Path(__file__).resolve().parent / "oidc"
NODE = os.environ.get("MBK_NODE", "/usr/bin/node")


class OidcProvider:
    """A real OpenID Connect provider (the npm package oidc-provider, run with the machine's node) on a free
    loopback port, with one confidential client and test accounts (any password is accepted by its development
    login form). ``accounts`` is re-read at every login: change ``set_groups`` between logins."""

    def __init__(self, tmp: Path, redirect_base: str, client_id: str, client_secret: str,
                 accounts: dict[str, dict[str, Any]]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.accounts = dict(accounts)
        self.accounts_file = tmp / "oidc-accounts.json"
        self._write_accounts()
        self.config = {"clients": [{"client_id": client_id, "client_secret": client_secret,
                                    "redirect_uris": [f"{redirect_base}/login/sso/callback"],
                                    "post_logout_redirect_uris": [f"{redirect_base}/login"]}],
                       "accountsFile": str(self.accounts_file)}
        self.process: subprocess.Popen[bytes] | None = None

    def _write_accounts(self) -> None:
        self.accounts_file.write_text(json.dumps(self.accounts), encoding="utf-8")

    def set_groups(self, account: str, groups: list[str]) -> None:
        self.accounts[account] = {**self.accounts[account], "groups": groups}
        self._write_accounts()

    def __enter__(self) -> OidcProvider:
        install_oidc_provider()
        env = {**os.environ, "OIDC_TEST_CONFIG": json.dumps(self.config)}
        self.process = subprocess.Popen([NODE, str(OIDC_DIR / "provider.mjs"), str(self.port)], cwd=OIDC_DIR, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                self.__exit__()
                raise RuntimeError(f"oidc-provider did not start:\n{output}")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout:
                self.process.stdout.close()


def install_oidc_provider() -> None:
    """``npm ci`` in tests/oidc once (from its package-lock.json), as .ci/run does on a clean clone."""
    if (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, capture_output=True)
