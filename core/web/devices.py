"""Devices: enrol, list and revoke an office's kiosks, boards and tablets in the browser
(``/{office}/admin/devices``) and the API (``/api/v1/offices/{office}/devices``); a device opens its one-time link
or types its short code (``/enrol``), and checks in while it runs (``/api/v1/device/heartbeat``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from core import auth, devices, problems, qr
from core.auth import Principal
from core.config import OfficeConfig
from core.context import AppContext
from core.contract import DeviceInfo
from core.db import utcnow
from core.web.deps import DEVICE_COOKIE, ContextDep, OfficeDep, PrincipalDep, RowId, SessionDep
from core.web.schemas import DeviceEnrolled, DeviceOut
from core.web.security import (
    check_csrf,
    forget_shown,
    require,
    show_after_redirect,
    shown_after_redirect,
    staff_page,
)

api = APIRouter(tags=["devices"])
pages = APIRouter(include_in_schema=False)

Kind = Literal["kiosk", "display", "tablet"]
AdminDep = Annotated[Principal, Depends(require("admin"))]
AdminPageDep = Annotated[Principal, Depends(staff_page("admin"))]


def enrolment_link(ctx: AppContext, office_id: str, code: str) -> str:
    return f"{ctx.settings.base_url.rstrip('/')}/{office_id}/enrol?code={quote(code)}"


def device_json(device: DeviceInfo) -> dict[str, object]:
    return {"id": device.id, "kind": device.kind, "name": device.name, "state": device.state,
            "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None}


# --- API --------------------------------------------------------------------------------------------


@api.get("/api/v1/offices/{office}/devices", response_model=list[DeviceOut])
def list_devices(office: OfficeDep, session: SessionDep, principal: AdminDep) -> list[dict[str, object]]:
    """The office's devices with their state (active, offline, not enrolled, expired, revoked) and last check-in."""
    return [device_json(d) for d in devices.office_devices(session, office)]


class NewDevice(BaseModel):
    kind: Kind
    name: str = Field(min_length=1, max_length=200)


@api.post("/api/v1/offices/{office}/devices", status_code=201, response_model=DeviceEnrolled)
def add_device(request: Request, body: NewDevice, office: OfficeDep, ctx: ContextDep, session: SessionDep,
               principal: AdminDep) -> dict[str, object]:
    """Enrol a device: its one-time ``enrolment_link`` and short ``enrolment_code`` (30 minutes), and its API
    ``token`` (shown only now)."""
    _ = ctx.translator.gettext(ctx.language(request, office))
    now = utcnow()
    device, token, code = devices.enrol(session, principal, office.id, body.kind, body.name, _=_, now=now)
    return {**device_json(devices.info(device, office, now)), "enrolment_link": enrolment_link(ctx, office.id, code),
            "enrolment_code": code, "enrolment_expires_at": device.enrolment_expires_at.isoformat(), "token": token}


@api.delete("/api/v1/offices/{office}/devices/{device_id}", response_model=DeviceOut)
def delete_device(request: Request, device_id: RowId, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                  principal: AdminDep) -> dict[str, object]:
    """Revoke a device: its cookie and token stop working at once (it stays listed as revoked)."""
    _ = ctx.translator.gettext(ctx.language(request, office))
    device = devices.revoke(session, principal, office.id, device_id, _)
    return device_json(devices.info(device, office, utcnow()))


@api.get("/api/v1/device/heartbeat", status_code=204, tags=["devices"])
def heartbeat(principal: PrincipalDep) -> Response:
    """An enrolled device checks in (core's device.js, every minute): it is seen, so not offline."""
    if principal is None or principal.kind != "device":
        raise problems.Unauthorized("unauthorized", "Only an enrolled device checks in.")
    return Response(status_code=204)


# --- Pages ------------------------------------------------------------------------------------------


def _devices_page(request: Request, ctx: ContextDep, office: OfficeConfig, session: SessionDep, *,
                  status_code: int = 200, **values: object) -> Response:
    language = ctx.language(request, office)
    now = utcnow()
    listed = [(d, d.last_seen_at.astimezone(office.tz) if d.last_seen_at else None,
               [line for lines in ctx.hooks(office).mbk_device_status(office=office, session=session, device=d,
                                                                      language=language) for line in lines])
              for d in devices.office_devices(session, office, now)]
    return ctx.render(request, "devices.html", office=office, status_code=status_code, devices=listed,
                      kinds=devices.KIND_LABELS, states=devices.STATE_LABELS,
                      offline_after=office.devices.offline_after_minutes,
                      **{"error": None, "enrolled": None, "form": {}, **values})


