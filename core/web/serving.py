"""Several web processes on one port: each process binds its own socket with SO_REUSEPORT and the kernel spreads new
connections over them, so a second process adds capacity without a proxy in front.

Not uvicorn's ``--workers``: its workers share one socket, and on keep-alive connections that added about 40 ms per
request here. A supervisor (this module, run by ``mbk serve --processes N``) starts the processes, reports ready once
all of them listen, stops them all on SIGTERM/SIGINT and exits when one of them dies, so that systemd (or whatever
runs it) restarts the lot. The processes share a fresh ``PROMETHEUS_MULTIPROC_DIR`` for /metrics.

    python -m core.web.serving core.web.app:create_app --host 127.0.0.1 --port 8000 --processes 2

``APP`` is an import string of an app factory. If ``MBK_READY_FD`` names an open file descriptor, a line ``ready``
is written to it once every process listens (how tests and bench/ wait for it).
"""

from __future__ import annotations

import argparse
import gc
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

READY_FD = "MBK_READY_FD"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
READY = b"ready\n"
START_TIMEOUT_SECONDS = 120


def reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def announce_ready() -> None:
    """Write ``ready`` to the descriptor named by MBK_READY_FD, if any (once)."""
    fd = os.environ.pop(READY_FD, None)
    if fd is not None:
        os.write(int(fd), READY)
        os.close(int(fd))


def freeze_startup_objects() -> None:
    """Keep what startup made out of the garbage collector's full passes: the app, its routes, the mappers, the
    templates and translations are some 200,000 objects that live as long as the process, and a full pass over
    them held the process for 60-170 ms (measured with gc.callbacks under ticket issue: one every ~40 s)."""
    gc.collect()  # first, so that no garbage of the startup is kept for good
    gc.freeze()


def serve(app: Any, sockets: list[socket.socket] | None = None, **config: Any) -> None:
    """Serve ``app`` (an app, or an import string with ``factory=True``) with uvicorn, ``config`` being
    uvicorn.Config's; once it listens, the startup's objects are frozen and MBK_READY_FD hears ``ready``."""
    import uvicorn
    from uvicorn.main import STARTUP_FAILURE

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:  # the app started and the socket listens
                freeze_startup_objects()
                announce_ready()

    server = Server(uvicorn.Config(app, **config))
    server.run(sockets=sockets)
    if not server.started:  # as uvicorn.run: the app's startup failed, or the port was taken
        sys.exit(STARTUP_FAILURE)


def run_process(app: str, host: str, port: int, log_level: str) -> None:
    """One web process: the app factory served by uvicorn on its own SO_REUSEPORT socket."""
    serve(app, [reuseport_socket(host, port)], factory=True, log_level=log_level, timeout_graceful_shutdown=3,
          backlog=4096)


def _wait_ready(read_fd: int, children: list[subprocess.Popen[bytes]]) -> bool:
    """True once every child wrote ``ready``; False if one ended first or it took too long."""
    got = b""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while got.count(READY) < len(children):
        if time.monotonic() > deadline or any(child.poll() is not None for child in children):
            return False
        if select.select([read_fd], [], [], 0.5)[0]:
            got += os.read(read_fd, 64)
    return True


def supervise(app: str, host: str, port: int, processes: int, log_level: str = "info",
              env: dict[str, str] | None = None) -> int:
    """Run ``processes`` web processes until SIGTERM/SIGINT (exit 0) or until one of them ends (exit 1)."""
    env = {**os.environ, **(env or {})}
    own_dir = MULTIPROCESS_DIR not in env
    metrics_dir = Path(tempfile.mkdtemp(prefix="mbk-metrics-")) if own_dir else Path(env[MULTIPROCESS_DIR])
    for stale in metrics_dir.glob("*.db"):  # series of processes of an earlier start
        stale.unlink()
    read_fd, write_fd = os.pipe()
    child_env = {**env, MULTIPROCESS_DIR: str(metrics_dir), READY_FD: str(write_fd)}
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    # The first process alone does the background work (the event dispatcher, the device and printer watch): every
    # process hears every event through LISTEN, so a dispatcher in each would wake on every event and race the
    # others for the same rows, one transaction per process and event for nothing.
    background = [child_env] + [{**child_env, "MBK_RUN_DISPATCHER": "0"}] * (processes - 1)
    children = [subprocess.Popen([sys.executable, "-m", "core.web.serving", app, "--host", host, "--port", str(port),
                                  "--log-level", log_level, "--process"], env=process_env, pass_fds=(write_fd,))
                for process_env in background]
    os.close(write_fd)
    try:
        if not _wait_ready(read_fd, children):
            print(f"error: not every one of the {processes} web processes started", file=sys.stderr)
            return 1
        announce_ready()
        while not stop.wait(0.5):
            ended = [child for child in children if child.poll() is not None]
            if ended:
                print(f"error: web process {ended[0].pid} ended (status {ended[0].returncode}); stopping the others",
                      file=sys.stderr)
                return 1
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        os.close(read_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if own_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", help="import string of an app factory, e.g. core.web.app:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--process", action="store_true", help=argparse.SUPPRESS)  # one of the supervised processes
    args = parser.parse_args()
    if args.process:
        run_process(args.app, args.host, args.port, args.log_level)
    else:
        sys.exit(supervise(args.app, args.host, args.port, args.processes, args.log_level))


if __name__ == "__main__":
    main()
