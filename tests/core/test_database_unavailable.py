"""A database that cannot take a request now is an honest 503 with Retry-After, not a 500: every pooled
connection in use (SQLite and PostgreSQL), PostgreSQL refusing connections. An error in SQL stays a 500."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from core.config import PlatformSettings
from core.db import Database, database_unavailable
from core.web.app import AppContext, create_app, create_context
from core.web.errors import DATABASE_UNAVAILABLE
from tests.support import builtin_plugins

DEMO = Path(__file__).resolve().parents[2] / "deployments" / "demo"
LOGIN = {"username": "nobody", "password": "wrong password"}


def assert_busy(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "database_unavailable"


def test_a_full_pool_answers_503_and_recovers(make_context: Callable[..., AppContext]) -> None:
    ctx = make_context(db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2)
    client = TestClient(create_app(ctx))  # no lifespan: nothing else holds the one connection
    held = ctx.db.engine.connect()  # another request is using the only connection
    try:
        assert_busy(client.post("/api/v1/auth/token", data=LOGIN))
        page = client.get("/skarholmen/queue/board", headers={"accept": "text/html"})  # a browser: a page
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    finally:
        held.close()
    assert client.post("/api/v1/auth/token", data=LOGIN).status_code == 401


def test_postgresql_refusing_connections_answers_503() -> None:
    settings = PlatformSettings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere", deployment=DEMO,
                                secret_key="test-secret-key-0123456789", run_dispatcher=False)
    client = TestClient(create_app(create_context(settings, builtin_plugins())))
    assert_busy(client.post("/api/v1/auth/token", data=LOGIN))


def test_a_mistake_in_sql_is_not_mistaken_for_a_busy_database(db_url: str) -> None:
    database = Database(db_url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised, database.engine.connect() as conn:
            conn.execute(sa.text("SELECT no_such_column FROM core_no_such_table"))
        assert not database_unavailable(raised.value)
    finally:
        database.dispose()


def test_the_busy_answer_is_told_in_the_readers_language(make_context: Callable[..., AppContext]) -> None:
    """Visitors see it (a kiosk's or phone's call, a page): in the page's language, in JSON in the one asked for with
    ?lang=; a program that asks for none gets the English."""
    ctx = make_context(db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2)
    client = TestClient(create_app(ctx))
    held = ctx.db.engine.connect()
    try:
        swedish = client.post("/api/v1/auth/token?lang=sv", data=LOGIN)
        arabic = client.get("/skarholmen/queue/board?lang=ar", headers={"accept": "text/html"})
        english = client.post("/api/v1/auth/token", data=LOGIN)
    finally:
        held.close()
    assert_busy(swedish)
    assert swedish.json()["detail"] == ("Tjänsten är upptagen eller kan inte nå sin databas; "
                                        "försök igen om några sekunder.")
    assert arabic.status_code == 503
    assert "الخدمة مشغولة أو لا يمكن الوصول إلى قاعدة بياناتها؛ حاول مرة أخرى بعد بضع ثوانٍ." in arabic.text
    assert_busy(english)
    assert english.json()["detail"] == DATABASE_UNAVAILABLE
