"""The queue's migrations that carry data over, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from core import migrate
from core.db import Database
from plugins.queue.models import Ticket, WaitingCount
from tests.support import builtin_plugins


def test_the_waiting_counts_start_from_the_tickets_already_waiting(empty_db_url: str) -> None:
    plugins = builtin_plugins()
    database = Database(empty_db_url)
    try:
        migrate.upgrade(database.engine, plugins, "queue_0008")
        now, day = datetime(2026, 12, 5, 9, tzinfo=UTC), date(2026, 12, 5)
        line = [("waiting", None, False), ("waiting", None, True), ("waiting", now, False), ("called", None, False),
                ("waiting", None, False)]
        with database.engine.begin() as conn:
            conn.execute(sa.insert(Ticket), [
                {"office_id": "test", "public_id": f"t{number}", "day": day, "issued_service": "info",
                 "service": "info", "number": number, "label": f"A{number}", "status": status, "held_at": held_at,
                 "urgent": urgent, "language": "sv", "source": "kiosk", "booked": False, "recalls": 0,
                 "issued_at": now, "waiting_since": now, "served_seconds": 0}
                for number, (status, held_at, urgent) in enumerate(line, start=1)])
        migrate.upgrade(database.engine, plugins)
        with database.engine.connect() as conn:
            counted = {(row.urgent, row.booked): row.waiting for row in conn.execute(sa.select(WaitingCount))}
        # Two plain tickets and an urgent one wait; the one on hold and the one called do not.
        assert counted == {(False, False): 2, (True, False): 1}
        migrate.downgrade(database.engine, plugins, "queue_0008")
        assert "queue_waiting" not in sa.inspect(database.engine).get_table_names()
    finally:
        database.dispose()
