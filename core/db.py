"""Engine and session factory, the declarative Base every table (core and plugins) is declared on, and the few
statements that PostgreSQL and SQLite spell differently (insert-ignore, upserts, row locks)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, Select, String, bindparam, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

SelectT = TypeVar("SelectT", bound=Select[Any])

# A pooled PostgreSQL connection idle for longer than this is tested before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 0.5
log = logging.getLogger(__name__)
clock: Callable[[], float] = time.monotonic

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class OfficeScoped:
    """Mixin for every table whose rows belong to one office: queries must filter on ``office_id``."""

    office_id: Mapped[str] = mapped_column(String(64), index=True)


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 30.0) -> Engine:
    """An engine with a pool of ``pool_size`` connections and ``max_overflow`` more at peaks (per process); a
    request that finds them all in use waits ``pool_timeout`` seconds, then gets a 503 (docs/deploying.md)."""
    parsed = make_url(url)
    sizing = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        in_memory = not parsed.database or parsed.database == ":memory:"  # one shared connection, no pool
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None,
                                                  "factory": _TurnTakingConnection},
                               **({} if in_memory else sizing))
        writer = _writer_turns[engine] = _SqliteWriterTurns()

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.turns = writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # SQLite's own checkpoints run inside COMMIT, so inside this process's writer turn, and every writer
            # waited for them; _TurnTakingConnection runs them after the turn is given back instead.
            cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # SQLite has one writer: take the write lock at BEGIN so that a read-then-write transaction
            # (ticket numbering, call-next) waits its turn instead of failing when it upgrades its lock.
            writer.take(conn.connection.dbapi_connection)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                writer.give_back(conn.connection.dbapi_connection)
                raise

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            writer.give_back(dbapi_conn)  # a transaction the pool ended (rolled back) on its connection's return

        return engine
    engine = create_engine(url, **sizing)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """A pooled connection that PostgreSQL has dropped (restarted, or ended an idle session) is replaced before a
    request gets it. Like ``pool_pre_ping``, but only for a connection that sat unused for a moment: any drop takes
    longer than that, and a connection taken back within it by the next request (all of them, under load) is spared
    a round trip. A drop noticed in a statement instead marks every older connection of the pool for replacement
    (SQLAlchemy's own handling)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["returned_at"] = clock()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        returned = record.info.get("returned_at")  # None: a new connection (the record's info goes with it)
        if returned is None or clock() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_conn, None):
                raise
            # As pool_pre_ping does: every connection of the pool older than now is replaced when next checked out
            # (a restart ended them all), and this checkout gets a new one.
            raise InvalidatePoolError(f"pooled connection lost: {exc}") from exc


