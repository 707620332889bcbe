"""Request → Principal, and the role/office/device checks every staff or device endpoint declares."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from core import auth
from core.auth import Principal, StaffUser
from core.config import OfficeConfig
from core.problems import Forbidden, Unauthorized
from core.web.deps import SESSION_KEY, OfficeDep, PrincipalDep, SessionDep, current_principal, office_of

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise Forbidden("csrf_failed", "The form expired or did not come from this site; reload and try again.")


def authorize(office: OfficeConfig, principal: Principal | None, roles: tuple[str, ...],
             device_kinds: tuple[str, ...]) -> Principal:
    if principal is None:
        raise Unauthorized("unauthorized", "Log in or use an enrolled device.")
    if roles and principal.has_role(office.id, *roles):
        return principal
    if device_kinds and principal.is_device(office.id, *device_kinds):
        return principal
    raise Forbidden("forbidden", f"Not allowed for office {office.id!r}.")


def permitted(request: Request, office: OfficeConfig, principal: Principal | None, roles: tuple[str, ...],
              device_kinds: tuple[str, ...]) -> Principal:
    """``require``'s check, for a dependency that decides more than that."""
    if getattr(request.state, "principal_via_cookie", False) and request.method not in SAFE_METHODS:
        # Cookies ride along on cross-site requests; a bearer header does not, so only cookies need this.
        # Pages send the token in a header from fetch(); HTML forms check their own form field.
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return authorize(office, principal, roles, device_kinds)


def require(*roles: str, devices: tuple[str, ...] = ()) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller holds one of ``roles`` at the path's office (platform admins always do),
    or is an enrolled device of that office of one of ``devices``' kinds."""

    # async, so FastAPI runs it in the event loop instead of handing it to the threadpool and back; the principal
    # is read by current_principal, called here rather than declared (PrincipalDep): a dependency of its own is one
    # more for FastAPI to solve on every staff call. The office from the path (office_of), not OfficeDep
    # (core.web.deps says why).
    async def dependency(request: Request, session: SessionDep) -> Principal:
        return permitted(request, office_of(request), await current_principal(request, session), roles, devices)

    return dependency


def safe_next(target: str) -> str:
    """``target`` if it is a path of this site, else "/"."""
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    # Browsers read "/\\host" like "//host", so backslashes are refused too.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# Post/redirect/get for a one-time secret made by a form (an enrolment code, a password link): the form redirects,
# and the page it redirects to shows the secret again on every reload, instead of a reload making another one
# (which would also void the one already handed out). Kept in the admin's own signed, HttpOnly session cookie, for
# one subject at a time; the database keeps only its hash.
SHOWN_KEY = "shown"


def show_after_redirect(request: Request, kind: str, subject: str, secret: str) -> None:
    request.session[SHOWN_KEY] = {"kind": kind, "subject": subject, "secret": secret}


def shown_after_redirect(request: Request, kind: str, subject: str) -> str | None:
    """The secret kept for ``subject`` (None: none, or another's); call ``forget_shown`` once it is spent."""
    kept = request.session.get(SHOWN_KEY)
    if isinstance(kept, dict) and (kept.get("kind"), kept.get("subject")) == (kind, subject):
        return str(kept.get("secret"))
    return None


def forget_shown(request: Request) -> None:
    request.session.pop(SHOWN_KEY, None)


class LoginRequired(Exception):
    """A staff page was opened without a login: core answers with a redirect to the login page, which sends
    the user back to ``next_path`` afterwards."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


async def redirect_to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse("/login?" + urlencode({"next": safe_next(exc.next_path)}, safe="/"), status_code=303)


def signed_in(request: Request, principal: PrincipalDep) -> Principal:
    """Dependency for pages: the principal, or off to the login page and back to this very page (with its
    query: period, language…)."""
    if principal is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return principal


def staff_page(*roles: str, devices: tuple[str, ...] = ()) -> Callable[..., Principal]:
    """Dependency for staff pages: like ``require`` (403 for the wrong role or office), but without a login
    the browser is sent to the login page instead of getting a 401."""

    def dependency(office: OfficeDep, principal: Principal = Depends(signed_in)) -> Principal:
        return authorize(office, principal, roles, devices)

    return dependency


def require_platform_admin(principal: PrincipalDep) -> Principal:
    if principal is None:
        raise Unauthorized("unauthorized", "Log in.")
    if not principal.platform_admin:
        raise Forbidden("forbidden", "Only a platform admin may do this.")
    return principal


def start_login(request: Request, session: Session, user: StaffUser, action: str, id_token: str | None = None) -> None:
    """A browser login (password or single sign-on): a fresh session (new id, new CSRF token), so nothing from
    before the login carries over; an earlier login in this browser ends."""
    previous = request.session.get(SESSION_KEY)
    if previous:
        auth.end_session(session, previous)
    sid = auth.start_session(session, user, id_token=id_token)
    auth.audit(session, auth.principal_for_user(user), action)
    request.session.clear()
    request.session[SESSION_KEY] = sid


def login_page(request: Request, next_path: str, *, status_code: int = 200, error: str | None = None,
               password_set: bool = False, headers: dict[str, str] | None = None) -> Response:
    """The login page: the password form (unless local passwords are off) and "Sign in with <provider>"."""
    ctx = request.app.state.ctx
    language = ctx.language(request, None)
    sso = ctx.deployment.sso
    return ctx.render(request, "login.html", status_code=status_code, headers=headers, next=safe_next(next_path),
                      error=error, password_set=password_set, local_passwords=ctx.deployment.local_passwords,
                      break_glass=ctx.deployment.break_glass,
                      sso_name=sso.name.get_text(language) if sso else None)
