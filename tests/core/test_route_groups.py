"""An included router's routes as a group behind one pattern (core.web.app.RouteGroup): every request gets the route
it got when the app was tried route by route."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Match

from core.web.app import AppContext, RouteGroup, create_app

SAMPLE_VALUE = {"str": "x1", "int": "7", "path": "a/b"}


def _sample_path(route: APIRoute) -> str:
    """A path that ``route`` matches: each parameter given a value of its kind."""
    return re.sub(r"{(\w+)(?::(\w+))?}", lambda found: SAMPLE_VALUE[found.group(2) or "str"], route.path_format)


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": [], "query_string": b""}


def _first(routes: list[Any], scope: dict[str, Any]) -> tuple[Match, Any]:
    """How a router picks: the first full match, else the first partial one (a 405)."""
    partial = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            return match, child_scope.get("route", route)
        if match == Match.PARTIAL and partial is None:
            partial = child_scope.get("route", route)
    return (Match.NONE, None) if partial is None else (Match.PARTIAL, partial)


def test_every_request_gets_the_route_it_got_route_by_route(ctx: AppContext) -> None:
    app = create_app(ctx)
    routes = app.routes  # every route in order, a group's in its place
    api_routes = [route for route in routes if isinstance(route, APIRoute)]
    assert len(api_routes) > 100
    grouped = [route for group in app.router.routes if isinstance(group, RouteGroup) for route in group.routes]
    assert grouped == api_routes  # core's and the plugins' routers, all of them
    tried = 0
    for route in api_routes:
        path = _sample_path(route)
        for method in ("GET", "POST", "DELETE"):
            for candidate in (path, path + "/", path + "/more", "/prefix" + path):
                scope = _scope(candidate, method)
                assert _first(app.router.routes, scope) == _first(routes, scope), (candidate, method)
                tried += 1
    assert tried > 1000
    # Some of those were 405s, and some matched nothing at all.
    assert _first(app.router.routes, _scope("/api/v1/offices/skarholmen/queue/call-next", "GET"))[0] == Match.PARTIAL
    assert _first(app.router.routes, _scope("/api/v1/nothing/here", "GET"))[0] == Match.NONE


def test_a_group_names_the_first_route_with_the_path_even_when_later_ones_have_it_too() -> None:
    def first() -> None: ...

    def second() -> None: ...

    def third() -> None: ...

    group = RouteGroup([APIRoute("/things/{thing}", first, methods=["GET"]),
                        APIRoute("/things/new", second, methods=["POST"]),
                        APIRoute("/things/{thing}", third, methods=["POST"])])
    assert group.matches(_scope("/things/new", "GET"))[1]["route"].endpoint is first
    assert group.matches(_scope("/things/new", "POST"))[1]["route"].endpoint is second
    assert group.matches(_scope("/things/old", "POST"))[1]["route"].endpoint is third
    assert group.matches(_scope("/things/old", "PUT"))[0] == Match.PARTIAL
    assert group.matches(_scope("/things", "GET"))[0] == Match.NONE
    assert group.url_path_for("third", thing="x") == "/things/x"