class _SqliteWriterTurns:
    """This process's SQLite transactions take turns at a lock before BEGIN IMMEDIATE, so that a waiting writer
    starts the moment the one before it ends. Waiting in SQLite's busy handler instead, it sleeps in steps that grow
    to 100 ms, so with a few kiosks at once the slowest tickets waited over a second. Writers of other processes
    (the ``mbk`` command) still meet at SQLite's own lock; a turn not had within ``WAIT_SECONDS`` goes there too."""

    WAIT_SECONDS = 30.0
    # A checkpoint (the log's pages copied into the database file) after this many transactions: a ticket's writes
    # about 13 pages, so about as often as SQLite's own default of every 1,000 pages.
    CHECKPOINT_EVERY = 80
    # Writers go on while a checkpoint runs, so under a steady load the log never empties and is never restarted
    # from its beginning; once it is this long (frames of a page each, 16 MB), the frames written meanwhile are
    # copied with the turn taken, so that the next writer restarts it.
    LOG_LIMIT = 4_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: Any = None  # the DBAPI connection whose transaction has the turn
        self._ended = 0  # transactions ended since the last checkpoint

    def take(self, dbapi_connection: Any) -> None:
        if self._lock.acquire(timeout=self.WAIT_SECONDS):
            self._holder = dbapi_connection

    def give_back(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()

    def checkpoint_due(self, dbapi_connection: Any) -> bool:
        """Counts a transaction that ``dbapi_connection`` ended holding the turn; True every ``CHECKPOINT_EVERY``."""
        if self._holder is None or self._holder is not dbapi_connection:
            return False
        self._ended += 1
        if self._ended < self.CHECKPOINT_EVERY:
            return False
        self._ended = 0
        return True

    @property
    def taken(self) -> bool:
        return self._holder is not None


class _TurnTakingConnection(sqlite3.Connection):
    """Gives its transaction's writer turn back once its COMMIT or ROLLBACK is done. SQLAlchemy's commit and rollback
    events come before them: a turn given back there let the next writer's BEGIN IMMEDIATE meet SQLite's lock still
    held, and sleep in SQLite's busy handler. Every ``CHECKPOINT_EVERY`` commits, it then checkpoints the log."""

    turns: _SqliteWriterTurns | None = None

    def commit(self) -> None:
        due = False
        try:
            super().commit()
            due = self.turns is not None and self.turns.checkpoint_due(self)
        finally:
            self._give_back()
        if due:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """The pages are copied (and the database file synced) while other writers go on, where SQLite's own
        checkpoint in COMMIT held them all back. PASSIVE, as SQLite's own: it never waits for another process.
        Never raises: the transaction is committed whatever happens here, and the next checkpoint takes up what
        this one left."""
        assert self.turns is not None
        try:
            frames = self.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
            if frames > self.turns.LOG_LIMIT:
                self.turns.take(self)
                try:
                    self.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    self._give_back()
        except sqlite3.Error as exc:
            log.warning("SQLite checkpoint left for the next one: %s", exc)

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def _give_back(self) -> None:
        if self.turns is not None:
            self.turns.give_back(self)


_writer_turns: weakref.WeakKeyDictionary[Engine, _SqliteWriterTurns] = weakref.WeakKeyDictionary()


def sqlite_writer_turns(engine: Engine) -> _SqliteWriterTurns | None:
    """The turns an SQLite engine's transactions take (None for PostgreSQL)."""
    return _writer_turns.get(engine)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 30.0):
        self.url = url
        self.engine = make_engine(url, pool_size, max_overflow, pool_timeout)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot take this request now, though nothing is wrong with it: every pooled connection is in
    use, PostgreSQL refuses connections (down, restarting, max_connections reached), or SQLite's writer lock
    was held past the busy timeout. Worth a 503 and a retry, unlike an error in the SQL itself."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if type(exc.orig).__module__.startswith("psycopg"):
        # psycopg's OperationalError is the connection, resource and operator classes of SQLSTATE (08, 53, 57…);
        # mistakes in a statement are ProgrammingError or IntegrityError instead.
        return True
    return "database is locked" in str(exc.orig)


# --- Statements PostgreSQL and SQLite spell differently ---------------------------------------------------------
# Both dialects have INSERT … ON CONFLICT … RETURNING; only the construct that builds it differs. Row locks exist
# on PostgreSQL only: SQLite runs one writer at a time (every transaction begins IMMEDIATE, see make_engine).


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session, model: type[Any], values: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
    dialect = postgresql if is_postgres(session) else sqlite
    return dialect.insert(model.__table__).values(values)


def insert_ignore(session: Session, model: type[Any], values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                  keys: Sequence[str] | None = None) -> int:
    """Insert one row (or several), skipping any that collide with an existing row on a unique index (``keys``
    names it; None: any). Answers how many rows were inserted, so 0 means "already there"."""
    # Counted through RETURNING: psycopg reports no rowcount (-1) for INSERT … ON CONFLICT DO NOTHING.
    stmt = (_insert(session, model, values).on_conflict_do_nothing(index_elements=keys)
            .returning(*model.__table__.primary_key.columns))
    return len(session.execute(stmt).all())


