"""The bare reference: the least a correct endpoint must do, served by the same Python, FastAPI, uvicorn, SQLAlchemy
engine settings and driver as the project, on the same database, so a benchmark can say how close the project comes.

- ``POST /tickets``: one transaction: the per-service, per-day counter upsert (INSERT … ON CONFLICT DO UPDATE …
  RETURNING) and the ticket INSERT; numbers unique and gapless, like the project's. The body's ``service`` names the
  line (default ``info``), so a load can spread over several counters, as the project's over several services.
- ``POST /call-next``: one transaction: the oldest waiting ticket ``FOR UPDATE SKIP LOCKED`` (SQLite: one writer,
  BEGIN IMMEDIATE as in core.db), then an UPDATE marking it called; the event is handed, encoded once, to every
  open ``GET /events`` stream of this process.
- ``GET /events``: a server-sent event stream of those calls (the reference for live fan-out).

The database URL comes from ``MBK_BENCH_BARE_URL``; ``create_tables`` makes the two tables (the harness calls it
before starting any server). Served by bench.support.harness as ``bench.support.reference:create_app``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from core.db import make_engine

metadata = MetaData()
counters = Table("bench_bare_counter", metadata,
                 Column("service", String(64), primary_key=True), Column("day", Date, primary_key=True),
                 Column("last_number", Integer, nullable=False))
tickets = Table("bench_bare_ticket", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("service", String(64), nullable=False), Column("day", Date, nullable=False),
                Column("number", Integer, nullable=False), Column("status", String(16), nullable=False),
                Column("issued_at", DateTime(timezone=True), nullable=False),
                Column("called_at", DateTime(timezone=True)),
                UniqueConstraint("service", "day", "number"),
                Index("ix_bench_bare_line", "service", "status", "id"))
SERVICE = "info"


class TicketIn(BaseModel):
    service: str = SERVICE


def create_tables(url: str) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def prefill(url: str, count: int) -> None:
    """Put ``count`` waiting tickets in the line, for call-next (negative numbers: never clash with issued ones)."""
    engine = make_engine(url)
    today, now = date.today(), datetime.now(UTC)
    with engine.begin() as conn:
        lowest = conn.scalar(select(func.min(tickets.c.number))) or 0
        conn.execute(tickets.insert(), [{"service": SERVICE, "day": today, "number": min(lowest, 0) - i,
                                         "status": "waiting", "issued_at": now} for i in range(1, count + 1)])
    engine.dispose()


def has_waiting(url: str) -> bool:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(select(tickets.c.id).where(tickets.c.status == "waiting").limit(1))
    engine.dispose()
    return found is not None


def _dialect(name: str):  # type: ignore[no-untyped-def]
    return postgresql if name == "postgresql" else sqlite


def create_app() -> FastAPI:
    engine = make_engine(os.environ["MBK_BENCH_BARE_URL"])
    insert = _dialect(engine.dialect.name).insert
    skip_locked = engine.dialect.name == "postgresql"
    streams: set[asyncio.Queue[str]] = set()
    loops: list[asyncio.AbstractEventLoop] = []  # the server's loop, once a stream has opened
    app = FastAPI()

    def broadcast(message: str) -> None:
        for queue in list(streams):
            queue.put_nowait(message)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/tickets", status_code=201)
    def issue(body: TicketIn) -> dict[str, object]:
        today, now = date.today(), datetime.now(UTC)
        with engine.begin() as conn:
            stmt = insert(counters).values(service=body.service, day=today, last_number=1)
            number = conn.execute(stmt.on_conflict_do_update(
                index_elements=[counters.c.service, counters.c.day],
                set_={"last_number": counters.c.last_number + 1}).returning(counters.c.last_number)).scalar_one()
            ticket_id = conn.execute(tickets.insert().values(service=body.service, day=today, number=number,
                                                             status="waiting", issued_at=now)
                                     .returning(tickets.c.id)).scalar_one()
        return {"id": ticket_id, "number": number}

    @app.post("/call-next")
    def call_next() -> Response:
        with engine.begin() as conn:
            stmt = (select(tickets.c.id, tickets.c.number)
                    .where(tickets.c.service == SERVICE, tickets.c.status == "waiting").order_by(tickets.c.id).limit(1))
            if skip_locked:
                stmt = stmt.with_for_update(skip_locked=True)
            row = conn.execute(stmt).first()
            if row is None:
                return Response(status_code=204)
            conn.execute(update(tickets).where(tickets.c.id == row.id)
                         .values(status="called", called_at=datetime.now(UTC)))
        message = f"id: {row.id}\nevent: ticket.called\ndata: {json.dumps({'number': row.number})}\n\n"
        if loops:
            loops[0].call_soon_threadsafe(broadcast, message)
        return JSONResponse({"id": row.id, "number": row.number})

    @app.get("/events")
    async def events() -> StreamingResponse:
        queue: asyncio.Queue[str] = asyncio.Queue()
        loops[:] = [asyncio.get_running_loop()]
        streams.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                while True:
                    yield await queue.get()
            finally:
                streams.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream")

    return app
