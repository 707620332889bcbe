"""core.db's dialect helpers give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Integer, MetaData, String, event, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.db import Database, insert_ignore, is_postgres, locked, sqlite_writer_turns, upsert, upsert_increment


class HelperBase(DeclarativeBase):
    metadata = MetaData()  # not core's Base: these tables exist only in this test's database


class Counter(HelperBase):
    __tablename__ = "helper_counter"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(20), default="")


@pytest.fixture
def database(empty_db_url: str) -> Iterator[Database]:
    database = Database(empty_db_url)
    HelperBase.metadata.create_all(database.engine)
    yield database
    database.dispose()


def test_insert_ignore_counts_only_new_rows(database: Database) -> None:
    with database.session() as session:
        assert insert_ignore(session, Counter, {"name": "a", "value": 1}, ["name"]) == 1
        assert insert_ignore(session, Counter, {"name": "a", "value": 2}, ["name"]) == 0
        assert insert_ignore(session, Counter, [{"name": "a", "value": 3}, {"name": "b", "value": 4}]) == 1
    with database.session() as session:
        assert {name: value for name, value in session.execute(select(Counter.name, Counter.value))} == {"a": 1, "b": 4}


def test_upsert_sets_the_given_columns_of_an_existing_row(database: Database) -> None:
    with database.session() as session:
        upsert(session, Counter, {"name": "a", "value": 1, "note": "first"}, ["name"], {"note": "second"})
        upsert(session, Counter, {"name": "a", "value": 9, "note": "first"}, ["name"], {"note": "second"})
    with database.session() as session:
        row = session.get(Counter, "a")
        assert row is not None and (row.value, row.note) == (1, "second")


def test_upsert_increment_answers_each_writer_its_own_number(database: Database) -> None:
    with database.session() as session:
        assert upsert_increment(session, Counter, {"name": "n", "value": 1}, ["name"], "value") == 1
        assert upsert_increment(session, Counter, {"name": "n", "value": 1}, ["name"], "value") == 2
        assert upsert_increment(session, Counter, {"name": "n", "value": 5}, ["name"], "value", by=5) == 7
    numbers: list[int] = []

    def take() -> None:
        for _ in range(10):
            with database.session() as session:
                numbers.append(upsert_increment(session, Counter, {"name": "c", "value": 1}, ["name"], "value"))

    writers = [threading.Thread(target=take) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert sorted(numbers) == list(range(1, 31))


def test_locked_claims_skip_rows_another_transaction_holds(database: Database) -> None:
    with database.session() as session:
        insert_ignore(session, Counter, [{"name": "a", "value": 1}, {"name": "b", "value": 2}])
    claim = select(Counter.name).order_by(Counter.name).limit(1)
    with database.session() as first:
        assert first.scalar(locked(first, claim, skip_locked=True)) == "a"
        if is_postgres(first):
            # SQLite has one writer at a time (BEGIN IMMEDIATE), so only PostgreSQL has a second claimant now.
            with database.session() as second:
                assert second.scalar(locked(second, claim, skip_locked=True)) == "b"
    with database.session() as session:
        sql = str(locked(session, claim, skip_locked=True).compile(session.get_bind()))
        assert ("FOR UPDATE SKIP LOCKED" in sql) == is_postgres(session)


def test_an_sqlite_writer_turn_is_given_back_however_its_transaction_ends(tmp_path: Path) -> None:
    """A turn kept by a finished transaction would make the next one wait (core.db._SqliteWriterTurns)."""
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    turns = sqlite_writer_turns(database.engine)
    assert turns is not None and not turns.taken

    def ended(end: Callable[[Session], None]) -> bool:
        session = database.sessionmaker()
        session.execute(text("SELECT 1"))
        assert turns.taken
        end(session)
        return not turns.taken

    assert ended(Session.commit)
    assert ended(Session.rollback)
    assert ended(Session.close)  # the pool rolls the transaction back as the connection returns
    with pytest.raises(RuntimeError), database.session() as session:
        session.execute(text("SELECT 1"))
        raise RuntimeError("the request failed")
    assert not turns.taken
    with database.engine.connect() as connection:  # a Core connection, left without commit
        connection.execute(text("SELECT 1"))
    assert not turns.taken
    outcomes: list[bool] = []
    waiting = threading.Thread(target=lambda: outcomes.append(ended(Session.commit)))
    with database.session() as session:  # a second writer waits for this one's turn, then has its own
        session.execute(text("SELECT 1"))
        waiting.start()
    waiting.join(timeout=30)
    assert outcomes == [True] and not turns.taken
    database.dispose()


def test_an_sqlite_writer_turn_is_given_back_after_its_commit_not_before(tmp_path: Path) -> None:
    """SQLAlchemy's commit and rollback events come before the COMMIT or ROLLBACK itself: a turn given back there
    would let the next writer's BEGIN IMMEDIATE meet SQLite's lock still held (and sleep in its busy handler)."""
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    turns = sqlite_writer_turns(database.engine)
    assert turns is not None
    held_at_end: list[bool] = []
    event.listen(database.engine, "commit", lambda _conn: held_at_end.append(turns.taken))
    event.listen(database.engine, "rollback", lambda _conn: held_at_end.append(turns.taken))
    for end in (Session.commit, Session.rollback):
        session = database.sessionmaker()
        session.execute(text("SELECT 1"))
        end(session)
        assert not turns.taken
        session.close()
    assert held_at_end == [True, True]
    database.dispose()


def test_an_sqlite_checkpoint_runs_after_the_writer_turn_is_given_back(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own checkpoint runs inside COMMIT, so inside the turn, and every writer of the process waited for it;
    core.db turns it off and checkpoints after the turn is given back, every CHECKPOINT_EVERY commits."""
    path = tmp_path / "turns.db"
    database = Database(f"sqlite:///{path}")
    turns = sqlite_writer_turns(database.engine)
    assert turns is not None
    monkeypatch.setattr(turns, "CHECKPOINT_EVERY", 3)
    checkpoints: list[tuple[str, bool]] = []

    @event.listens_for(database.engine, "connect")
    def _traced(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.set_trace_callback(
            lambda sql: checkpoints.append((sql, turns.taken)) if "wal_checkpoint" in sql else None)

    HelperBase.metadata.create_all(database.engine)  # a commit: the first of three
    for name in ("a", "b"):
        with database.session() as session:
            session.add(Counter(name=name, value=1))
    assert checkpoints == [("PRAGMA wal_checkpoint(PASSIVE)", False)]
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    with database.session() as session:  # a fourth commit: in the log only, until the sixth
        session.add(Counter(name="c", value=1))
    copy = tmp_path / "file-only.db"  # the database file without its log: what the checkpoint copied into it
    copy.write_bytes(path.read_bytes())
    with closing(sqlite3.connect(copy)) as file_only:
        assert [name for (name,) in file_only.execute("SELECT name FROM helper_counter ORDER BY name")] == ["a", "b"]

    monkeypatch.setattr(turns, "LOG_LIMIT", 0)  # a log this long: the rest is copied with the turn taken
    for name in ("d", "e"):
        with database.session() as session:
            session.add(Counter(name=name, value=1))
    assert checkpoints[1:] == [("PRAGMA wal_checkpoint(PASSIVE)", False), ("PRAGMA wal_checkpoint(PASSIVE)", True)]
    assert not turns.taken
    database.dispose()
