"""One database session per request, shared by authentication and the handler (issue 11): the device token or
the login is read in the same session, and the same transaction, as the handler's work (SQLite and PostgreSQL)."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from core.web.app import AppContext, create_app
from core.web.deps import current_principal, get_principal
from tests.support import PASSWORD, bearer, device_header

QUEUE = "/api/v1/offices/skarholmen/queue"
AUTH_TABLES = {"core_device", "core_user", "core_session"}
Seen = list[tuple[Session, str]]


@pytest.fixture
def tables_read(ctx: AppContext) -> Iterator[Seen]:
    """(session, table) for every statement a session executes, so a test can tell which session read the
    credentials and which did the handler's work (sessions of other threads, such as PostgreSQL's event listener,
    read other tables). Core statements count too: the hot paths write and read tickets with them."""
    seen: Seen = []

    def record(state: ORMExecuteState) -> None:
        seen.extend((state.session, table) for table in tables_of(state))

    event.listen(ctx.db.sessionmaker, "do_orm_execute", record)
    yield seen
    event.remove(ctx.db.sessionmaker, "do_orm_execute", record)


def tables_of(state: ORMExecuteState) -> set[str]:
    """The tables of an ORM statement's entities, of a Core insert, update or delete, and of a Core select's FROM."""
    statement = state.statement
    tables = {mapper.local_table.name for mapper in state.all_mappers}
    target = getattr(statement, "table", None)  # insert, update, delete
    if target is not None:
        tables.add(target.name)
    if state.is_select:
        tables.update(name for name in (getattr(f, "name", None) for f in statement.get_final_froms()) if name)
    return tables


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




def opens_a_session(endpoint: Any) -> bool:
    """Whether the handler's own body calls ``….db.session()`` (not a function defined in it, such as a live
    stream's ``initial`` state, which runs after the request's session has ended)."""
    handler = ast.parse(textwrap.dedent(inspect.getsource(endpoint))).body[0]
    assert isinstance(handler, ast.FunctionDef | ast.AsyncFunctionDef)
    nodes: list[ast.AST] = list(handler.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "session"
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "db"):
            return True
        nodes.extend(ast.iter_child_nodes(node))
    return False


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI resolves them lazily)
            yield from api_routes(route.original_router.routes)


def authenticates(dependant: Any) -> bool:
    """Reads who asks: PrincipalDep, or a dependency that calls current_principal itself (a ``require`` check, the
    queue's ticket issuer)."""
    return any(d.call in (current_principal, get_principal) or _calls_current_principal(d.call) or authenticates(d)
               for d in dependant.dependencies)


def _calls_current_principal(call: Any) -> bool:
    return current_principal.__name__ in getattr(getattr(call, "__code__", None), "co_names", ())


def test_no_authenticated_handler_opens_a_session_of_its_own(ctx: AppContext) -> None:
    """A route that reads who asks (``require``, ``staff_page``, ``PrincipalDep``) works in the request's session
    (``SessionDep``): under SQLite's one writer a session of its own would wait on the request's (a 503 after the
    busy timeout), and on PostgreSQL it would take a second connection."""
    routes = [route for route in api_routes(create_app(ctx).routes) if authenticates(route.dependant)]
    assert len(routes) > 40  # the walk finds the plugins' routes too
    assert [f"{route.path} ({route.endpoint.__module__})" for route in routes if opens_a_session(route.endpoint)] == []


def test_the_check_sees_a_session_opened_in_a_handler() -> None:
    def handler(ctx: Any) -> None:
        with ctx.db.session():
            pass

    def streams(ctx: Any) -> None:
        def state() -> None:
            with ctx.db.session():
                pass

    assert opens_a_session(handler) and not opens_a_session(streams)
