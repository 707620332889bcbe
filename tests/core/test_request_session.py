"""One database session per request, shared by authentication and the handler (issue 11): the device token or
the login is read in the same session, and the same transaction, as the handler's work (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from core.web.app import AppContext
from tests.support import PASSWORD, bearer, device_header

QUEUE = "/api/v1/offices/skarholmen/queue"
AUTH_TABLES = {"core_device", "core_user", "core_session"}
Seen = list[tuple[Session, str]]


@pytest.fixture
def tables_read(ctx: AppContext) -> Iterator[Seen]:
    """(session, table) for every ORM statement, so a test can tell which session read the credentials and which
    did the handler's work (sessions of other threads, such as PostgreSQL's event listener, read other tables)."""
    seen: Seen = []

    def record(state: ORMExecuteState) -> None:
        seen.extend((state.session, mapper.local_table.name) for mapper in state.all_mappers)

    event.listen(ctx.db.sessionmaker, "do_orm_execute", record)
    yield seen
    event.remove(ctx.db.sessionmaker, "do_orm_execute", record)


def sessions_of(seen: Seen, tables: set[str]) -> set[int]:
    return {id(session) for session, table in seen if table in tables}


def assert_one_session(seen: Seen, work: str) -> None:
    auth, handler = sessions_of(seen, AUTH_TABLES), sessions_of(seen, {work})
    assert len(auth) == 1 and auth == handler, (auth, handler)


def test_a_kiosk_takes_a_ticket_in_the_session_that_read_its_token(ctx: AppContext, client: TestClient,
                                                                  tables_read: Seen) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    tables_read.clear()
    issued = client.post(f"{QUEUE}/tickets", headers=kiosk, json={"service": "guidance", "language": "sv"})
    assert issued.status_code == 201, issued.text
    assert_one_session(tables_read, "queue_ticket")


def test_a_guide_with_a_token_calls_in_one_session(ctx: AppContext, client: TestClient, tables_read: Seen,
                                                   make_user: Callable[..., str]) -> None:
    guide = bearer(client, make_user("guide"))
    client.post(f"{QUEUE}/tickets", headers=device_header(ctx, "skarholmen", "kiosk"),
                json={"service": "guidance", "language": "sv"})
    tables_read.clear()
    called = client.post(f"{QUEUE}/call-next", headers=guide, json={"counter": "guide-2"})
    assert called.status_code == 200, called.text
    assert_one_session(tables_read, "queue_ticket")


def test_a_staff_page_reads_the_login_and_the_page_in_one_session(client: TestClient, tables_read: Seen,
                                                                  make_user: Callable[..., str]) -> None:
    make_user("boss", role="admin")
    form = client.get("/login", headers={"Accept": "text/html"})
    token = re.search(r'name="csrf-token" content="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token, "next": "/"},
                       follow_redirects=False).status_code == 303
    tables_read.clear()
    assert client.get("/skarholmen/admin", headers={"Accept": "text/html"}).status_code == 200
    assert_one_session(tables_read, "core_audit")

