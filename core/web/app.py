"""The app factory: settings + plugins + deployment + database → one FastAPI app serving every office."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Match, NoMatchFound
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


class RouteGroup(BaseRoute):
    """Included routers' routes, each a route of its own (its path, dependencies, tags… as included), behind one
    pattern of their paths: a request is tried against them only when one of them has its path, and from the first
    that has it.

    FastAPI keeps an included router as one route that resolves each of its routes in the context of the inclusion
    while it matches, through several calls a route, and again when it handles the request; a request was tried so
    against every router included before its own: 180 µs of matching for a ticket issue, in a process whose one
    core is the limit (issue 12). The pattern is exact: a path matches it if and only if it matches the pattern of
    one of the routes (what they match on), so which route answers, and a 404 or 405, stay as they were."""

    def __init__(self, routes: list[APIRoute]):
        self.routes = routes
        # One group per route, in order (its own groups unnamed and not captured: the route reads them itself), so
        # that the group that matched names the first route with the path.
        self.paths = re.compile("|".join(f"({_GROUP.sub('(?:', route.path_regex.pattern)})" for route in routes))

    @classmethod
    def of(cls, included: BaseRoute) -> BaseRoute:
        """The group of an included router's routes; ``included`` as it is when it holds anything but API routes."""
        contexts = list(iter_route_contexts([included]))
        if not all(isinstance(context.original_route, APIRoute) for context in contexts):
            return included
        return cls([_as_included(context) for context in contexts])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope) if scope["type"] == "http" else None
        routes = self.routes
        if path is not None:
            found = self.paths.match(path)
            if found is None or found.lastindex is None:
                return Match.NONE, {}
            routes = routes[found.lastindex - 1:]  # the routes before it do not have this path
        partial: Scope | None = None
        for route in routes:
            # A route's own pattern first: what it matches an HTTP request's path on, without the rest of its call
            # (after a method's 405, the routes after it are tried for one that takes the method).
            if path is not None and route.path_regex.match(path) is None:
                continue
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return match, child_scope
            if match == Match.PARTIAL and partial is None:
                partial = child_scope
        return (Match.NONE, {}) if partial is None else (Match.PARTIAL, partial)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["route"].handle(scope, receive, send)  # the route that matched (an APIRoute puts itself there)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


_GROUP = re.compile(r"(?<!\\)\((?!\?)|\(\?P<\w+>")  # a group that captures (named or not), not a literal "("


def _as_included(context: RouteContext) -> APIRoute:
    """The route of ``context`` as its inclusion resolves it, made again with all of that as its own."""
    route = context.original_route
    assert isinstance(route, APIRoute)
    return type(route)(
        context.path, context.endpoint, response_model=context.response_model, status_code=context.status_code,
        tags=context.tags, dependencies=context.dependencies, summary=context.summary,
        description=context.description, response_description=context.response_description,
        responses=context.responses, deprecated=context.deprecated, name=context.name, methods=context.methods,
        operation_id=context.operation_id, response_model_include=context.response_model_include,
        response_model_exclude=context.response_model_exclude, response_model_by_alias=context.response_model_by_alias,
        response_model_exclude_unset=context.response_model_exclude_unset,
        response_model_exclude_defaults=context.response_model_exclude_defaults,
        response_model_exclude_none=context.response_model_exclude_none, include_in_schema=context.include_in_schema,
        response_class=context.response_class, dependency_overrides_provider=context.dependency_overrides_provider,
        callbacks=context.callbacks, openapi_extra=context.openapi_extra,
        generate_unique_id_function=context.generate_unique_id_function,
        strict_content_type=context.strict_content_type, max_body_size=context.max_body_size,
        form_limits=route.form_limits)


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

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route, those of a group in its place: what the OpenAPI schema lists."""
        return [member for route in self.router.routes
                for member in (route.routes if isinstance(route, RouteGroup) else (route,))]

    def include_grouped(self, router: APIRouter, **inclusion: Any) -> None:
        """``include_router``, its routes as a group (RouteGroup), one with the group included just before it: one
        pattern tried for both, not one each."""
        self.include_router(router, **inclusion)
        included = RouteGroup.of(self.router.routes.pop())
        before = self.router.routes[-1] if self.router.routes else None
        if isinstance(included, RouteGroup) and isinstance(before, RouteGroup):
            self.router.routes[-1] = RouteGroup(before.routes + included.routes)
        else:
            self.router.routes.append(included)


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

    app.include_grouped(routes.api)
    app.include_grouped(people.api)
    app.include_grouped(devices.api)
    app.include_grouped(metrics.router)
    app.include_grouped(speech.api)
    # Every API router before any page router: a request is matched against the routes in order, and an API call
    # need not be tried against the pages of the plugins named before its own (neither can match the other's paths).
    plugins = sorted(ctx.plugins.plugins.items())
    guards = {name: [Depends(plugin_enabled(name))] for name, _ in plugins}
    for name, plugin in plugins:
        if plugin.api_router is not None:
            app.include_grouped(plugin.api_router, prefix=f"/api/v1/offices/{{office}}/{name}",
                               dependencies=guards[name], tags=[name])
    for name, plugin in plugins:
        if plugin.page_router is not None:
            app.include_grouped(plugin.page_router, prefix=f"/{{office}}/{name}", dependencies=guards[name],
                               include_in_schema=False)
    # Core pages last: their /{office}/... patterns must not shadow plugin pages.
    app.include_grouped(people.pages)
    app.include_grouped(devices.pages)
    app.include_grouped(failures.pages)
    app.include_grouped(sso.pages)
    app.include_grouped(routes.pages)
    return app
