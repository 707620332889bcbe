"""FastAPI dependencies shared by core and plugin routers, and their typed ``Annotated`` aliases.

A handler declares what it needs by type, as in the FastAPI full-stack template::

    @router.get("/things")
    def things(office: OfficeDep, ctx: ContextDep, session: SessionDep, principal: PrincipalDep) -> list[Thing]:

``SessionDep`` is the request's one database session, shared by authentication (``PrincipalDep`` and the
``require`` checks of core.web.security) and the handler: committed when the handler returns and rolled back when
it raises (a Problem included), before the response goes out. A handler that must wait on something slow outside
any transaction (a receipt printer) commits first, and so does one whose writes hold a lock that others queue for
(a line's number counter); what it writes afterwards is committed at the end in turn.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import Field
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from core import auth, device_cache, devices
from core.auth import Principal as AuthPrincipal
from core.config import OfficeConfig
from core.context import AppContext
from core.db import utcnow
from core.problems import NotFound, Unauthorized

DEVICE_COOKIE = "mbk_device"
SESSION_KEY = "sid"  # in the signed session cookie: the id of a server-side login (core.auth.StaffSession)
LAST_SEEN_RESOLUTION = timedelta(minutes=5)

# Inputs bounded where the database and date arithmetic have edges, so that an out-of-range value is a 422 that
# names it rather than an overflow in a query (an INTEGER column on PostgreSQL holds at most 2**31 - 1).
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a row id")]
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))]


# The dependencies that do no I/O are ``async``: FastAPI runs them in the event loop, where a plain ``def`` would cost
# a hand-over to the threadpool and back, several per request. Core's own read the context from the request, and the
# office from the path (``office_named``, ``office_of``), rather than through ContextDep and OfficeDep: FastAPI solves a
# dependency's dependencies again wherever it is declared (only the call is cached), each a walk of its own, and the
# office is wanted by several dependencies of every request.


async def get_context(request: Request) -> AppContext:
    return request.app.state.ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's database session (see the module docstring). Made in the event loop (a session touches the
    database only when first used, in a handler's thread); ended in one threadpool call, or none when the handler
    left no transaction open (it committed its work itself).

    At most as many sessions as the pool has connections are out at once; a request waits for its turn here, in
    the event loop. Waiting instead in the pool, in a handler's thread, a burst of more requests than connections
    took every thread, while the sessions holding the connections waited for a thread to end in (their response
    checked, then their end): all waited out the pool timeout and answered 503."""
    ctx = request.app.state.ctx
    turns = _session_turns(request.app.state, ctx.settings.db_pool_size + ctx.settings.db_max_overflow)
    await _take_turn(turns, ctx.settings.db_pool_timeout)
    try:
        session = ctx.db.sessionmaker()
        try:
            yield session
        except BaseException:
            await _ended(session, commit=False)
            raise
        await _ended(session, commit=True)
    finally:
        turns.release()


def _session_turns(state: State, sessions: int) -> asyncio.Semaphore:
    """The app's turns in the running event loop (an asyncio semaphore belongs to one loop; a test client may run
    the app in several)."""
    loop = asyncio.get_running_loop()
    by_loop = getattr(state, "session_turns", None)
    if by_loop is None:
        by_loop = state.session_turns = weakref.WeakKeyDictionary()
    turns = by_loop.get(loop)
    if turns is None:
        turns = by_loop[loop] = asyncio.Semaphore(sessions)
    return turns


async def _take_turn(turns: asyncio.Semaphore, timeout: float) -> None:
    if not turns.locked():
        await turns.acquire()  # free: taken at once, without a timer
        return
    try:
        async with asyncio.timeout(timeout):
            await turns.acquire()
    except TimeoutError:
        raise PoolTimeoutError(f"no database session free within {timeout:g} s") from None  # 503, as the pool's


async def _ended(session: Session, commit: bool) -> None:
    if session.in_transaction():
        await run_in_threadpool(_end, session, commit)
    else:
        session.close()  # holds no connection: nothing to wait for


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# scope="function": the transaction ends when the handler returns, before the response is sent, so a client
# never hears "done" about a write that then fails to commit, and a streaming response holds no connection.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def office_named(request: Request, office: str) -> OfficeConfig:
    """The office ``office`` (the path's); an unknown office is a 404 that lists the known ones. For dependencies
    that declare the path's ``office: str`` themselves (see above)."""
    ctx: AppContext = request.app.state.ctx
    found = ctx.deployment.office(office)
    if found is None:
        known = ", ".join(sorted(ctx.deployment.offices)) or "none"
        raise NotFound("unknown_office", f"No office {office!r} here (offices: {known}).")
    return found


def office_of(request: Request) -> OfficeConfig:
    """``office_named`` for the path's office, for a dependency that leaves declaring the path's ``office`` to
    others: FastAPI reads and checks a declared parameter again for each dependency that declares it."""
    return office_named(request, request.path_params["office"])


async def get_office(office: str, request: Request) -> OfficeConfig:
    """The office named in the path; an unknown office is a 404 that lists the known ones."""
    return office_named(request, office)


OfficeDep = Annotated[OfficeConfig, Depends(get_office)]


