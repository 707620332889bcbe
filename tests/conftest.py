"""Shared fixtures: a fresh migrated database on SQLite *and* PostgreSQL for every database test,
plugin managers built from explicit objects, apps and clients on a given deployment, a live server.

PostgreSQL: MBK_TEST_POSTGRES_URL (default postgres@127.0.0.1:5432/test). Each test process creates its own
database next to it, so parallel runs never share tables. Without PostgreSQL those tests skip with a message,
unless MBK_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from core import auth, device_cache, migrate
from core.config import PlatformSettings
from core.db import Base, Database
from core.plugins import PluginManager
from core.web.app import AppContext, create_app, create_context
from tests.support import PASSWORD, LiveServer, builtin_plugins, csp_violations

ROOT = Path(__file__).resolve().parent.parent
# A third-party plugin package with its own tests: tests/core/test_third_party.py installs it and runs them.
collect_ignore = ["core/thirdparty"]
DEMO = ROOT / "deployments" / "demo"
POSTGRES_URL = os.environ.get("MBK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("MBK_REQUIRE_POSTGRES") == "1"


def _postgres_or_skip() -> str:
    try:
        engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        message = (f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__}); install and start "
                   "PostgreSQL or set MBK_TEST_POSTGRES_URL")
        if REQUIRE_POSTGRES:
            pytest.fail(message + " — MBK_REQUIRE_POSTGRES=1, so this is an error, not a skip")
        pytest.skip(message)
    return POSTGRES_URL


class PostgresDatabases:
    """Creates databases for this test process on the PostgreSQL server and drops them at the end."""

    def __init__(self, admin_url: str):
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = sa.engine.make_url(admin_url)
        self.created: list[str] = []

    def create(self) -> str:
        name = f"mbk_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            # A test database is thrown away: a commit need not wait for the WAL to reach the disk (it does wait
            # for everything else, so locks, constraints and visibility are as in production).
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost: tests check behaviour, not brute-force cost (production keeps argon2-cffi's
    defaults); on a loaded 2-core machine the default cost made every login in a test take a second."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases(_postgres_or_skip())
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database.engine, builtin_plugins())
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _migrated_postgres(postgres_databases: PostgresDatabases) -> str:
    url = postgres_databases.create()
    database = Database(url)
    migrate.upgrade(database.engine, builtin_plugins())
    database.dispose()
    return url


@pytest.fixture(scope="session")
def _empty_postgres(_migrated_postgres: str) -> Iterator[Callable[[], None]]:
    """Empties the migrated database: every table (of those there) emptied and every id sequence back at 1.
    DELETE, not TRUNCATE: on tables this small TRUNCATE's new files per table made emptying cost 0.7 s per test
    against 40 ms. One statement on one connection kept for the session: a statement and a connection per table
    and test cost ~100 ms of each PostgreSQL test's setup. Triggers do not fire (replica role): a ticket's deletion
    would otherwise be recorded as a change of its line's waiting count, in a table that may be emptied before it."""
    tables = ", ".join(f"'{table.name}'" for table in reversed(Base.metadata.sorted_tables))
    empty_all = sa.text(f"""DO $$
        DECLARE name text;
        BEGIN
            SET LOCAL session_replication_role = replica;
            FOREACH name IN ARRAY ARRAY[{tables}]::text[] LOOP
                IF to_regclass(quote_ident(name)) IS NOT NULL THEN
                    EXECUTE format('DELETE FROM %I', name);
                END IF;
            END LOOP;
            PERFORM setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)
                FROM pg_sequences WHERE schemaname = current_schema();
        END $$""")
    engine = sa.create_engine(_migrated_postgres, pool_size=1, max_overflow=0)

    def empty() -> None:
        with engine.begin() as conn:
            conn.execute(empty_all)

    yield empty
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database with every built-in plugin's tables: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "mbk.db"
        shutil.copy(request.getfixturevalue("_migrated_sqlite_template"), target)
        return f"sqlite:///{target}"
    request.getfixturevalue("_empty_postgres")()
    return request.getfixturevalue("_migrated_postgres")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all (for migration tests): SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_databases").create()


@pytest.fixture(scope="session")
def generated_clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The speech clips espeak-ng makes for the tests, never the checkout's var/speech: one folder for the whole
    run, shared by its test workers (a clip's name is its text, and a clip is written under another name and
    renamed, so sharing is safe). Each worker making its own made the kiosk's ~400 clips twice."""
    run = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent  # each worker's folder is inside the run's
    path = run / "speech-clips"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def make_context(db_url: str, generated_clips: Path) -> Iterator[Callable[..., AppContext]]:
    """Build an AppContext on a deployment folder (default: the demo) and the test's database."""
    made: list[AppContext] = []
    # The process's remembered credentials are of the previous test's database: a device cookie, the signed device
    # id, names a device of that database too, and within the same second it is the same cookie.
    device_cache.forget_all()

    def factory(deployment: Path = DEMO, plugins: PluginManager | None = None, **settings: Any) -> AppContext:
        # Tests run the dispatcher by hand unless they ask; speech clips go to the session's own folder.
        settings = {"run_dispatcher": False, "speech_cache": generated_clips, **settings}
        platform = PlatformSettings(database_url=db_url, deployment=deployment, secret_key="test-secret-key-0123456789",
                                    **settings)
        ctx = create_context(platform, plugins or builtin_plugins())
        made.append(ctx)
        return ctx

    yield factory
    for ctx in made:
        ctx.db.dispose()


@pytest.fixture
def ctx(make_context: Callable[..., AppContext]) -> AppContext:
    return make_context()


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as test_client:
        yield test_client


@pytest.fixture
def make_user(ctx: AppContext) -> Callable[..., str]:
    """Create a staff user with a role at an office; returns the username (password: PASSWORD)."""

    def factory(username: str, office: str | None = "skarholmen", role: str | None = "guide",
                platform_admin: bool = False) -> str:
        with ctx.db.session() as session:
            auth.create_user(session, username, PASSWORD, office_id=office, role=role, platform_admin=platform_admin)
        return username

    return factory


@pytest.fixture
def live_server(make_context: Callable[..., AppContext]) -> Iterator[LiveServer]:
    """A real server on the demo deployment, with the event dispatcher running in it."""
    with LiveServer(make_context(run_dispatcher=True)) as server:
        yield server


# --- Browser (Debian's chromium driven by Playwright; never a downloaded browser) --------------------

CHROMIUM = os.environ.get("MBK_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("MBK_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _browser_missing(reason: str) -> None:
    message = (f"{reason}: install Debian's chromium (apt-get install chromium) and the test extras "
               "(pip install -e '.[test]')")
    if REQUIRE_BROWSER:
        pytest.fail(message + " — MBK_REQUIRE_BROWSER=1, so this is an error, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("Playwright is not installed")
    if not Path(CHROMIUM).exists():
        _browser_missing(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect

    # How long an expectation waits for the page to get there: a loaded 2-core CI machine running Chromium and
    # two test workers can take several seconds for a live update; a test that passes never waits this long.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    blocked = csp_violations(page)
    yield page
    context.close()
    assert blocked == [], "the Content-Security-Policy blocked something:\n" + "\n".join(blocked)
