"""`mbk serve --processes N`: N web processes on one port, each serving requests, /metrics summing over all of them
(prometheus-client's multiprocess mode); refused on SQLite, whose live updates stay inside one process."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.web.serving import READY, READY_FD
from tests.core import serving_probe
from tests.support import free_port

DEMO = Path(__file__).resolve().parents[2] / "deployments" / "demo"
TOKEN = "serving-test-token"
REQUESTS = 40


def mbk_serve(db_url: str, deployment: Path, port: int, ready_fd: int, metrics_dir: Path) -> subprocess.Popen[str]:
    # PATH without espeak-ng: serve then starts without making the demo's 2,000 speech clips (a minute on a
    # loaded machine), as on a server without espeak-ng; the processes are what this test is about.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent), "MBK_DATABASE_URL": db_url,
           "MBK_SECRET_KEY": "serving-test-secret-key-0123456789",
           "MBK_TEST_METRICS_TOKEN": TOKEN, "MBK_LOG_LEVEL": "WARNING", READY_FD: str(ready_fd),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    return subprocess.Popen([str(Path(sys.executable).parent / "mbk"), "serve", "--deployment", str(deployment),
                             "--port", str(port), "--processes", "2"], env=env, pass_fds=(ready_fd,),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_supervisor(supervisor: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """After a failed assertion too: SIGTERM first, so that the supervisor stops its processes (a SIGKILL would
    leave them running), and only then kill."""
    if supervisor.poll() is None:
        supervisor.terminate()
        try:
            supervisor.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.communicate()


def test_processes_share_a_port_and_metrics_sum_over_them(db_url: str, tmp_path: Path) -> None:
    deployment = tmp_path / "deployment"
    shutil.copytree(DEMO, deployment)
    platform = deployment / "platform.toml"
    platform.write_text(platform.read_text(encoding="utf-8").replace(
        "[platform]\n", '[platform]\nmetrics_token_env = "MBK_TEST_METRICS_TOKEN"\n'), encoding="utf-8")
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    read_fd, write_fd = os.pipe()
    server = mbk_serve(db_url, deployment, port, write_fd, metrics_dir)
    os.close(write_fd)
    try:
        if db_url.startswith("sqlite"):
            output, _ = server.communicate(timeout=120)
            assert server.returncode == 2
            assert "several processes need PostgreSQL" in output
            return
        assert select.select([read_fd], [], [], 120)[0] and os.read(read_fd, 16) == READY, "did not start"
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them over the processes
            with httpx.Client() as client:
                assert client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        served_by = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("histogram_*.db")}
        assert len(served_by) == 2, f"requests reached processes {served_by}"
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
        counts = [s.value for family in text_string_to_metric_families(scraped) for s in family.samples
                  if s.name == "mbk_http_request_duration_seconds_count" and s.labels["route"] == "/healthz"]
        assert counts == [REQUESTS]  # one sample: the sum over both processes, whichever answered the scrape
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
        assert server.returncode == 0
    finally:
        os.close(read_fd)
        stop_supervisor(server)


@pytest.mark.parametrize(("operator_setting", "expected"), [
    (None, ["0", "0", "unset"]),  # the first process dispatches events and watches devices, the others do not
    ("0", ["0", "0", "0"]),  # a separate `mbk events run` worker dispatches: no web process does
])
def test_first_process_alone_does_background_work_and_each_freezes_startup(
        tmp_path: Path, operator_setting: str | None, expected: list[str]) -> None:
    env = {**os.environ, serving_probe.FOLDER: str(tmp_path)}
    env.pop("MBK_RUN_DISPATCHER", None)
    if operator_setting is not None:
        env["MBK_RUN_DISPATCHER"] = operator_setting
    read_fd, write_fd = os.pipe()
    port = free_port()
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "core.web.serving", f"{serving_probe.__name__}:create_app", "--port", str(port),
         "--processes", "3", "--log-level", "warning"], env={**env, READY_FD: str(write_fd)}, pass_fds=(write_fd,))
    os.close(write_fd)
    try:
        assert select.select([read_fd], [], [], 60)[0] and os.read(read_fd, 16) == READY, "did not start"
        assert sorted(path.read_text() for path in tmp_path.iterdir()) == expected
        # What startup made is out of the garbage collector's full passes (a pass over it held a process 60-170 ms).
        assert int(httpx.get(f"http://127.0.0.1:{port}/frozen").text) > 1000
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=60) == 0
    finally:
        os.close(read_fd)
        stop_supervisor(supervisor)


def test_served_connections_send_without_nagle_delay() -> None:
    """asyncio turns Nagle's algorithm off only on sockets made with proto IPPROTO_TCP. Without it a response
    written in two parts (headers, body) waited for the client's delayed ACK: 40 ms per keep-alive request."""
    import asyncio
    import socket
    from concurrent.futures import ThreadPoolExecutor

    from core.web.serving import reuseport_socket

    async def accepted_nodelay() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        sock = reuseport_socket("127.0.0.1", free_port())
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname())
            try:
                return await asyncio.wait_for(accepted, 10)
            finally:
                writer.close()

    # A loop of its own in a thread of its own: the test process may already run one (browser tests).
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, accepted_nodelay()).result(timeout=30) != 0
