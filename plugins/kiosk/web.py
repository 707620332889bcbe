"""What the kiosk's pages and API share: who may use a kiosk screen, the visitor's language, errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from core.auth import ROLES, Principal
from core.config import OfficeConfig
from core.context import AppContext
from core.problems import Unauthorized
from core.web.deps import ContextDep, OfficeDep, SessionDep, get_principal
from plugins.kiosk import service
from plugins.kiosk.arrivals import AcknowledgeLinks

# Any staff member of the office may run a kiosk screen in a browser (demo, trying out); otherwise a device
# enrolled as a kiosk of this very office.
KIOSK_STAFF_ROLES = ROLES
KIOSK_DEVICES = ("kiosk",)


def may_use_kiosk(principal: Principal | None, office: OfficeConfig) -> bool:
    return principal is not None and (principal.is_device(office.id, *KIOSK_DEVICES)
                                      or principal.has_role(office.id, *KIOSK_STAFF_ROLES))


def visitor_language(request: Request, ctx: AppContext, office: OfficeConfig) -> str:
    language = service.visitor_language(office, ctx.language(request, office))
    request.state.language = language
    return language


def refusal(request: Request, ctx: AppContext, session: Session, office: OfficeConfig) -> Response | None:
    """None when this browser may show the kiosk; else a page explaining how to enrol it."""
    try:
        principal = get_principal(request, ctx, session)
    except Unauthorized:  # a revoked or expired device: it needs enrolling again, so say how
        principal = None
    if may_use_kiosk(principal, office):
        return None
    status = 401 if principal is None else 403
    return ctx.render(request, "kiosk/enrol.html", office=office, status_code=status, principal=principal,
                      languages=[], headers={"Cache-Control": "no-store"})


class NotAKiosk(Exception):
    """This browser may not show the kiosk; ``response`` explains how to enrol it."""

    def __init__(self, response: Response):
        super().__init__("not a kiosk")
        self.response = response


class ScreenRoute(APIRoute):
    """A kiosk screen's route: a ``NotAKiosk`` raised by its dependencies is answered with its page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def screen_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAKiosk as refused:
                return refused.response

        return screen_handler


def screen_language(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep) -> str:
    """Dependency of every kiosk screen: the visitor's language, once this browser may show the kiosk (the
    enrolment page, in that language, otherwise)."""
    language = visitor_language(request, ctx, office)
    if denied := refusal(request, ctx, session, office):
        raise NotAKiosk(denied)
    return language


def acknowledge_links(ctx: AppContext) -> AcknowledgeLinks:
    return AcknowledgeLinks(ctx.secret_key, ctx.settings.base_url)
