"""Core's own routes: health, office listing, login, device enrolment, landing and admin pages."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from core import auth, devices, migrate, problems
from core.auth import Principal
from core.config import OfficeConfig
from core.web import failures, sso
from core.web.deps import SESSION_KEY, ContextDep, OfficeDep, SessionDep
from core.web.schemas import AuditEntryOut, Health, OfficeDetailOut, OfficeOut, Readiness, TokenOut
from core.web.security import (
    check_csrf,
    login_page,
    require,
    safe_next,
    signed_in,
    staff_page,
    start_login,
)

log = logging.getLogger(__name__)
api = APIRouter()
pages = APIRouter(include_in_schema=False)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else ""


# --- Health -----------------------------------------------------------------------------------------


@api.get("/healthz", tags=["health"], response_model=Health)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@api.get("/readyz", tags=["health"], response_model=Readiness,
         responses={503: {"model": Readiness, "description": "not ready: the database or a migration"}})
def readyz(request: Request, ctx: ContextDep) -> Response:
    """The database answers and every migration branch is at its head."""
    try:
        with ctx.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        at_head = migrate.is_at_head(ctx.db.engine, ctx.plugins)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "detail": f"database: {type(exc).__name__}"}, status_code=503)
    if not at_head:
        return JSONResponse({"status": "unavailable", "detail": "migrations pending: run `mbk db upgrade`"},
                            status_code=503)
    return JSONResponse({"status": "ready"})


# --- Offices ----------------------------------------------------------------------------------------


def _office_summary(office: OfficeConfig, language: str) -> dict[str, object]:
    return {"id": office.id, "name": office.name.get_text(language), "timezone": office.timezone,
            "languages": list(office.languages), "plugins": list(office.enabled_plugins)}


@api.get("/api/v1/offices", tags=["offices"], response_model=list[OfficeOut])
def list_offices(request: Request, ctx: ContextDep) -> list[dict[str, object]]:
    return [_office_summary(o, ctx.deployment.default_language) for o in ctx.deployment.offices.values()]


@api.get("/api/v1/offices/{office}", tags=["offices"], response_model=OfficeDetailOut)
def office_detail(request: Request, office: OfficeDep, ctx: ContextDep) -> dict[str, object]:
    summary = _office_summary(office, ctx.deployment.default_language)
    summary["pages"] = [{"label": p.label, "path": p.path, "audience": p.audience} for p in ctx.page_links(office)]
    return summary


# --- Authentication ---------------------------------------------------------------------------------


@api.post("/api/v1/auth/token", tags=["auth"], response_model=TokenOut)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], ctx: ContextDep
          ) -> dict[str, object]:
    """OAuth2 password flow: an expiring bearer token for a staff user (not where local passwords are off)."""
    if not ctx.deployment.local_passwords:
        raise problems.Forbidden("passwords_off", "This deployment signs staff in with single sign-on only.")
    try:
        user = auth.authenticate(ctx.db, form.username, form.password, _client_address(request))
    except auth.Throttled as exc:
        raise problems.Throttled("too_many_attempts", str(exc), retry_after=exc.retry_after) from None
    except auth.AuthError as exc:
        raise problems.Unauthorized("invalid_credentials", str(exc)) from None
    with ctx.db.session() as session:
        auth.audit(session, auth.principal_for_user(user), "login.token")
    return {"access_token": auth.issue_token(ctx.secret_key, user), "token_type": "bearer",
            "expires_in": int(auth.TOKEN_LIFETIME.total_seconds())}


@api.get("/api/v1/offices/{office}/audit", tags=["auth"], response_model=list[AuditEntryOut])
def audit_log(request: Request, office: OfficeDep, session: SessionDep,
              principal: Principal = Depends(require("admin")),
              limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, object]]:
    """The office's audit log, newest first (office admins and platform admins)."""
    entries = auth.audit_entries(session, office.id, limit=limit)
    return [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "office": e.office_id,
             "detail": e.detail} for e in entries]


@pages.get("/login")
def login_form(request: Request, next: str = "/", password_set: bool = False) -> Response:
    return login_page(request, next, password_set=password_set)


@pages.post("/login")
def login_submit(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 ctx: ContextDep, csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
                 ) -> Response:
    check_csrf(request, csrf_token)
    _ = ctx.translator.gettext(ctx.language(request, None))
    break_glass = ctx.deployment.break_glass
    if not ctx.deployment.local_passwords and not break_glass:
        return login_page(request, next, status_code=403,
                          error=_("Passwords are switched off here: sign in with single sign-on."))
    try:
        user = auth.authenticate(ctx.db, username, password, _client_address(request))
        if break_glass and not (user.is_platform_admin and user.sso_subject is None):
            raise auth.AuthError("only platform admins with a local password may break the glass")
    except auth.Throttled as exc:
        return login_page(request, next, status_code=429, headers={"Retry-After": str(exc.retry_after)},
                          error=_("Too many failed attempts. Try again in %(seconds)s seconds.",
                                  seconds=exc.retry_after))
    except auth.AuthError:  # (with the glass broken, the same answer for anyone else: nothing to learn from it)
        return login_page(request, next, status_code=401, error=_("Wrong username or password."))
    with ctx.db.session() as session:
        start_login(request, session, user, "login.break_glass" if break_glass else "login")
    if break_glass:
        log.warning("break-glass login by platform admin %r while local passwords are off", user.username)
    return RedirectResponse(safe_next(next), status_code=303)


