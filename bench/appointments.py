"""Benchmark of the appointments plugin: a calendar sync of many officers' feeds, and the booking page.

    .venv/bin/python bench/appointments.py [--officers 50] [--events 500] [--requests 200]

Serves the officers' iCalendar feeds from an HTTP server on loopback, syncs them into a temporary SQLite
database (first sync: everything added; second: nothing changed, the feeds answering 304 to the ETag of the
first; third: nothing changed, feeds that send no validators, so all is read and compared), beside the bare
reference of the same run:
fetching and parsing the same feeds with icalendar alone. Then times the public booking page against the
app's bare health endpoint, both through the same in-process client. Prints figures; asserts only
correctness (every event imported once), never timings.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench/queue.py would shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

import httpx  # noqa: E402
import icalendar  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from core import migrate  # noqa: E402
from core.config import PlatformSettings  # noqa: E402
from core.context import create_context  # noqa: E402
from core.db import Database  # noqa: E402
from core.plugins import PluginManager  # noqa: E402
from core.web.app import create_app  # noqa: E402
from plugins.appointments import sync  # noqa: E402
from plugins.appointments.models import Appointment  # noqa: E402

DEMO = Path(__file__).resolve().parent.parent / "deployments" / "demo"
STOCKHOLM = "Europe/Stockholm"


def feed(officer: int, events: int, first: datetime) -> bytes:
    """``events`` meetings of 30 minutes on weekdays from ``first``, every tenth a weekly series of four."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//medborgarkontor bench//EN")
    calendar.add("VERSION", "2.0")
    made = 0
    slot = 0
    while made < events:
        day, hour = divmod(slot, 8)
        start = first + timedelta(days=day, hours=hour)
        slot += 1
        if start.weekday() >= 5:
            continue
        event = icalendar.Event()
        event.add("UID", f"o{officer}-e{made}@bench")
        event.add("DTSTAMP", first)
        event.add("DTSTART", start)
        event.add("DTEND", start + timedelta(minutes=30))
        event.add("SUMMARY", "Möte")
        if made % 10 == 0:
            event.add("RRULE", {"FREQ": "WEEKLY", "COUNT": 4})
            made += 4
        else:
            made += 1
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def serve(files: dict[str, bytes], validators: dict[str, bool]) -> ThreadingHTTPServer:
    """The feeds; while ``validators["etag"]`` each has an ETag, and If-None-Match with it gets 304."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = files[self.path]
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            if validators["etag"] and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            if validators["etag"]:
                self.send_header("ETag", etag)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def deployment(root: Path, officers: int, url: str) -> Path:
    (root / "offices").mkdir(parents=True)
    directory = "".join(f'\n[[directory.officers]]\nid = "o{n}"\nname = "Officer {n}"\n' for n in range(officers))
    calendars = "".join(f'\n[[plugins.appointments.calendars]]\nofficer = "o{n}"\nurl = "{url}/o{n}.ics"\n'
                        for n in range(officers))
    (root / "offices" / "bench.toml").write_text(
        f'[office]\nid = "bench"\nname = {{ sv = "Bench" }}\ntimezone = "{STOCKHOLM}"\nlanguages = ["sv"]\n'
        f'[plugins]\nenabled = ["appointments"]\n[plugins.appointments]\nimport_days_ahead = 730\n'
        f'{calendars}{directory}', encoding="utf-8")
    return root


def bench_sync(officers: int, events: int, workdir: Path) -> None:
    first = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=1)
    files = {f"/o{n}.ics": feed(n, events, first) for n in range(officers)}
    validators = {"etag": True}
    server = serve(files, validators)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    plugins = PluginManager.from_entry_points(only=["appointments"])
    database = Database(f"sqlite:///{workdir / 'sync.db'}")
    migrate.upgrade(database.engine, plugins)
    ctx = create_context(PlatformSettings(database_url=database.url, deployment=deployment(workdir / "dep", officers,
                                                                                           url),
                                          secret_key="bench-secret-0123456789", run_dispatcher=False),
                         plugins, database)
    office = ctx.deployment.office("bench")

    started = time.perf_counter()
    for path in files:
        icalendar.Calendar.from_ical(httpx.get(url + path).content)
    bare = time.perf_counter() - started

    started = time.perf_counter()
    reports = sync.sync_office(database, office)
    first_sync = time.perf_counter() - started
    now = datetime.now(UTC) + sync.LEASE + timedelta(seconds=1)  # past the leases of the first sync
    started = time.perf_counter()
    again = sync.sync_office(database, office, now=now)
    second_sync = time.perf_counter() - started
    validators["etag"] = False
    started = time.perf_counter()
    third = sync.sync_office(database, office, now=now + sync.LEASE + timedelta(seconds=1))
    third_sync = time.perf_counter() - started

    added = sum(r.added for r in reports)
    with database.session() as session:
        stored = session.scalar(select(func.count()).select_from(Appointment))
    assert added == stored == officers * events, (added, stored)
    assert sum(r.added + r.moved + r.removed for r in again + third) == 0
    assert all(r.unchanged for r in again) and not any(r.unchanged for r in third)
    print(f"== sync of {officers} officers x {events} events (SQLite, feeds over loopback HTTP)")
    print(f"   bare reference: fetch + icalendar parse only   {bare:8.2f} s")
    print(f"   first sync (all {added} added, codes, events) {first_sync:8.2f} s")
    print(f"   second sync (nothing changed, ETag: all 304)   {second_sync:8.2f} s")
    print(f"   third sync (nothing changed, no validators)    {third_sync:8.2f} s")
    server.shutdown()
    database.dispose()


def timed(call: Callable[[], object], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def bench_booking_page(requests: int, workdir: Path) -> None:
    plugins = PluginManager.from_entry_points()
    database = Database(f"sqlite:///{workdir / 'pages.db'}")
    migrate.upgrade(database.engine, plugins)
    ctx = create_context(PlatformSettings(database_url=database.url, deployment=DEMO,
                                          secret_key="bench-secret-0123456789", run_dispatcher=False),
                         plugins, database)
    html = {"accept": "text/html"}
    with TestClient(create_app(ctx)) as client:
        assert client.get("/skarholmen/appointments/book/tax-help?lang=sv", headers=html).status_code == 200
        bare = timed(lambda: client.get("/healthz"), requests)
        page = timed(lambda: client.get("/skarholmen/appointments/book/tax-help?lang=sv", headers=html), requests)
    print(f"== booking page, {requests} requests each (in-process client, SQLite)")
    print(f"   bare reference GET /healthz             median {bare[0]:6.2f} ms   p95 {bare[1]:6.2f} ms")
    print(f"   GET /skarholmen/appointments/book/...   median {page[0]:6.2f} ms   p95 {page[1]:6.2f} ms")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_sync(args.officers, args.events, Path(tmp))
        bench_booking_page(args.requests, Path(tmp))


if __name__ == "__main__":
    main()
