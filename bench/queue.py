"""Queue throughput and latency against a real server process on PostgreSQL.

Starts `uvicorn core.web.app:create_app` on a free loopback port with a temporary PostgreSQL database (the
demo deployment, the event dispatcher running), then:

1. issue: kiosks take tickets at increasing concurrency; throughput, p50 and p99 latency per level;
2. call-next: guides call those tickets at increasing concurrency until the line is empty (204);
3. fan-out: 500 open board streams (httpx async); time from sending call-next to each stream receiving the
   `ticket.called` event, over several calls.

    .venv/bin/python bench/queue.py [--streams 500] [--levels 1,8,32] [--per-level 150]

Bounded: each phase stops at its own time limit; the whole run takes well under two minutes.
"""

from __future__ import annotations

import os
import sys

# This file is named like the standard library's `queue`: keep its folder off the import path, or
# `import asyncio` would import this script instead.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import auth, devices, migrate  # noqa: E402
from core.db import Database  # noqa: E402
from core.plugins import PluginManager  # noqa: E402
from tests.support import free_port  # noqa: E402

POSTGRES_ADMIN = os.environ.get("MBK_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
API = "/api/v1/offices/skarholmen/queue"
PASSWORD = "bench password 123"
PHASE_LIMIT_SECONDS = 25
FANOUT_CALLS = 5


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(label: str, latencies: list[float], elapsed: float) -> None:
    print(f"  {label:<22} {len(latencies):>5} req  {len(latencies) / elapsed:>7.1f} req/s  "
          f"p50 {percentile(latencies, .5) * 1000:>6.1f} ms  p99 {percentile(latencies, .99) * 1000:>7.1f} ms")


class Server:
    """A temporary PostgreSQL database and a uvicorn process serving the demo deployment on it."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        self.name = f"mbk_bench_queue_{uuid.uuid4().hex[:8]}"
        self.url = sa.engine.make_url(POSTGRES_ADMIN).set(database=self.name).render_as_string(hide_password=False)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        database = Database(self.url)
        migrate.upgrade(database.engine, PluginManager.from_entry_points())
        with database.session() as session:
            _, self.kiosk_token = devices.enrol_device(session, "skarholmen", "kiosk", "Bench kiosk")
            auth.create_user(session, "bench-guide", PASSWORD, office_id="skarholmen", role="guide")
        database.dispose()
        env = {**os.environ, "MBK_DATABASE_URL": self.url, "MBK_DEPLOYMENT": str(ROOT / "deployments" / "demo"),
               "MBK_SECRET_KEY": "bench-secret-key-0123456789abcdef", "MBK_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "core.web.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log",
             "--timeout-graceful-shutdown", "1"], cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        token = httpx.post(f"{self.base}/api/v1/auth/token", data={"username": "bench-guide", "password": PASSWORD})
        self.guide_token = token.json()["access_token"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


async def run_level(concurrency: int, total: int, request: Callable[[httpx.AsyncClient], Awaitable[bool]],
                    client: httpx.AsyncClient) -> tuple[list[float], float]:
    """``concurrency`` workers sending requests until ``total`` are done or ``request`` says stop."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + PHASE_LIMIT_SECONDS / 2
    remaining = total
    stop = False

    async def worker() -> None:
        nonlocal remaining, stop
        while remaining > 0 and not stop and time.perf_counter() < deadline:
            remaining -= 1
            t0 = time.perf_counter()
            more = await request(client)
            latencies.append(time.perf_counter() - t0)
            if not more:
                stop = True

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def load(server: Server, levels: list[int], per_level: int) -> None:
    kiosk = {"Authorization": f"Bearer {server.kiosk_token}"}
    guide = {"Authorization": f"Bearer {server.guide_token}"}
    limits = httpx.Limits(max_connections=max(levels) + 4)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        async def issue(c: httpx.AsyncClient) -> bool:
            response = await c.post(f"{API}/tickets", headers=kiosk, json={"service": "info", "language": "sv"})
            assert response.status_code == 201, response.text
            return True

        async def call(c: httpx.AsyncClient) -> bool:
            response = await c.post(f"{API}/call-next", headers=guide, json={"counter": "info-1"})
            assert response.status_code in (200, 204), response.text
            return response.status_code == 200

        print("issue (POST /tickets)")
        for level in levels:
            latencies, elapsed = await run_level(level, per_level, issue, client)
            report(f"{level} concurrent", latencies, elapsed)
        print("call-next (POST /call-next), until the line is empty")
        for level in levels:
            latencies, elapsed = await run_level(level, per_level, call, client)
            report(f"{level} concurrent", latencies, elapsed)


async def fan_out(server: Server, streams: int) -> None:
    kiosk = {"Authorization": f"Bearer {server.kiosk_token}"}
    guide = {"Authorization": f"Bearer {server.guide_token}"}
    arrivals: dict[str, list[float]] = {}
    connected = 0
    all_connected = asyncio.Event()

    async def board(client: httpx.AsyncClient) -> None:
        nonlocal connected
        async with client.stream("GET", f"{API}/board/events") as response:
            event = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "state":
                    connected += 1
                    if connected == streams:
                        all_connected.set()
                elif line.startswith("data: ") and event == "ticket.called":
                    number = line.split('"number": "')[1].split('"')[0]
                    arrivals.setdefault(number, []).append(time.perf_counter())

    limits = httpx.Limits(max_connections=streams + 8, max_keepalive_connections=streams + 8)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=httpx.Timeout(60, read=None)) as client:
        for _ in range(FANOUT_CALLS):
            (await client.post(f"{API}/tickets", headers=kiosk, json={"service": "info", "language": "sv"}))
        started = time.perf_counter()
        tasks = [asyncio.create_task(board(client)) for _ in range(streams)]
        await asyncio.wait_for(all_connected.wait(), timeout=PHASE_LIMIT_SECONDS)
        print(f"fan-out: {streams} board streams open after {time.perf_counter() - started:.1f} s")
        delays: list[float] = []
        for _ in range(FANOUT_CALLS):
            sent = time.perf_counter()
            response = await client.post(f"{API}/call-next", headers=guide, json={"counter": "info-1"})
            number = response.json()["number"]
            deadline = time.perf_counter() + 10
            while len(arrivals.get(number, [])) < streams and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            got = arrivals.get(number, [])
            delays += [t - sent for t in got]
            print(f"  call {number}: {len(got)}/{streams} streams, first {min(got) - sent:.3f} s, "
                  f"last {max(got) - sent:.3f} s")
            await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(f"  call-next sent → event on a board stream: p50 {percentile(delays, .5) * 1000:.0f} ms, "
          f"p99 {percentile(delays, .99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
          f"({len(delays)} deliveries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--per-level", type=int, default=150)
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    began = time.perf_counter()
    with Server() as server:
        print(f"server on {server.base}, PostgreSQL database {server.name} (one uvicorn process, "
              f"{os.cpu_count()} CPU cores shared with the client)")
        asyncio.run(load(server, levels, args.per_level))
        asyncio.run(fan_out(server, args.streams))
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