def plugin_enabled(plugin: str) -> Callable[..., Awaitable[OfficeConfig]]:
    """Dependency mounted on every route of a plugin: 404 for an office that does not enable it."""

    async def dependency(office: str, request: Request) -> OfficeConfig:
        found = office_named(request, office)
        if not found.enables(plugin):
            raise NotFound("plugin_not_enabled", f"{plugin!r} is not enabled for office {found.id!r}.")
        return found

    return dependency


async def get_language(request: Request) -> str:
    """The visitor's language (``?lang=``, cookie, Accept-Language, office default), one of the office's."""
    return request.app.state.ctx.language(request, office_of(request))


LanguageDep = Annotated[str, Depends(get_language)]


def get_principal(request: Request, ctx: ContextDep, session: SessionDep) -> AuthPrincipal | None:
    """A bearer token (user or device), else the session cookie (user), else the device cookie: read in the
    request's session, where a device's last sighting is written too."""
    cached = getattr(request.state, "principal", False)
    if cached is not False:
        return cached
    principal: AuthPrincipal | None = None
    token = _bearer_token(request)
    via_cookie = False
    try:
        if token is not None:
            if token.startswith(devices.DEVICE_TOKEN_PREFIX):
                principal = _device_principal(ctx, session, token, lambda: devices.device_from_token(session, token))
            else:
                principal = _staff_token_principal(ctx, session, token)
        elif request.session.get(SESSION_KEY):
            user = auth.user_from_session(session, request.session[SESSION_KEY])
            if user is not None:
                principal = auth.principal_for_user(user)
                via_cookie = True
        cookie = request.cookies.get(DEVICE_COOKIE)
        if principal is None and cookie:
            principal = _device_principal(ctx, session, cookie,
                                          lambda: devices.device_from_cookie(session, ctx.secret_key, cookie))
            via_cookie = True
    except auth.AuthError as exc:
        raise Unauthorized("unauthorized", str(exc)) from None
    request.state.principal = principal
    request.state.principal_via_cookie = via_cookie
    return principal


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _device_principal(ctx: AppContext, session: Session, credential: str,
                      read_device: Callable[[], devices.Device]) -> AuthPrincipal:
    """A device's principal, by its token or its enrolled browser's cookie: from this process's few seconds' memory
    (core.device_cache) while its last sighting needs no write, else read (and the sighting recorded) in the
    request's session. Only a credential that was read and found valid is remembered, by its hash."""
    credential_hash, now = auth.hash_secret(credential), utcnow()
    principal: AuthPrincipal | None = device_cache.lookup(credential_hash, now, LAST_SEEN_RESOLUTION)
    if principal is None:
        since = device_cache.generation()
        device = read_device()
        principal = _seen(ctx, session, device, now)
        device_cache.remember(credential_hash, principal, device.id, device.last_seen_at, since)
    return principal


def _staff_token_principal(ctx: AppContext, session: Session, token: str) -> AuthPrincipal:
    """A staff API token's principal: from this process's few seconds' memory (core.device_cache), else checked and
    its user and roles read in the request's session. Only a token found valid is remembered, by its hash."""
    token_hash, now = auth.hash_secret(token), utcnow()
    principal: AuthPrincipal | None = device_cache.lookup_token(token_hash, now)
    if principal is None:
        since = device_cache.generation()
        user, expires_at = auth.user_from_token(session, ctx.secret_key, token)
        principal = auth.principal_for_user(user)
        device_cache.remember_token(token_hash, principal, expires_at, since)
    return principal


def _seen(ctx: AppContext, session: Session, device: devices.Device, now: datetime) -> AuthPrincipal:
    devices.seen(session, device, ctx.deployment.office(device.office_id), now, LAST_SEEN_RESOLUTION)
    return devices.principal_for_device(device)


_READ = object()  # what _from_memory answers when the credential must be read


def _from_memory(request: Request) -> object:
    """The principal when it needs no read: that of a bearer token this process remembers (core.device_cache),
    or None for a request with no credential; else ``_READ``."""
    token = _bearer_token(request)
    if token is not None:
        token_hash, now = auth.hash_secret(token), utcnow()
        remembered = (device_cache.lookup(token_hash, now, LAST_SEEN_RESOLUTION)
                      if token.startswith(devices.DEVICE_TOKEN_PREFIX) else device_cache.lookup_token(token_hash, now))
        return _READ if remembered is None else remembered
    if request.session.get(SESSION_KEY) or request.cookies.get(DEVICE_COOKIE):
        return _READ
    return None


async def current_principal(request: Request, session: SessionDep) -> AuthPrincipal | None:
    """``get_principal`` as a dependency: answered in the event loop when it needs no read (a kiosk's or a guide's
    remembered token, an anonymous visitor), which spares a hand-over to the threadpool and back."""
    cached = getattr(request.state, "principal", False)
    if cached is not False:
        return cached
    known = _from_memory(request)
    if known is _READ:
        return await run_in_threadpool(get_principal, request, request.app.state.ctx, session)
    request.state.principal = known
    request.state.principal_via_cookie = False
    return known  # type: ignore[return-value]


# Who is asking, if anyone: a staff user or an enrolled device. Routes that need a role declare
# ``Depends(require(...))`` from core.web.security instead.
PrincipalDep = Annotated[AuthPrincipal | None, Depends(current_principal)]
