"""Notify throughput and latency against real loopback servers (aiosmtpd, a 46elks-shaped HTTP server).

1. Throughput: N arrival events (and N ticket.near events) are committed first; then core's dispatcher and
   notify's sender run as in a server, and we time until every e-mail (SMS) has been received.
2. Latency: with both running and idle, one arrival is committed at a time; time from its commit to the
   e-mail being received by the SMTP server.

    .venv/bin/python bench/notify.py                 # SQLite in a temporary folder
    .venv/bin/python bench/notify.py --postgres      # a temporary database on 127.0.0.1:5432
Bounded: at most --events per kind and --samples arrivals, each of its four phases stops after 12 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/queue.py would shadow the standard
# library's queue: the repository root takes its place.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from core import migrate  # noqa: E402
from core.config import PlatformSettings  # noqa: E402
from core.dispatch import Dispatcher  # noqa: E402
from core.events import publish  # noqa: E402
from core.live import PostgresListener  # noqa: E402
from core.web.app import create_context  # noqa: E402
from plugins.notify.worker import Sender  # noqa: E402
from tests.plugins.notify.conftest import notify_and_publishers  # noqa: E402
from tests.plugins.notify.fakes import ProviderServer, SmtpServer, write_deployment  # noqa: E402
from tests.support import free_port, registered_event  # noqa: E402

PHASE_LIMIT_SECONDS = 12
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RULES = """\
[[plugins.notify.rules]]
event = "visitor.arrived"
to = "officer"
channel = "email"

[[plugins.notify.rules]]
event = "ticket.near"
to = "visitor"
channel = "sms"
"""


def wait_until(condition, limit: float = PHASE_LIMIT_SECONDS) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def publish_load(ctx, count: int, prefix: str) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.session() as session:
        for i in range(count):
            publish(session, "testoffice", registered_event(
                ctx.plugins, "visitor.arrived", arrival_id=f"{prefix}{i}", officer_id="j-smith", unit_id=None,
                first_name="Amina", language="sv"))
            publish(session, "testoffice", registered_event(
                ctx.plugins, "ticket.near", ticket_id=f"{prefix}{i}", number=f"B{i:03d}", service="guidance",
                position=2, phone="+46701234567", language="sv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use a temporary PostgreSQL database")
    parser.add_argument("--events", type=int, default=200, help="events of each kind for the throughput run")
    parser.add_argument("--samples", type=int, default=30, help="arrivals for the latency run")
    args = parser.parse_args()

    import os

    os.environ["MBK_TEST_SMS_PASSWORD"] = "sms-secret"
    os.environ["MBK_TEST_SMS_REPORT_TOKEN"] = "report-token-0123456789"
    work = Path(tempfile.mkdtemp(prefix="mbk-bench-notify-"))
    admin = None
    if args.postgres:
        name = f"mbk_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{work / 'bench.db'}"

    smtp = SmtpServer(free_port()).start()
    provider = ProviderServer(free_port()).start()
    deployment = write_deployment(work / "deployment", smtp_port=smtp.port, provider=provider.url, rules=RULES,
                                  max_attempts=5)
    plugins_ = notify_and_publishers()
    ctx = create_context(PlatformSettings(database_url=url, deployment=deployment, secret_key="x" * 32), plugins_)
    migrate.upgrade(ctx.db.engine, plugins_)
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    sender = Sender(ctx.db, ctx.deployment, "http://127.0.0.1:8000")
    listener = PostgresListener(ctx.db, ctx.broker) if ctx.db.is_postgres else None
    try:
        print(f"database: {ctx.db.engine.dialect.name}; {args.events} arrivals (e-mail) and {args.events} "
              f"ticket.near (SMS over HTTP)")
        publish_load(ctx, args.events, "a")
        start = time.perf_counter()
        dispatcher.start()
        sender.start()
        done = wait_until(lambda: len(smtp.received_at) >= args.events and len(provider.sms()) >= args.events)
        elapsed = time.perf_counter() - start
        delivered = len(smtp.received_at) + len(provider.sms())
        print(f"end to end: {delivered} messages from {2 * args.events} events in {elapsed:.2f} s = "
              f"{delivered / elapsed:.0f} events/s delivered" + ("" if done else " (stopped at the time limit)"))
        emails_done = smtp.received_at[args.events - 1] - start if len(smtp.received_at) >= args.events else None
        if emails_done:
            print(f"  the {args.events}th e-mail after {emails_done:.2f} s")

        # Where the time goes: the same load again, first core's dispatcher alone (events → message rows,
        # including notify's handler), then notify's sender alone (rows → delivered).
        sender.stop()
        dispatcher.stop()
        publish_load(ctx, args.events, "b")
        start = time.perf_counter()
        alone = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
        while alone.run_once() and time.perf_counter() - start < PHASE_LIMIT_SECONDS:
            pass
        dispatched = time.perf_counter() - start
        print(f"  dispatcher alone: {2 * args.events} events → message rows in {dispatched:.2f} s = "
              f"{2 * args.events / dispatched:.0f} events/s")
        before = len(smtp.received_at) + len(provider.sms())
        start = time.perf_counter()
        sender = Sender(ctx.db, ctx.deployment, "http://127.0.0.1:8000")
        sender.start()
        wait_until(lambda: len(smtp.received_at) + len(provider.sms()) >= before + 2 * args.events)
        sent = time.perf_counter() - start
        count = len(smtp.received_at) + len(provider.sms()) - before
        print(f"  sender alone:     {count} messages delivered in {sent:.2f} s = {count / sent:.0f} messages/s")
        dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
        dispatcher.start()

        ctx.broker.wakeups.append(dispatcher.wake)  # as in a server: a commit wakes the dispatcher at once
        if listener:
            listener.start()
            listener.ready.wait(5)
        latencies = []
        latency_deadline = time.monotonic() + PHASE_LIMIT_SECONDS
        for i in range(args.samples):
            if time.monotonic() > latency_deadline:
                break
            before = len(smtp.received_at)
            committed = time.perf_counter()
            with ctx.db.session() as session:
                publish(session, "testoffice", registered_event(ctx.plugins, "visitor.arrived", arrival_id=f"l{i}",
                                                                officer_id="j-smith", unit_id=None, first_name="Amina",
                                                                language="sv"))
            if not wait_until(lambda b=before: len(smtp.received_at) > b, 5):
                print("latency: an e-mail did not arrive within 5 s")
                break
            latencies.append((smtp.received_at[before] - committed) * 1000)
            time.sleep(0.05)
        if latencies:
            latencies.sort()
            p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
            print(f"arrival → e-mail received: median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
                  f"max {latencies[-1]:.1f} ms over {len(latencies)} arrivals")
        with ctx.db.session() as session:
            rows = session.execute(sa.text("SELECT status, count(*) FROM notify_message GROUP BY status")).all()
        print("message rows: " + ", ".join(f"{status}={count}" for status, count in rows))
    finally:
        sender.stop()
        dispatcher.stop()
        if listener:
            listener.stop()
        smtp.stop()
        provider.stop()
        ctx.db.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
