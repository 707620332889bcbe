"""Benchmark of core's outbox and logins: publish rate, dispatcher delivery rate (one and two dispatchers),
commit-to-listener latency of live fan-out, and the cost of a password check.

    .venv/bin/python -m bench.events [--events 2000] [--postgres URL] [--no-postgres]

(as a module: run as a file, bench/queue.py would hide the standard library's queue module)

Each run uses temporary databases (a temp SQLite file; a fresh PostgreSQL database, dropped at the end) with
core's tables only and one do-nothing plugin handling every event, so the figures are core's own overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher

from bench.support.harness import postgres_database
from core import migrate
from core.config import Deployment
from core.db import Database
from core.dispatch import Dispatcher
from core.events import DomainEvent, Event, publish
from core.live import LiveBroker, PostgresListener, attach_broker
from core.loading import load_deployment
from core.plugins import Plugin, PluginManager, hookimpl


class Tick(DomainEvent):
    type = "bench.tick"
    n: int


class NoOp:
    """A plugin whose handler does nothing: deliveries measure the outbox alone."""

    @hookimpl
    def mbk_register(self) -> Plugin:
        return Plugin(name="bench")

    @hookimpl
    def mbk_handle_event(self, event: Event, office: object, session: object) -> None:
        return None


def deployment(root: Path, plugins: PluginManager) -> Deployment:
    (root / "offices").mkdir(parents=True)
    (root / "platform.toml").write_text('[platform]\nname = { sv = "Bench" }\n', encoding="utf-8")
    (root / "offices" / "bench.toml").write_text(
        '[office]\nid = "bench"\nname = { sv = "Bench" }\n[plugins]\nenabled = ["bench"]\n', encoding="utf-8")
    return load_deployment(root, plugins)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def drain(dispatcher: Dispatcher) -> None:
    while dispatcher.run_once():
        pass


def bench_database(label: str, url: str, events: int, root: Path) -> None:
    plugins = PluginManager.from_objects({"bench": NoOp()})
    deployed = deployment(root, plugins)
    database = Database(url)
    migrate.upgrade(database.engine, plugins)

    def publish_all(first: int) -> None:
        for n in range(first, first + events):
            with database.session() as session:
                publish(session, "bench", Tick(n=n))

    seconds = timed(lambda: publish_all(0))
    print(f"{label}: publish, one transaction per event: {events / seconds:,.0f} events/s")
    seconds = timed(lambda: drain(Dispatcher(database, plugins, deployed)))
    print(f"{label}: one dispatcher delivering {events} events: {events / seconds:,.0f} deliveries/s")

    publish_all(events)
    dispatchers = [Dispatcher(Database(url), plugins, deployed) for _ in range(2)]
    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    print(f"{label}: two dispatchers (own engines) delivering {events} events: {events / seconds:,.0f} deliveries/s")
    for dispatcher in dispatchers:
        dispatcher.database.dispose()

    print(f"{label}: commit → live listener latency: {live_latency(database)}")
    database.dispose()


def live_latency(database: Database, samples: int = 200) -> str:
    """Publish one event at a time and wait until the broker hands it to a subscriber (via NOTIFY on PostgreSQL)."""
    broker = LiveBroker()
    attach_broker(database, broker)
    listener = PostgresListener(database, broker) if database.is_postgres else None
    latencies: list[float] = []

    async def measure() -> None:
        broker.bind_loop(asyncio.get_running_loop())
        subscription = broker.subscribe("bench")
        for n in range(samples):
            start = time.perf_counter()
            await asyncio.to_thread(publish_one, n)
            await subscription.get()
            latencies.append((time.perf_counter() - start) * 1000)
        subscription.close()

    def publish_one(n: int) -> None:
        with database.session() as session:
            publish(session, "bench", Tick(n=n))

    if listener:
        listener.start()
    try:
        asyncio.run(measure())
    finally:
        if listener:
            listener.stop()
    latencies.sort()
    return (f"median {statistics.median(latencies):.1f} ms, p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms "
            f"(including the publishing transaction)")


def bench_password_check() -> None:
    hasher = PasswordHasher()  # core.auth's parameters: argon2-cffi's defaults
    stored = hasher.hash("correct horse battery")
    times = [timed(lambda: hasher.verify(stored, "correct horse battery")) * 1000 for _ in range(20)]
    print(f"password check (argon2id, t={hasher.time_cost}, m={hasher.memory_cost} KiB, p={hasher.parallelism}): "
          f"median {statistics.median(times):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_database("SQLite", f"sqlite:///{tmp}/bench.db", args.events, Path(tmp) / "sqlite")
        if not args.no_postgres:
            with postgres_database(args.postgres) as url:
                bench_database("PostgreSQL", url, args.events, Path(tmp) / "postgres")
    bench_password_check()


if __name__ == "__main__":
    main()