def _shown_enrolment(request: Request, ctx: AppContext, office: OfficeConfig, session: SessionDep,
                     device_id: int | None) -> dict[str, object] | None:
    """Right after enrolling (post/redirect/get): the device's link, QR code and code, while it can be used."""
    code = shown_after_redirect(request, "enrolment", f"{office.id}/{device_id}") if device_id else None
    if code is None:
        return None
    device = session.get(devices.Device, device_id)
    if device is None or device.office_id != office.id or devices.state(device, office, utcnow()) != "not enrolled":
        forget_shown(request)  # used, expired or revoked: nothing left to show
        return None
    link = enrolment_link(ctx, office.id, code)
    expires: datetime = devices.enrolment_expires(device).astimezone(office.tz)
    return {"name": device.name, "link": link, "code": code, "expires": expires,
            "qr": qr.svg_data_uri(link, scale=5),
            "code_page": f"{ctx.settings.base_url.rstrip('/')}/enrol"}


@pages.get("/{office}/admin/devices")
def devices_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                 principal: AdminPageDep,
                 enrolled: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:
    """The office's devices; ``?enrolled=ID`` right after enrolling shows that device's link, QR code and code."""
    return _devices_page(request, ctx, office, session,
                         enrolled=_shown_enrolment(request, ctx, office, session, enrolled))


@pages.post("/{office}/admin/devices")
def devices_add(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep, principal: AdminPageDep,
                kind: Annotated[str, Form(max_length=16)], name: Annotated[str, Form(max_length=200)] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    _ = ctx.translator.gettext(ctx.language(request, office))
    try:
        with session.begin_nested():
            device, _token, code = devices.enrol(session, principal, office.id, kind, name, _=_)
    except problems.Problem as exc:
        return _devices_page(request, ctx, office, session, status_code=422, error=exc.message,
                             form={"kind": kind, "name": name})
    show_after_redirect(request, "enrolment", f"{office.id}/{device.id}", code)
    return RedirectResponse(f"/{office.id}/admin/devices?enrolled={device.id}", status_code=303)


@pages.post("/{office}/admin/devices/{device_id}/revoke")
def devices_revoke(request: Request, device_id: RowId, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                   principal: AdminPageDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    devices.revoke(session, principal, office.id, device_id, ctx.translator.gettext(ctx.language(request, office)))
    return RedirectResponse(f"/{office.id}/admin/devices", status_code=303)


def open_enrolment(request: Request, ctx: AppContext, office_id: str | None, code: str) -> Response:
    """A device opens its one-time link or sends its short code: it gets a long-lived HttpOnly device cookie and
    is sent to the first page of its office meant for its kind."""
    _ = ctx.translator.gettext(ctx.language(request, ctx.deployment.office(office_id) if office_id else None))
    with ctx.db.session() as session:
        try:
            device = devices.use_enrolment_code(session, office_id, code)
        except auth.AuthError:
            raise problems.Forbidden("invalid_enrolment", _("This code is unknown, already used, revoked or expired; "
                                                            "enrol the device again on the admin page.")) from None
        auth.audit(session, devices.principal_for_device(device), "device.enrolled", device.office_id, device=device.id)
        cookie = devices.device_cookie_value(ctx.secret_key, device)
        kind, office = device.kind, ctx.deployment.office(device.office_id)
    target = next((link.path for link in ctx.page_links(office) if link.audience == kind), f"/{office.id}"
                  ) if office else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(DEVICE_COOKIE, cookie, max_age=60 * 60 * 24 * 400, httponly=True, samesite="strict",
                        secure=ctx.settings.secure_cookies)
    return response


@pages.get("/enrol")
def enrol_by_code(request: Request, ctx: ContextDep, code: str = "") -> Response:
    """The page a new device opens to type its short code (or with ``?code=``, the code itself)."""
    if code.strip():
        return open_enrolment(request, ctx, None, code)
    return ctx.render(request, "enrol.html")


@pages.get("/{office}/enrol")
def enrol_by_link(request: Request, code: str, office: OfficeDep, ctx: ContextDep) -> Response:
    """A device opens its one-time enrolment link (the QR code on the admin page, or `mbk device add`'s)."""
    return open_enrolment(request, ctx, office.id, code)
