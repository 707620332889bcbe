"""A pooled PostgreSQL connection that the server ended (a restart, an idle session timeout) does not fail the
request that gets it next: one that sat idle is tested and replaced before use; one ended under a statement
answers that request 503, and the pool replaces every connection it had before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from core import db
from core.db import Database, database_unavailable

BACKEND_PID = sa.text("SELECT pg_backend_pid()")


@pytest.fixture
def database(postgres_databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(postgres_databases.create(), pool_size=2, max_overflow=0)
    yield database
    database.dispose()


def pooled_backends(database: Database) -> list[int]:
    """The server processes of two connections, both back in the pool afterwards."""
    with database.engine.connect() as first, database.engine.connect() as second:
        return [first.execute(BACKEND_PID).scalar_one(), second.execute(BACKEND_PID).scalar_one()]


def end_backends(url: str, pids: list[int]) -> None:
    """What a restart does to them (pg_terminate_backend: the server closes their sessions)."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                     {"pids": pids})
    admin.dispose()


def test_a_connection_ended_while_idle_is_replaced_before_a_request_gets_it(database: Database,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ended = pooled_backends(database)
    end_backends(database.url, ended)
    later = db.clock() + db.PING_AFTER_IDLE_SECONDS + 1
    monkeypatch.setattr(db, "clock", lambda: later)
    for _ in range(3):  # every pooled connection, not only the first checked out
        with database.session() as session:
            assert session.execute(BACKEND_PID).scalar_one() not in ended


def test_a_connection_ended_under_a_statement_fails_that_request_only(database: Database) -> None:
    ended = pooled_backends(database)
    end_backends(database.url, ended)
    # Taken back at once, so not tested first: the statement meets the closed connection.
    with pytest.raises(sa.exc.OperationalError) as raised, database.session() as session:
        session.execute(BACKEND_PID)
    assert database_unavailable(raised.value)  # a 503 with Retry-After, not a 500
    for _ in range(3):
        with database.session() as session:
            assert session.execute(BACKEND_PID).scalar_one() not in ended
