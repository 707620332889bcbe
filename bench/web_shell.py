"""Benchmark of the platform shell: loading and validating a deployment (what `mbk check` and every start do),
migrating an empty SQLite database, per-office hook dispatch, and rendering the landing and office pages.

    .venv/bin/python -m bench.web_shell [--rounds 200]

(as a module: run as a file, bench/queue.py would hide the standard library's queue module)

Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from core import migrate
from core.config import PlatformSettings
from core.db import Database
from core.loading import load_deployment
from core.plugins import PluginManager
from core.web.app import create_app, create_context

ROOT = Path(__file__).resolve().parent.parent
HTML = {"accept": "text/html"}


def timed(rounds: int, action: Callable[[], object]) -> tuple[float, float]:
    """(median, 95th percentile) in milliseconds."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    plugins = PluginManager.from_entry_points()
    print(f"plugins: {', '.join(sorted(plugins.plugins))}")

    for name in ("demo", "stockholm"):
        folder = ROOT / "deployments" / name
        offices = len(load_deployment(folder, plugins).offices)
        median, p95 = timed(max(rounds // 10, 5), lambda folder=folder: load_deployment(folder, plugins))
        print(f"load + validate deployments/{name} ({offices} offices): median {median:.1f} ms, p95 {p95:.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(url)
        start = time.perf_counter()
        migrate.upgrade(database.engine, plugins)
        print(f"upgrade heads on an empty SQLite database: {(time.perf_counter() - start) * 1000:.0f} ms")
        median, p95 = timed(max(rounds // 10, 5), lambda: migrate.is_at_head(database.engine, plugins))
        print(f"readiness check (migrations at head): median {median:.1f} ms, p95 {p95:.1f} ms")

        settings = PlatformSettings(database_url=url, deployment=ROOT / "deployments" / "stockholm",
                                    secret_key="bench-secret-key-0123456789", run_dispatcher=False)
        ctx = create_context(settings, plugins, database)
        office = ctx.deployment.office("skarholmen")
        median, p95 = timed(rounds * 10, lambda: ctx.hooks(office).mbk_page_links(office=office))
        print(f"per-office hook call (mbk_page_links, {len(office.enabled_plugins)} plugins): "
              f"median {median * 1000:.0f} µs, p95 {p95 * 1000:.0f} µs")
        with TestClient(create_app(ctx)) as client:
            for path in ("/healthz", "/api/v1/offices", "/?lang=sv", "/skarholmen?lang=ar"):
                client.get(path, headers=HTML)  # warm the template and catalog caches
                median, p95 = timed(rounds, lambda path=path: client.get(path, headers=HTML))
                print(f"GET {path:<22} (in-process client): median {median:.2f} ms, p95 {p95:.2f} ms")
        database.dispose()


if __name__ == "__main__":
    main()
