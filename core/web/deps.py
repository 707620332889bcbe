"""FastAPI dependencies shared by core and plugin routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import Depends, Request

from core.config import OfficeConfig
from core.web.errors import HttpProblem

if TYPE_CHECKING:
    from core.web.app import AppContext


def get_context(request: Request) -> AppContext:
    return request.app.state.ctx


def get_office(office: str, request: Request) -> OfficeConfig:
    """The office named in the path; an unknown office is a 404 that lists the known ones."""
    ctx = get_context(request)
    found = ctx.deployment.office(office)
    if found is None:
        known = ", ".join(sorted(ctx.deployment.offices)) or "none"
        raise HttpProblem(404, "unknown_office", f"No office {office!r} here (offices: {known}).")
    return found


def plugin_enabled(plugin: str) -> Callable[..., OfficeConfig]:
    """Dependency mounted on every route of a plugin: 404 for an office that does not enable it."""

    def dependency(office: OfficeConfig = Depends(get_office)) -> OfficeConfig:
        if not office.enables(plugin):
            raise HttpProblem(404, "plugin_not_enabled", f"{plugin!r} is not enabled for office {office.id!r}.")
        return office

    return dependency


def get_language(request: Request, office: OfficeConfig = Depends(get_office)) -> str:
    """The visitor's language (``?lang=``, cookie, Accept-Language, office default), one of the office's."""
    return get_context(request).language(request, office)
