"""Single sign-on in the browser: ``/login/sso`` sends the browser to the identity provider, ``/login/sso/callback``
takes it back, and logout also ends the session at the provider (RP-initiated logout) where it offers that.

Authlib runs the OpenID Connect authorization code flow with PKCE (S256): discovery, state and nonce (kept in the
signed session cookie until the callback), the code exchange and the ID token's signature, issuer, audience,
nonce and expiry. core.sso decides who the verified claims are here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx2  # Authlib's HTTP client: the provider's unreachability arrives as its errors
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core import auth, sso
from core.config import SsoSection, env_secret
from core.context import AppContext
from core.problems import NotFound, Problem, Unavailable
from core.web.deps import ContextDep
from core.web.security import login_page, safe_next, start_login

pages = APIRouter(include_in_schema=False)
NEXT_KEY = "sso_next"
CLIENT = "sso"


def section(ctx: AppContext) -> SsoSection:
    if ctx.deployment.sso is None:
        raise NotFound("sso_off", "This deployment has no single sign-on ([sso] in platform.toml).")
    return ctx.deployment.sso


def client(request: Request) -> Any:
    """The deployment's OpenID Connect client (one per app: it caches the provider's metadata and keys)."""
    oauth = getattr(request.app.state, "oauth", None)
    if oauth is None:
        settings = section(request.app.state.ctx)
        oauth = OAuth()
        oauth.register(CLIENT, client_id=settings.client_id, client_secret=env_secret(settings.client_secret_env),
                       server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
                       client_kwargs={"scope": " ".join(settings.scopes), "code_challenge_method": "S256"})
        request.app.state.oauth = oauth
    return oauth.create_client(CLIENT)


def callback_url(ctx: AppContext) -> str:
    return f"{ctx.settings.base_url.rstrip('/')}/login/sso/callback"


def provider_unavailable(exc: Exception, _: Any) -> Unavailable:
    return Unavailable("sso_unavailable", _("The identity provider does not answer (%(error)s); try again in a "
                                            "minute, or ask IT.", error=type(exc).__name__), retry_after=60)


@pages.get("/login/sso")
async def sso_start(request: Request, ctx: ContextDep, next: str = "/") -> Response:
    """Off to the identity provider; it sends the browser back to the callback below."""
    section(ctx)
    request.session[NEXT_KEY] = safe_next(next)
    try:
        return await client(request).authorize_redirect(request, callback_url(ctx))
    except httpx2.HTTPError as exc:
        raise provider_unavailable(exc, ctx.translator.gettext(ctx.language(request, None))) from None


@pages.get("/login/sso/callback")
async def sso_callback(request: Request, ctx: ContextDep) -> Response:
    settings = section(ctx)
    _ = ctx.translator.gettext(ctx.language(request, None))
    oidc = client(request)
    try:
        token = await oidc.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if settings.groups_claim not in claims and oidc.server_metadata.get("userinfo_endpoint"):
            # Many providers put groups only in the userinfo answer; its subject must be the ID token's.
            extra = dict(await oidc.userinfo(token=token))
            if extra.get("sub") == claims.get("sub"):
                claims = {**extra, **claims}
    except OAuthError as exc:
        return login_refused(request, ctx, _("Single sign-on did not complete (%(reason)s). Try again.",
                                             reason=exc.error))
    except httpx2.HTTPError as exc:
        raise provider_unavailable(exc, _) from None
    try:
        await run_in_threadpool(finish_login, request, ctx, settings, claims, token.get("id_token"), _)
    except Problem as exc:
        return login_refused(request, ctx, exc.message)
    return RedirectResponse(safe_next(request.session.pop(NEXT_KEY, "/")), status_code=303)


def finish_login(request: Request, ctx: AppContext, settings: SsoSection, claims: dict[str, Any],
                 id_token: str | None, _: Any) -> None:
    with ctx.db.session() as session:
        user = sso.sign_in(session, settings, claims, _)
    with ctx.db.session() as session:  # the roles are committed first: a role the groups took away stays gone
        user = session.get(auth.StaffUser, user.id)
        sso.check_access(user, _)
        next_path = request.session.get(NEXT_KEY, "/")
        start_login(request, session, user, "login.sso", id_token=id_token)
        request.session[NEXT_KEY] = next_path


def login_refused(request: Request, ctx: AppContext, message: str) -> Response:
    return login_page(request, request.session.pop(NEXT_KEY, "/"), status_code=403, error=message)


async def provider_logout(request: Request, ctx: AppContext, id_token: str | None) -> str | None:
    """Where to send the browser to end its session at the provider too, or None (no SSO login, or a provider
    without an end_session_endpoint, or one that does not answer: the session here has ended anyway)."""
    if not id_token or ctx.deployment.sso is None:
        return None
    try:
        metadata = await client(request).load_server_metadata()
    except httpx2.HTTPError:
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = urlencode({"id_token_hint": id_token, "client_id": ctx.deployment.sso.client_id,
                       "post_logout_redirect_uri": f"{ctx.settings.base_url.rstrip('/')}/login"})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