def upsert(session: Session, model: type[Any], values: Mapping[str, Any], keys: Sequence[str],
           update: Mapping[str, Any]) -> None:
    """Insert the row, or, where one with the same ``keys`` exists, set ``update`` on it, in one statement."""
    stmt = _insert(session, model, values).on_conflict_do_update(index_elements=keys, set_=dict(update))
    session.execute(stmt)


def upsert_increment(session: Session, model: type[Any], values: Mapping[str, Any], keys: Sequence[str],
                     counter: str, by: int = 1) -> int:
    """Insert the row (``values`` gives the counter's first value) or add ``by`` to the counter of the row with
    the same ``keys``; answers the counter's new value. One atomic statement, so concurrent writers never lose
    a count or see the same number."""
    stmt = _increment_statement(session.get_bind().dialect.name, model, tuple(values), tuple(keys), counter, by)
    return int(session.execute(stmt, dict(values)).scalar_one())


def increment_cte(model: type[Any], names: Sequence[str], keys: Sequence[str], counter: str, by: int = 1,
                  after: Any = None) -> Any:
    """PostgreSQL: ``upsert_increment``'s statement as a CTE named ``taken`` with the counter's new value as its one
    column, for one statement that also writes where the value goes (a round trip less while the counter's row is
    locked). Its values are bind parameters named after ``names``. ``after``: a CTE of one row (``turn_cte``) read
    before the row is written."""
    if after is None:
        return _increment_statement("postgresql", model, tuple(names), tuple(keys), counter, by).cte("taken")
    table = model.__table__
    values = select(*(bindparam(name, type_=table.c[name].type) for name in names)).select_from(after)
    return _incremented(postgresql.insert(table).from_select(list(names), values), keys, table.c[counter],
                        by).cte("taken")


def turn_cte(key: Any) -> Any:
    """PostgreSQL: ``lock_key`` as a CTE named ``turn`` (one row), for a statement that takes its turn first.

    Why a turn before a row lock that would serialize the writers anyway: the waiters of a row that INSERT … ON
    CONFLICT DO UPDATE locked start over when its holder commits and race for it, the first to retry winning, so
    one writer may lose many times in a row; an advisory lock's waiters are served in the order they came."""
    return select(_turn_taken(key).label("turn")).cte("turn")


def _turn_taken(key: Any) -> Any:
    """The transaction-scoped advisory lock of ``key`` (a string or a SQL expression of one), taken."""
    return func.pg_advisory_xact_lock(func.hashtextextended(key, 0))


@lru_cache(maxsize=64)
def _increment_statement(dialect_name: str, model: type[Any], names: tuple[str, ...], keys: tuple[str, ...],
                         counter: str, by: int) -> Any:
    """Built once per shape, values as parameters: a ticket's number is taken while its line's counter is locked,
    and building the statement anew (and its cache key) was a good part of that time."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return _incremented(dialect.insert(model.__table__).values({name: bindparam(name) for name in names}), keys,
                        model.__table__.c[counter], by)


def _incremented(insert: Any, keys: Sequence[str], column: Any, by: int) -> Any:
    """``insert``, adding ``by`` to ``column`` where a row with the same ``keys`` exists; returns its new value."""
    return insert.on_conflict_do_update(index_elements=list(keys), set_={column.key: column + by}).returning(column)


def locked(session: Session, stmt: SelectT, *, skip_locked: bool = False) -> SelectT:
    """``stmt`` taking row locks until the transaction ends (on PostgreSQL; SQLite already has one writer).

    ``skip_locked``: rows another transaction holds are left out instead of waited for, so that several
    workers claim different rows (outbox deliveries, messages, the next ticket)."""
    if is_postgres(session):
        return stmt.with_for_update(skip_locked=skip_locked)
    return stmt


def lock_key(session: Session, key: str) -> None:
    """Make transactions that name the same ``key`` take turns until this one ends (PostgreSQL: a
    transaction-scoped advisory lock; SQLite needs none: every transaction is BEGIN IMMEDIATE, one writer)."""
    if is_postgres(session):
        session.execute(select(_turn_taken(bindparam("key", type_=String))), {"key": key})
