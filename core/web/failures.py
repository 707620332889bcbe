"""What failed at an office, in one place (``/{office}/admin/failures``, office admins): core's event deliveries
that failed for good, and what each enabled plugin reports through ``mbk_failures`` (notify's messages that
could not be sent, for one), each with "Retry now" where it can be tried again. The dashboard shows how many."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from core import auth, events, problems
from core.auth import Principal
from core.config import OfficeConfig
from core.context import AppContext
from core.contract import Failure
from core.db import utcnow
from core.web.deps import ContextDep, OfficeDep, PrincipalDep, RowId, SessionDep
from core.web.security import authorize, check_csrf, safe_next, staff_page

pages = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class FailedDelivery:
    """An event that one plugin could not handle, after every attempt."""

    id: int
    event_type: str
    event_label: str  # the type's name for staff (its publisher's ``label``), else the type itself
    event_id: int
    plugin: str
    at: datetime  # local time
    attempts: int
    error: str


@dataclass(frozen=True)
class Failed:
    deliveries: list[FailedDelivery]
    others: list[tuple[datetime, Failure]]  # (local time, failure), newest first

    def __len__(self) -> int:
        return len(self.deliveries) + len(self.others)


def what_failed(ctx: AppContext, session: Session, office: OfficeConfig, language: str) -> Failed:
    deliveries = [FailedDelivery(id=d.id, event_type=e.type, event_label=ctx.event_label(e.type, language),
                                 event_id=e.id, plugin=d.plugin,
                                 at=e.created_at.astimezone(office.tz), attempts=d.attempts, error=d.last_error or "")
                  for d, e in events.failed_deliveries(session, office.id)]
    reported = [f for group in ctx.hooks(office).mbk_failures(office=office, session=session, language=language,
                                                             now=utcnow(), event_label=ctx.event_labels(language))
                for f in group]
    others = [(f.at.astimezone(office.tz), f) for f in sorted(reported, key=lambda f: f.at, reverse=True)]
    return Failed(deliveries=deliveries, others=others)


@pages.get("/{office}/admin/failures")
def failures_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                  principal: Principal = Depends(staff_page("admin"))) -> Response:
    failed = what_failed(ctx, session, office, ctx.language(request, office))
    return ctx.render(request, "failures.html", office=office, failed=failed, is_admin=True)


@pages.post("/{office}/admin/events/{delivery_id}/retry")
def admin_retry_event(request: Request, delivery_id: RowId, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                      principal: PrincipalDep, csrf_token: Annotated[str, Form()] = "",
                      next: Annotated[str, Form()] = "") -> Response:
    """Try a failed event delivery again, with a fresh attempt budget."""
    check_csrf(request, csrf_token)
    allowed = authorize(office, principal, ("admin",), ())
    if events.retry_delivery(session, delivery_id, office.id) is None:
        raise problems.NotFound("not_found", "No failed delivery with that id at this office.")
    auth.audit(session, allowed, "event.retry", office.id, delivery=delivery_id)
    session.commit()  # before the dispatcher wakes to send it
    if ctx.dispatcher:
        ctx.dispatcher.wake()
    return RedirectResponse(safe_next(next) if next else f"/{office.id}/admin/failures", status_code=303)
