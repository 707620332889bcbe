"""What the kiosk's pages and API share: who may use a kiosk screen, the visitor's language, errors."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from core.auth import ROLES, Principal
from core.config import OfficeConfig
from core.web.app import AppContext
from core.web.errors import HttpProblem
from core.web.security import get_principal
from plugins.kiosk import service
from plugins.kiosk.service import KioskError

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


def refusal(request: Request, ctx: AppContext, office: OfficeConfig) -> Response | None:
    """None when this browser may show the kiosk; else a page explaining how to enrol it."""
    try:
        principal = get_principal(request)
    except HttpProblem:  # a revoked or expired device: it needs enrolling again, so say how
        principal = None
    if may_use_kiosk(principal, office):
        return None
    status = 401 if principal is None else 403
    return ctx.render(request, "kiosk/enrol.html", office=office, status_code=status, principal=principal,
                      languages=[], headers={"Cache-Control": "no-store"})


def problem(exc: KioskError) -> HttpProblem:
    return HttpProblem(exc.status, exc.code, exc.message)
