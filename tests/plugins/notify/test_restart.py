"""Pending messages survive the server process being killed (SIGKILL) and are delivered once after restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from core.web.app import AppContext
from tests.plugins.notify.conftest import notify_and_publishers, publish_now
from tests.plugins.notify.fakes import ProviderServer, SmtpServer, write_deployment
from tests.plugins.notify.test_delivery import messages, wait_until
from tests.support import free_port, registered_event

ROOT = Path(__file__).resolve().parents[3]


def start_server(db_url: str, deployment: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "MBK_DATABASE_URL": db_url, "MBK_DEPLOYMENT": str(deployment),
           "MBK_SECRET_KEY": "test-secret-key-0123456789", "MBK_RUN_DISPATCHER": "1"}
    process = subprocess.Popen([sys.executable, "-m", "tests.plugins.notify.serve", str(port)], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.1)


def test_server_killed_with_pending_messages_delivers_them_after_restart(
        make_context: Callable[..., AppContext], db_url: str, tmp_path: Path, smtp: SmtpServer,
        provider: ProviderServer) -> None:
    deployment = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url,
                                  max_attempts=50)
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers())
    smtp.stop()
    server, _ = start_server(db_url, deployment)
    try:
        publish_now(ctx, registered_event(ctx.plugins, "visitor.arrived", arrival_id="a1", officer_id="j-smith",
                                          unit_id=None, first_name="Amina", language="sv"))
        # the server's dispatcher writes the message and its sender fails to reach the SMTP server
        wait_until(lambda: any(m.attempts >= 1 and m.status == "pending" for m in messages(ctx)), timeout=20)
    finally:
        server.kill()  # SIGKILL: no shutdown hook runs
        server.wait(timeout=10)
    assert [m.status for m in messages(ctx)] in (["pending"], ["sending"])
    assert smtp.messages() == []

    smtp.start()
    server, _ = start_server(db_url, deployment)
    try:
        [(recipients, mail)] = smtp.wait_for(1, timeout=20)
        assert recipients == ["john.smith@test.example"]
        assert mail["Subject"] == "Amina has arrived for the booked meeting"
        wait_until(lambda: [m.status for m in messages(ctx)] == ["sent"], timeout=10)
        time.sleep(0.5)
        assert len(smtp.messages()) == 1
    finally:
        server.terminate()
        server.wait(timeout=10)



def test_mbk_notify_run_sends_as_its_own_worker(make_context: Callable[..., AppContext], db_url: str,
                                                tmp_path: Path, smtp: SmtpServer, provider: ProviderServer) -> None:
    """Web processes started with MBK_RUN_DISPATCHER=0 leave sending to `mbk notify run`."""
    from tests.support import drain_events

    deployment = write_deployment(tmp_path / "deployment", smtp_port=smtp.port, provider=provider.url)
    ctx = make_context(deployment=deployment, plugins=notify_and_publishers())
    publish_now(ctx, registered_event(ctx.plugins, "visitor.arrived", arrival_id="a1", officer_id="j-smith",
                                      unit_id=None, first_name="Amina", language="sv"))
    drain_events(ctx)
    env = {**os.environ, "MBK_DATABASE_URL": db_url, "MBK_SECRET_KEY": "test-secret-key-0123456789"}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "mbk"), "notify", "run", "--deployment",
                               str(deployment)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        [(recipients, _)] = smtp.wait_for(1, timeout=20)
        assert recipients == ["john.smith@test.example"]
        wait_until(lambda: [m.status for m in messages(ctx)] == ["sent"], timeout=10)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=10)[0].decode()
    assert "sending messages for testoffice" in output
    assert "Amina" not in output and "john.smith" not in output
