"""A burst of more requests than the database pool holds is served, not failed: a request's session is ended (its
connection given back) on threads of its own, never queued behind handlers that wait for a connection. Queued
there, with every handler thread taken by one of those, each waited out its pool timeout and answered 503 (a crowd
of phones opening their ticket pages at once, say)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from core.hookspecs import TicketRequest
from core.web.app import AppContext, create_app
from plugins.queue import lifecycle, views

HANDLER_THREADS = 3
REQUESTS = 12


def at_once(ctx: AppContext, requests: int) -> list[httpx.Response]:
    """``requests`` reads of one ticket's status, all sent at once, with HANDLER_THREADS threads for handlers:
    each reads in the request's session, which is ended after the handler returns. In the order answered."""
    with ctx.db.session() as session:
        ticket = lifecycle.issue_ticket(session, ctx.deployment.office("skarholmen"),
                                        TicketRequest(language="sv", service="info")).ticket
    app = create_app(ctx)

    async def burst() -> list[httpx.Response]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = HANDLER_THREADS
        answered: list[httpx.Response] = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:

            async def status() -> None:
                answered.append(await client.get(f"/api/v1/offices/skarholmen/queue/tickets/{ticket.public_id}"))

            async with anyio.create_task_group() as group:
                for _ in range(requests):
                    group.start_soon(status)
        return answered

    # In a loop of its own thread: a session's browser tests leave Playwright's loop running in this one.
    with start_blocking_portal() as portal:
        return portal.call(burst)


def test_more_requests_than_connections_and_threads_are_all_served(make_context: Callable[..., AppContext]) -> None:
    answered = at_once(make_context(db_pool_size=1, db_max_overflow=0, db_pool_timeout=3), REQUESTS)
    assert [response.status_code for response in answered] == [200] * REQUESTS


def test_a_request_that_gets_no_turn_in_the_pool_timeout_is_a_503(make_context: Callable[..., AppContext],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shown = views.public_ticket

    def slowly_shown(*args: Any, **kwargs: Any) -> Any:  # the one connection stays in use well past the timeout
        time.sleep(1)
        return shown(*args, **kwargs)

    monkeypatch.setattr(views, "public_ticket", slowly_shown)
    first, second = at_once(make_context(db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2), 2)
    assert (first.status_code, first.json()["error"], first.headers["Retry-After"]) == (
        503, "database_unavailable", "5")
    assert second.status_code == 200
