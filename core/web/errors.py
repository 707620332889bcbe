"""The one place errors become HTTP answers: JSON for the API, a readable page for browsers.

A service raises core.problems.Problem with a kind; ``STATUS`` below is the only map from kinds to HTTP statuses.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.problems import Kind, Problem

log = logging.getLogger(__name__)

STATUS: dict[Kind, int] = {
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.INVALID: 422,
    Kind.REFUSED: 409,
    Kind.UNAUTHORIZED: 401,
    Kind.FORBIDDEN: 403,
    Kind.THROTTLED: 429,
    Kind.UNAVAILABLE: 503,
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def problem_response(request: Request, status: int, code: str, detail: str,
                     headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is None:
        return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)
    return ctx.render(request, "error.html", status_code=status, headers=headers,
                      status=status, code=code, detail=detail)


def problem_headers(problem: Problem) -> dict[str, str]:
    headers = {"WWW-Authenticate": problem.challenge or "Bearer"} if problem.kind is Kind.UNAUTHORIZED else {}
    if problem.retry_after is not None:
        headers["Retry-After"] = str(problem.retry_after)
    return headers


def status_of(problem: Problem) -> int:
    return STATUS[problem.kind]


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(request, status_of(exc), exc.code, str(exc), problem_headers(exc))


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem_response(request, exc.status_code, code, detail, getattr(exc, "headers", None))


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    from core.config import format_loc

    problems = [f"{format_loc([p for p in e['loc'] if p != 'body'])}: {e['msg']}" for e in exc.errors()]
    if wants_json(request) or getattr(request.app.state, "ctx", None) is None:
        return JSONResponse({"error": "invalid_request", "detail": "; ".join(problems), "problems": problems},
                            status_code=422)
    return problem_response(request, 422, "invalid_request", "; ".join(problems))


DATABASE_RETRY_AFTER_SECONDS = 5


async def handle_database_error(request: Request, exc: Exception) -> Response:
    """A database that cannot take the request now (pool exhausted, connections refused) is an honest 503 with
    Retry-After; any other database error is a bug, and stays a 500 with its traceback in the log."""
    from core.db import database_unavailable

    if not database_unavailable(exc):
        raise exc
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem_response(request, 503, "database_unavailable",
                            "The service is busy or its database cannot be reached; try again in a few seconds.",
                            {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})