def end_login(ctx: ContextDep, sid: str) -> str | None:
    """End the login ``sid`` here; returns its single sign-on ID token, if any."""
    with ctx.db.session() as session:
        user = auth.user_from_session(session, sid)
        id_token = auth.end_session(session, sid)
        if user is not None:
            auth.audit(session, auth.principal_for_user(user), "logout")
    return id_token


@pages.post("/logout")
async def logout(request: Request, ctx: ContextDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Log out here, then (after a single sign-on login) at the identity provider, which sends the browser back
    to the login page."""
    check_csrf(request, csrf_token)
    sid = request.session.get(SESSION_KEY)
    id_token = await run_in_threadpool(end_login, ctx, sid) if sid else None
    request.session.clear()
    return RedirectResponse(await sso.provider_logout(request, ctx, id_token) or "/login", status_code=303)


# --- Pages ------------------------------------------------------------------------------------------


@pages.get("/demo/mail")
def demo_mail(request: Request, ctx: ContextDep, principal: Principal = Depends(signed_in)) -> Response:
    """Demo deployments: the e-mails the demo sent, as `mbk serve --catch-mail` kept them (staff only: they
    are messages to officers)."""
    from core.demo_mail import caught_mail

    if not ctx.deployment.demo:
        raise problems.NotFound("not_found", "Only a demo deployment keeps the e-mails it sends.")
    return ctx.render(request, "demo_mail.html", mails=caught_mail(ctx.settings.demo_mail_dir))


SWAGGER_UI_ASSETS = "/static/swagger-ui"


@pages.get("/docs")
def api_docs(request: Request, ctx: ContextDep) -> Response:
    """Swagger UI from assets this server serves itself (fastapi-offline's copy): /docs works offline."""
    return ctx.render(request, "api_docs.html", assets=SWAGGER_UI_ASSETS,
                                       openapi_url=request.app.openapi_url)


@pages.get("/")
def landing(request: Request, ctx: ContextDep) -> Response:
    offices = [(o, *ctx.links_by_audience(o)) for o in ctx.deployment.offices.values()]
    return ctx.render(request, "landing.html", offices=offices)


def audit_row(ctx: ContextDep, office: OfficeConfig, entry: auth.AuditEntry, language: str
              ) -> tuple[datetime, str, str, str]:
    """(local time: office staff read their own clock, who, what, details) of an audit entry: the staff member's
    username or the device's name; core's actions by their translated names with their details, a plugin's in
    its own words (mbk_audit_text), else as recorded."""
    _ = ctx.translator.gettext(language)
    details = ", ".join(f"{key}={value}" for key, value in entry.detail.items())
    if entry.action in auth.AUDIT_LABELS:
        what = _(auth.AUDIT_LABELS[entry.action])
    elif text := ctx.hooks(office).mbk_audit_text(office=office, action=entry.action, detail=entry.detail,
                                                   language=language):
        what, details = text, ""
    else:
        what = entry.action
    kind, _sep, name = entry.actor.partition(":")
    who = {"user": name, "device": _("Device: %(name)s", name=name)}.get(kind, entry.actor) if name else entry.actor
    return entry.at.astimezone(office.tz), who, what, details


@pages.get("/{office}/admin")
def admin_dashboard(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                    principal: Principal = Depends(staff_page("admin", "viewer"))) -> Response:
    language = ctx.language(request, office)
    found = sorted((p for group in ctx.hooks(office).mbk_admin_panels(
                       office=office, session=session, language=language, event_label=ctx.event_labels(language))
                    for p in group),
                   key=lambda p: (p.order, p.id))
    panels = [(panel, ctx.render_panel(office, panel, language)) for panel in found]
    is_admin = principal.has_role(office.id, "admin")
    failed = len(failures.what_failed(ctx, session, office, language)) if is_admin else 0
    audit_log = [audit_row(ctx, office, e, language) for e in auth.audit_entries(session, office.id, limit=50)
                 ] if is_admin else []
    staff = auth.office_staff(session, office.id) if is_admin else []
    listed = devices.office_devices(session, office) if is_admin else []
    return ctx.render(request, "admin.html", office=office, panels=panels, failed=failed, audit_log=audit_log,
                      staff=staff, principal=principal, is_admin=is_admin,
                      offline=[d for d in listed if d.state == "offline"],
                      active=[d for d in listed if d.state in ("active", "offline")])


@pages.get("/{office}")
def office_home(request: Request, office: OfficeDep, ctx: ContextDep) -> Response:
    visitor_links, staff_links = ctx.links_by_audience(office)
    return ctx.render(request, "office.html", office=office, visitor_links=visitor_links, staff_links=staff_links)
