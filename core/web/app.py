"""The app factory: settings + plugins + deployment + database → one FastAPI app serving every office."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from core.context import AppContext, create_context
from core.dispatch import Dispatcher
from core.live import PostgresListener
from core.problems import Problem
from core.web import errors, metrics, security, speech
from core.web.deps import plugin_enabled
from core.web.edge import Edge
from core.web.headers import SecurityHeaders, origin_of
from core.web.limits import RequestLimits
from core.web.sse import SERVER_RECEIVE, SERVER_SEND, STREAM_REST

__all__ = ["AppContext", "create_app", "create_context"]  # AppContext and create_context live in core.context

log = logging.getLogger(__name__)
WEB = Path(__file__).resolve().parent
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"  # swagger-ui-bundle.js, swagger-ui.css


class App(FastAPI):
    """Keeps the server's own send and receive in the scope, outside every middleware, and runs with them what a live
    stream's response left there once the middlewares have returned (core.web.sse.EventStreamResponse).

    The middlewares and routes get a copy of the server's scope: what they add to it (the route, the session, the
    dependencies' exit stacks) goes with it when they return, not kept for as long as a stream stays open."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        app_scope = {**scope, SERVER_SEND: send, SERVER_RECEIVE: receive}
        await super().__call__(app_scope, receive, send)
        stream = app_scope.pop(STREAM_REST, None)
        del app_scope
        if stream is not None:
            try:
                await stream()
            except Exception as exc:  # noqa: BLE001 - the edge's last resort (core.web.edge), which it has left
                errors.log_bug(scope, exc)


def create_app(ctx: AppContext | None = None) -> FastAPI:
    ctx = ctx or create_context()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.broker.bind_loop(asyncio.get_running_loop())
        listener = None
        if ctx.db.is_postgres:
            listener = PostgresListener(ctx.db, ctx.broker)
            listener.start()
        if ctx.settings.run_dispatcher:
            ctx.dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
            ctx.broker.wakeups.append(ctx.dispatcher.wake)
            ctx.dispatcher.start()
        ctx.plugins.hook.mbk_startup(app=app, context=ctx)
        try:
            yield
        finally:
            ctx.plugins.hook.mbk_shutdown(app=app, context=ctx)
            if ctx.dispatcher:
                ctx.dispatcher.stop()
            if listener:
                listener.stop()

    # /docs is core's own page (routes.api_docs) on locally served assets; FastAPI's would load them from a CDN.
    # FastAPI's own OpenTelemetry off: the platform's monitoring is its /metrics (core.web.metrics), and with it on,
    # FastAPI asked OpenTelemetry's global providers on every request whether one was set up (8 µs, issue 12).
    app = App(title="medborgarkontor", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
              description="Citizen office platform: one API per office, plugins under /api/v1/offices/{office}/",
              telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
    app.state.ctx = ctx
    from core.web import devices, failures, people, routes, sso
    provider = ctx.deployment.sso
    app.add_middleware(Edge, limits=RequestLimits(ctx.settings.max_request_bytes),
                       headers=SecurityHeaders(hsts=ctx.settings.secure_cookies,
                                               form_targets=(origin_of(provider.issuer),) if provider else ()))
    app.add_middleware(SessionMiddleware, secret_key=ctx.secret_key, session_cookie="mbk_session",
                       max_age=12 * 3600, same_site="lax", https_only=ctx.settings.secure_cookies)
    app.add_exception_handler(Problem, errors.handle_problem)
    app.add_exception_handler(StarletteHTTPException, errors.handle_http_exception)
    app.add_exception_handler(RequestValidationError, errors.handle_validation_error)
    app.add_exception_handler(security.LoginRequired, security.redirect_to_login)
    app.add_exception_handler(SQLAlchemyError, errors.handle_database_error)

    app.mount("/static/core", StaticFiles(directory=WEB / "static"), name="static-core")
    app.mount(routes.SWAGGER_UI_ASSETS, StaticFiles(directory=SWAGGER_UI), name="static-swagger-ui")
    for name, plugin in sorted(ctx.plugins.plugins.items()):
        if plugin.static:
            app.mount(f"/static/{name}", StaticFiles(directory=plugin.static), name=f"static-{name}")

    app.include_router(routes.api)
    app.include_router(people.api)
    app.include_router(devices.api)
    app.include_router(metrics.router)
    app.include_router(speech.api)
    # Every API router before any page router: a request is matched against the routes in order, and an API call
    # need not be tried against the pages of the plugins named before its own (neither can match the other's paths).
    plugins = sorted(ctx.plugins.plugins.items())
    guards = {name: [Depends(plugin_enabled(name))] for name, _ in plugins}
    for name, plugin in plugins:
        if plugin.api_router is not None:
            app.include_router(plugin.api_router, prefix=f"/api/v1/offices/{{office}}/{name}",
                               dependencies=guards[name], tags=[name])
    for name, plugin in plugins:
        if plugin.page_router is not None:
            app.include_router(plugin.page_router, prefix=f"/{{office}}/{name}", dependencies=guards[name],
                               include_in_schema=False)
    # Core pages last: their /{office}/... patterns must not shadow plugin pages.
    app.include_router(people.pages)
    app.include_router(devices.pages)
    app.include_router(failures.pages)
    app.include_router(sso.pages)
    app.include_router(routes.pages)
    return app
