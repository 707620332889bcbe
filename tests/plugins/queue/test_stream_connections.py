"""A visitor's live stream holds no pooled database connection once it starts: many phones open their streams at
once (a line called, a display of the ticket's link), and a connection each kept until the request's session ended
in a later threadpool call, queued behind the other phones' handlers, ran the pool out (bench.scale --only fanout:
250 streams opening at once under load)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fastapi import Response
from fastapi.testclient import TestClient

from core.hookspecs import TicketRequest
from core.web.app import AppContext
from plugins.queue import lifecycle

QUEUE_API = importlib.import_module("plugins.queue.api")  # the package's ``api`` is its router


def test_a_visitors_stream_starts_holding_no_pooled_connection(
        ctx: AppContext, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with ctx.db.session() as session:
        ticket = lifecycle.issue_ticket(session, ctx.deployment.office("skarholmen"),
                                        TicketRequest(language="sv", service="info")).ticket
    held_when_streaming: list[int] = []

    def streamed(*args: Any, **kwargs: Any) -> Response:
        held_when_streaming.append(ctx.db.engine.pool.checkedout())
        return Response(status_code=204)  # the stream itself is not what is measured here

    monkeypatch.setattr(QUEUE_API, "sse_response", streamed)
    response = client.get(f"/api/v1/offices/skarholmen/queue/tickets/{ticket.public_id}/events")
    assert response.status_code == 204
    assert held_when_streaming == [0]
    assert client.get("/api/v1/offices/skarholmen/queue/tickets/no-such-ticket/events").status_code == 404
