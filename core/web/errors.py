"""The one place errors become HTTP answers: JSON for the API, a readable page for browsers.

A service raises core.problems.Problem with a kind; ``STATUS`` below is the only map from kinds to HTTP statuses.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from http import HTTPStatus

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from core.i18n import N_
from core.problems import Kind, Problem, value_problem

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


def log_refusal(request: Request, status: int, code: str) -> None:
    """One short line per refused request (no traceback: the request was wrong, not the server). It names the
    route, not the path, and not the detail: either may hold what a visitor typed or a ticket's secret id."""
    if status < 500:
        route = request.scope.get("route")
        log.info("%s %s %s: %s", status, request.method, getattr(route, "path", "(no route)"), code)


def problem_response(request: Request, status: int, code: str, detail: str,
                     headers: dict[str, str] | None = None) -> Response:
    log_refusal(request, status, code)
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


# Said instead of Starlette's own English detail (its status's phrase, "Not Found"), which the router gives a path
# or method that no route takes: visitors reach these too, by a mistyped or old address.
ROUTER_DETAILS = {404: N_("There is nothing at this address."),
                  405: N_("This address does not take this kind of request.")}


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed",
            413: "request_too_large"}.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code in ROUTER_DETAILS and detail == HTTPStatus(exc.status_code).phrase:
        detail = _told(request, ROUTER_DETAILS[exc.status_code])
    return problem_response(request, exc.status_code, code, detail, getattr(exc, "headers", None))


def _reader_gettext(request: Request, page: bool) -> Callable[..., str] | None:
    """The translation a refused request's problems are told in: a page's language; for JSON the one the caller asks
    for with ``?lang=`` (as the kiosk's and the staff console's calls do). None: English (pydantic's for a value), as
    programs have always been told."""
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is None or (not page and request.query_params.get("lang") not in ctx.languages(None)):
        return None
    return ctx.translator.gettext(ctx.language(request, None))


def _told(request: Request, text: str) -> str:
    """One of core's texts as the reader of a request that failed or was refused is told it (``_reader_gettext``):
    visitors see these too, on a page or from a kiosk's call."""
    _ = _reader_gettext(request, not wants_json(request))
    return _(text) if _ else text


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    from core.config import format_loc

    page = not wants_json(request) and getattr(request.app.state, "ctx", None) is not None
    _ = _reader_gettext(request, page)
    problems = [f"{format_loc([p for p in e['loc'] if p != 'body'])}: {value_problem(e, _) if _ else e['msg']}"
                for e in exc.errors()]
    if not page:
        log_refusal(request, 422, "invalid_request")
        return JSONResponse({"error": "invalid_request", "detail": "; ".join(problems), "problems": problems},
                            status_code=422)
    return problem_response(request, 422, "invalid_request", "; ".join(problems))


DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = N_("The service is busy or its database cannot be reached; try again in a few seconds.")


async def handle_database_error(request: Request, exc: Exception) -> Response:
    """A database that cannot take the request now (pool exhausted, connections refused) is an honest 503 with
    Retry-After; any other database error is a bug, and stays a 500 with its traceback in the log."""
    from core.db import database_unavailable

    if not database_unavailable(exc):
        raise exc
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem_response(request, 503, "database_unavailable", _told(request, DATABASE_UNAVAILABLE),
                            {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


# The last resort, at the edge (core.web.edge): an exception that no handler turned into an answer is a bug. It is
# logged as one line (type, message, where it was raised) and answered 500 with the problem JSON (or the error page);
# nothing of it reaches the client. Bad input never gets here: it is refused with a 4xx before.


def log_bug(scope: Scope, exc: Exception) -> None:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    log.error("500 on %s %s: %s: %s%s", scope.get("method"), scope.get("path"), type(exc).__name__,
              str(exc).splitlines()[0][:300] if str(exc) else "",
              f" (at {where.filename}:{where.lineno} in {where.name})" if where else "")


INTERNAL_ERROR = N_("Something went wrong on our side. It has been logged; try again later.")


def internal_error(scope: Scope) -> Response:
    try:
        request = Request(scope)
        return problem_response(request, 500, "internal_error", _told(request, INTERNAL_ERROR))
    except Exception:  # noqa: BLE001 - the error page itself failed: plain JSON still answers
        return JSONResponse({"error": "internal_error", "detail": INTERNAL_ERROR}, status_code=500)
