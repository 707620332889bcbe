"""Big bodies are refused early: a request over the platform's limit (MBK_MAX_REQUEST_BYTES) gets 413 with the
problem JSON before its body is read — from its Content-Length, or, for a chunked body, as soon as the streamed
bytes pass the limit. The endpoint below needs a token: the size is checked before anything else."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.web.app import AppContext, create_app
from tests.support import LiveServer

LIMIT = 4096
CHUNK = 1024
PROTECTED = "/api/v1/offices/skarholmen/queue/tickets"


@pytest.fixture
def small_limit(make_context: Callable[..., AppContext]) -> AppContext:
    return make_context(max_request_bytes=LIMIT)


def run_app(ctx: AppContext, headers: list[tuple[bytes, bytes]], receive: Callable[[], Any]) -> tuple[int, Any]:
    """Drive the app as an ASGI server would; returns the status and the JSON answer."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": PROTECTED, "raw_path": PROTECTED.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    # in a thread of its own: a browser test earlier in this process may have left an event loop running here
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, create_app(ctx)(scope, receive, send)).result()
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def call_app(ctx: AppContext, headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[int, dict[str, Any], int]:
    """Offer ``chunks`` chunks of body; returns the status, the JSON answer and how many bytes the app took."""
    taken = 0

    async def receive() -> dict[str, Any]:
        nonlocal taken
        if taken >= chunks * CHUNK:
            return {"type": "http.disconnect"}
        taken += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": taken < chunks * CHUNK}

    status, answer = run_app(ctx, headers, receive)
    return status, answer, taken


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(small_limit: AppContext) -> None:
    status, problem, taken = call_app(small_limit, [(b"content-length", str(100 * 1024 * 1024).encode())],
                                      chunks=100 * 1024)
    assert (status, problem["error"], taken) == (413, "request_too_large", 0)
    assert str(LIMIT) in problem["detail"]


def test_a_chunked_body_is_cut_off_where_it_passes_the_limit(small_limit: AppContext) -> None:
    # 100 MB offered without a Content-Length (and without a token): read no further than the limit
    status, problem, taken = call_app(small_limit, [(b"transfer-encoding", b"chunked")], chunks=100 * 1024)
    assert (status, problem["error"]) == (413, "request_too_large")
    assert taken <= LIMIT + CHUNK


def test_a_body_under_the_limit_goes_on_to_the_usual_checks(small_limit: AppContext) -> None:
    status, problem, taken = call_app(small_limit, [(b"content-length", str(2 * CHUNK).encode())], chunks=2)
    assert (status, problem["error"], taken) == (422, "invalid_request", 2 * CHUNK)  # "xx…" is no JSON


def test_a_real_server_answers_413_while_the_body_is_still_unsent(small_limit: AppContext) -> None:
    with LiveServer(small_limit) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(f"POST {PROTECTED} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_nul_escaped_across_two_chunks_is_still_found(small_limit: AppContext) -> None:
    chunks = [b'{"service": "guidance", "phone": "07\\u00', b'00"}']

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    status, answer = run_app(small_limit, [], receive)
    assert (status, answer["error"]) == (400, "invalid_request") and "NUL" in answer["detail"]
