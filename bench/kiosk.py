"""Benchmark of the kiosk: screen render times, arrivals per second, and counts under concurrent kiosks.

    .venv/bin/python bench/kiosk.py [--requests 200] [--postgres URL] [--no-postgres]

Runs the demo deployment in-process (FastAPI TestClient, an enrolled kiosk device) on a temporary SQLite
file and, when reachable, a fresh PostgreSQL database (dropped at the end). Prints figures; asserts only
correctness (one arrival per screen key, no lost usage count), never timings.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench/queue.py would shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from core import devices, migrate  # noqa: E402
from core.config import PlatformSettings  # noqa: E402
from core.db import Database  # noqa: E402
from core.events import OutboxEvent  # noqa: E402
from core.plugins import PluginManager  # noqa: E402
from core.web.app import create_app, create_context  # noqa: E402
from plugins.kiosk import service  # noqa: E402
from plugins.kiosk.models import UsageCount  # noqa: E402

DEMO = Path(__file__).resolve().parent.parent / "deployments" / "demo"


def timed(call: Callable[[], object], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def run(url: str, label: str, requests: int) -> None:
    database = Database(url)
    migrate.upgrade(database.engine, PluginManager.from_entry_points())
    ctx = create_context(PlatformSettings(database_url=url, deployment=DEMO, secret_key="bench-secret-0123456789",
                                          run_dispatcher=False), PluginManager.from_entry_points(), database)
    with ctx.db.session() as session:
        _, token = devices.enrol_device(session, "skarholmen", "kiosk", "bench")
    headers = {"Authorization": f"Bearer {token}", "accept": "text/html"}
    print(f"== {label}")
    with TestClient(create_app(ctx)) as client:
        for name, path in (("start screen", "/skarholmen/kiosk?lang=ar"),
                           ("meeting screen", "/skarholmen/kiosk/meeting?lang=sv"),
                           ("guide with QR code", "/skarholmen/kiosk/guides/financial-assistance?lang=ar"),
                           ("talk questions", "/skarholmen/kiosk/talk/housing?lang=so")):
            p50, p95 = timed(lambda path=path: client.get(path, headers=headers).raise_for_status(), requests)
            print(f"{name:>28}: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")

        def arrive() -> None:
            client.post("/api/v1/offices/skarholmen/kiosk/arrivals", headers=headers,
                        json={"language": "sv", "idempotency_key": uuid.uuid4().hex, "officer_id": "a-lind"})
        start = time.perf_counter()
        for _ in range(requests):
            arrive()
        elapsed = time.perf_counter() - start
        print(f"{'arrivals (sequential)':>28}: {requests / elapsed:6.0f} per second")

        key = uuid.uuid4().hex
        answers: list[int] = []

        def tap() -> None:
            answers.append(client.post("/api/v1/offices/skarholmen/kiosk/arrivals", headers=headers,
                                       json={"language": "sv", "idempotency_key": key,
                                             "officer_id": "k-hassan"}).status_code)
        taps = [threading.Thread(target=tap) for _ in range(8)]
        for thread in taps:
            thread.start()
        for thread in taps:
            thread.join()
        with ctx.db.session() as session:
            made = session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).where(
                OutboxEvent.type == "visitor.arrived", OutboxEvent.payload["officer_id"].as_string() == "k-hassan"))
        assert made == 1 and answers == [201] * 8, (made, answers)
        print(f"{'8 taps at once, same key':>28}: {made} arrival")

    office = ctx.deployment.office("skarholmen")
    per_thread = max(requests // 2, 10)

    def count() -> None:
        for _ in range(per_thread):
            with ctx.db.session() as session:
                service.record_usage(session, office, "ar", "guide-read", "housing")
    threads = [threading.Thread(target=count) for _ in range(6)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    with ctx.db.session() as session:
        total = session.scalar(sa.select(sa.func.sum(UsageCount.count))
                               .where(UsageCount.choice == "guide-read", UsageCount.guide == "housing"))
    assert total == 6 * per_thread, total
    print(f"{'usage counts, 6 kiosks':>28}: {6 * per_thread / elapsed:6.0f} per second, none lost ({total})")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", "SQLite", args.requests)
    if args.no_postgres:
        return
    admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"mbk_bench_kiosk_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"== PostgreSQL not reachable ({type(exc).__name__}): skipped")
        return
    try:
        run(sa.engine.make_url(args.postgres).set(database=name).render_as_string(hide_password=False),
            "PostgreSQL", args.requests)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
