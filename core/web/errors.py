"""One error type for HTTP answers: JSON for the API, a readable page for browsers."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException


class HttpProblem(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


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


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpProblem)
    return problem_response(request, exc.status, exc.code, exc.detail, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
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
