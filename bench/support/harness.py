"""Shared parts of the side-by-side benchmarks: temporary databases, servers on a loopback port (N processes of one
app sharing it through SO_REUSEPORT), a closed-loop load from wrk, interleaved rounds and the side-by-side table.

The machine is shared: a single figure means little, the ratio of two figures measured in alternating rounds of the
same run means more. Every table gives the medians over rounds (rate, p50, p99) and each row's ratio to the first.
"""

from __future__ import annotations

import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from bench.support.cpu_share import CpuShares, CpuShareUnavailable
from core import auth, devices, migrate
from core.db import Database
from core.events import EventDelivery, OutboxEvent
from core.loading import load_deployment
from core.plugins import PluginManager
from core.web.serving import READY, READY_FD
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN = os.environ.get("MBK_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PROJECT_APP = "core.web.app:create_app"
REFERENCE_APP = "bench.support.reference:create_app"
DEMO = ROOT / "deployments" / "demo"  # two offices; the bench's tickets go to Skärholmen's
CITY = ROOT / "deployments" / "stockholm"  # nine offices, one instance: what the city deploys
OFFICE_API = "/api/v1/offices/skarholmen/queue"
GUIDE, PASSWORD = "bench-guide", "bench password 123"
CONNECTIONS = 8


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``admin_url``, dropped afterwards; yields its URL."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"mbk_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def temporary_database(backend: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards) or SQLite file; yields its URL."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mbk-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    with postgres_database(POSTGRES_ADMIN) as url:
        yield url


def prepare_project(url: str) -> str:
    """Migrate the database, enrol a kiosk and create a guide at Skärholmen; returns the kiosk's bearer token."""
    database = Database(url)
    migrate.upgrade(database.engine, PluginManager.from_entry_points())
    with database.session() as session:
        auth.create_user(session, GUIDE, PASSWORD, office_id="skarholmen", role="guide")
    database.dispose()
    return enrol_kiosks(url, ["skarholmen"])["skarholmen"]


def enrol_kiosks(url: str, offices: Iterable[str]) -> dict[str, str]:
    """A kiosk in each office (of a migrated database); answers each one's bearer token by office."""
    database = Database(url)
    with database.session() as session:
        tokens = {office: devices.enrol_device(session, office, "kiosk", "Bench kiosk")[1] for office in offices}
    database.dispose()
    return tokens


def ticket_lines(deployment: Path) -> list[tuple[str, str]]:
    """Every line a kiosk issues tickets to in ``deployment``, as (office, service): each service of each office that
    has a queue, but those with seats (seating a visitor as their ticket is issued is other work)."""
    from plugins.queue.settings import settings_of

    loaded = load_deployment(deployment, PluginManager.from_entry_points())
    return [(office.id, service.id) for office in loaded.offices.values() if office.enables("queue")
            for service in settings_of(office).services if service.seats is None]


def project_env(url: str, deployment: Path = DEMO) -> dict[str, str]:
    return {"MBK_DATABASE_URL": url, "MBK_DEPLOYMENT": str(deployment),
            "MBK_SECRET_KEY": "bench-secret-key-0123456789abcdef", "MBK_LOG_LEVEL": "WARNING"}


def settle(url: str, timeout: float = 60) -> None:
    """Wait until the project's dispatcher has delivered every event, so one round's backlog does not run
    during the next round (of another target)."""
    database = Database(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.session() as session:
            left = (session.scalar(sa.select(sa.func.count()).where(OutboxEvent.fanned_out.is_(False))) or 0) + (
                session.scalar(sa.select(sa.func.count()).where(EventDelivery.status == "pending")) or 0)
        if not left:
            break
        time.sleep(0.2)
    database.dispose()


class Servers:
    """``processes`` uvicorn processes of one app sharing a loopback port, started the way ``mbk serve --processes``
    starts them (core.web.serving: SO_REUSEPORT, a supervisor, multiprocess metrics)."""

    def __init__(self, app: str, env: dict[str, str], processes: int = 1, cpu_share: float | None = None):
        self.app, self.env, self.processes = app, env, processes
        self._cpu_shares = CpuShares(cpu_share) if cpu_share else None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._supervisor: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Servers:
        read_fd, write_fd = os.pipe()
        self._supervisor = subprocess.Popen(
            [sys.executable, "-m", "core.web.serving", self.app, "--port", str(self.port),
             "--processes", str(self.processes), "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **self.env, READY_FD: str(write_fd)}, pass_fds=(write_fd,))
        os.close(write_fd)
        try:
            ready = select.select([read_fd], [], [], 180)[0] and os.read(read_fd, 16) == READY
        finally:
            os.close(read_fd)
        if not ready:
            self.__exit__()
            raise RuntimeError(f"{self.app} did not start")
        if self._cpu_shares is not None:
            try:
                for pid in self._web_processes():
                    self._cpu_shares.hold(pid)
            except CpuShareUnavailable:
                self.__exit__()
                raise
        return self

    def _web_processes(self) -> list[int]:
        assert self._supervisor is not None
        pid = self._supervisor.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the web processes have used so far: on a shared machine a steadier figure
        per request than the rate, which other work on the machine drags down."""
        return sum(_cpu_seconds(pid) for pid in self._web_processes())

    def resident_mib(self) -> float:
        """The resident memory of the web processes now, in MiB."""
        return sum(_resident_kib(pid) for pid in self._web_processes()) / 1024

    def __exit__(self, *exc: object) -> None:
        if self._supervisor is not None:
            self._supervisor.terminate()
            try:
                self._supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._supervisor.kill()
                self._supervisor.wait()
        if self._cpu_shares is not None:
            self._cpu_shares.release()


def guide_token(base: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/token", data={"username": GUIDE, "password": PASSWORD},
                          timeout=60)
    response.raise_for_status()
    return response.json()["access_token"]


def _resident_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float | None = None  # the servers' CPU time per request, the work they did after the run included

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class Post(NamedTuple):
    """One request of wrk's rotation: a JSON body POSTed to a path, with a bearer token or none."""

    path: str
    body: str
    token: str | None = None


WRK_SCRIPT = """
local posts = {{
{posts}
}}
local prepared, turn = {{}}, 0
init = function(args)
  for i, post in ipairs(posts) do
    local headers = {{["Content-Type"] = "application/json", ["Host"] = wrk.headers["Host"]}}
    if post[3] ~= "" then headers["Authorization"] = "Bearer " .. post[3] end
    prepared[i] = wrk.format("POST", post[1], headers, post[2])
  end
end
request = function()
  turn = turn % #prepared + 1
  return prepared[turn]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(base: str, posts: Sequence[Post], seconds: float, connections: int = CONNECTIONS) -> Run:
    """A closed loop of ``connections`` keep-alive connections to ``base`` for ``seconds`` (wrk, one thread), each
    request the next of ``posts`` in turn (one post: the same request throughout)."""
    rows = ",\n".join(f"  {{{_lua_string(post.path)}, {_lua_string(post.body)}, {_lua_string(post.token or '')}}}"
                       for post in posts)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(posts=rows))
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name,
                              base], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    requests, micros, p50, p99, errors = (int(v) for v in line.split()[1:])
    return Run(requests, micros / 1e6, p50 / 1000, p99 / 1000, errors)


def analyze(url: str) -> None:
    """Planner statistics for every table of a PostgreSQL database, the project's and the bare endpoint's alike.

    Production PostgreSQL runs autovacuum, which analyzes tables as they change; this machine's runs with it off, so
    the bench's fresh tables would have none, and as the line grows to thousands the planner picks poor indexes for
    it (issue 12: the place-in-line count at 3,000 waiting, 4.5 ms without, 0.84 ms after ANALYZE). SQLite has no
    autovacuum to stand in for: a deployment analyzes only when told, so neither app gets statistics there."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


ANALYZED = "ANALYZE before every run, as autovacuum would"  # what the tables' titles say on PostgreSQL


def measured(servers: Servers, run: Callable[[], Run], after: Callable[[], None] = lambda: None,
             url: str | None = None) -> Run:
    """``run`` with the CPU time ``servers`` spent on it, including what they still did until ``after`` returned
    (e.g. the dispatcher delivering the run's events). Given the database's ``url``, its tables are analyzed first
    (``analyze``), outside the measured time."""
    if url is not None:
        analyze(url)
    before = servers.cpu_seconds()
    result = run()
    after()
    return replace(result, cpu_ms=(servers.cpu_seconds() - before) * 1000 / max(result.requests, 1))


def interleaved(targets: dict[str, Callable[[], Run]], rounds: int) -> dict[str, list[Run]]:
    """Each target once per round, the order reversed every other round so drift in the machine's load falls on
    both alike (a target that leaves work behind, such as a dispatcher's backlog, waits for it: ``measured``)."""
    results: dict[str, list[Run]] = {name: [] for name in targets}
    names = list(targets)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            results[name].append(targets[name]())
    return results


def table(title: str, results: dict[str, list[Run]]) -> dict[str, float]:
    """Print medians and each row's ratio to the first row; returns the median rates."""
    print(f"\n{title}")
    print(f"  {'':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'errors':>8}{'CPU ms/req':>12}"
          "   rates per round")
    rates = {name: statistics.median(r.rate for r in runs) for name, runs in results.items()}
    first = next(iter(rates.values()))
    for name, runs in results.items():
        p50 = statistics.median(r.p50_ms for r in runs)
        p99 = statistics.median(r.p99_ms for r in runs)
        errors = sum(r.errors for r in runs)
        per_round = " ".join(f"{r.rate:.0f}" for r in runs)
        cpu = [r.cpu_ms for r in runs if r.cpu_ms is not None]
        cpu_text = f"{statistics.median(cpu):.2f}" if cpu else "-"
        print(f"  {name:<34}{rates[name]:>9.1f}{p50:>9.1f}{p99:>9.1f}{rates[name] / first:>7.2f}×{errors:>8}"
              f"{cpu_text:>12}   {per_round}")
    return rates


def machine() -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{os.cpu_count()} CPU cores, load average {load} (shared machine: read the ratios)"


def prefill_project(url: str, count: int, office: str = "skarholmen", service: str = "info") -> None:
    """Put ``count`` waiting tickets in a line of the project, straight into its table (for call-next)."""
    from plugins.queue.models import WAITING, Ticket

    database = Database(url)
    timezone = ZoneInfo("Europe/Stockholm")  # the demo office's
    now = datetime.now(UTC)
    day = now.astimezone(timezone).date()
    with database.session() as session:
        lowest = min(session.scalar(sa.select(sa.func.min(Ticket.number))) or 0, 0)
        session.execute(sa.insert(Ticket), [
            {"office_id": office, "public_id": uuid.uuid4().hex, "day": day, "issued_service": service,
             "service": service, "number": lowest - i, "label": f"P{i}", "status": WAITING, "language": "sv",
             "source": "kiosk", "booked": False, "recalls": 0, "issued_at": now, "waiting_since": now}
            for i in range(1, count + 1)])
    database.dispose()


def project_has_waiting(url: str, office: str = "skarholmen") -> bool:
    from plugins.queue.models import WAITING, Ticket

    database = Database(url)
    with database.session() as session:
        found = session.scalar(sa.select(Ticket.id).where(Ticket.office_id == office, Ticket.status == WAITING)
                               .limit(1))
    database.dispose()
    return found is not None
