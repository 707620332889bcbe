"""Notify's staff page: today's messages and their status, with "retry now" for failed ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from core.auth import Principal
from core.web.deps import ContextDep, OfficeDep, PrincipalDep, RowId, SessionDep
from core.web.security import authorize, check_csrf, safe_next, staff_page
from plugins.notify import service
from plugins.notify.api import retry
from plugins.notify.panel import message_rows

pages = APIRouter()


@pages.get("/messages")
def messages_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                  principal: Principal = Depends(staff_page("admin", "viewer"))) -> Response:
    language = ctx.language(request, office)
    rows = message_rows(service.todays_messages(session, office), office, language, ctx.event_labels(language))
    return ctx.render(request, "notify/messages.html", office=office, rows=rows,
                      can_retry=principal.has_role(office.id, "admin"))


@pages.post("/messages/{message_id}/retry")
def retry_from_page(message_id: RowId, request: Request, office: OfficeDep, session: SessionDep,
                    principal: PrincipalDep, csrf_token: Annotated[str, Form()] = "",
                    next: Annotated[str, Form()] = "") -> Response:
    """Retry a failed message, from this page or core's "What failed" page (``next``: where to go back to)."""
    check_csrf(request, csrf_token)
    retry(session, office, authorize(office, principal, ("admin",), ()), message_id)
    return RedirectResponse(safe_next(next) if next else f"/{office.id}/notify/messages", status_code=303)
