"""Devices as an office manages them: enrolling with a QR code or a short code that expire, the list with each
device's state and last check-in, revoking, and noticing a device gone quiet during opening hours
(``device.offline``, so that a notify rule can tell IT, and ``device.online`` when it checks in again), and the
figure for the manager's live view. Tokens and cookies themselves are core.auth's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import auth
from core.auth import Device, Principal
from core.config import Deployment, OfficeConfig
from core.contract import DeviceInfo, LiveFigure
from core.db import utcnow
from core.events import DomainEvent, publish
from core.i18n import N_, Translator
from core.people import Gettext, untranslated
from core.problems import Invalid, NotFound

# What each kind is called on pages (translated where shown); the kinds themselves are core.auth.DEVICE_KINDS.
KIND_LABELS = {"kiosk": N_("Kiosk"), "display": N_("Display board"), "tablet": N_("Survey tablet")}
STATE_LABELS = {"active": N_("Online"), "offline": N_("Offline"), "not enrolled": N_("Waiting for enrolment"),
                "expired": N_("Enrolment expired"), "revoked": N_("Revoked")}
ENROLMENT_CODE_LIFETIME = timedelta(minutes=30)  # from the admin page: someone is standing at the device
CODE_LENGTH = 8  # 40 bits: plenty for half an hour


class DeviceOffline(DomainEvent):
    """An enrolled device has not been heard from for ``minutes`` while the office is open."""

    type = "device.offline"
    label: ClassVar[str] = N_("Device offline")
    device_id: int
    name: str
    kind: str
    last_seen_at: datetime
    minutes: int


class DeviceOnline(DomainEvent):
    """A device that was offline (silent too long during opening hours) has checked in again."""

    type = "device.online"
    label: ClassVar[str] = N_("Device back online")
    device_id: int
    name: str
    kind: str
    offline_minutes: int  # from its last check-in before the silence to this one


EVENT_TYPES: list[type[DomainEvent]] = [DeviceOffline, DeviceOnline]
texts = Translator([])  # core's own catalog


def enrol(session: Session, actor: Principal | str, office_id: str, kind: str, name: str,
          lifetime: timedelta = ENROLMENT_CODE_LIFETIME, code_length: int = CODE_LENGTH, _: Gettext = untranslated,
          now: datetime | None = None) -> tuple[Device, str, str]:
    """A new device at the office: (device, its API token shown only now, its one-time enrolment code)."""
    if kind not in auth.DEVICE_KINDS:
        raise Invalid("unknown_kind", _("Unknown kind of device '%(kind)s' (kinds: %(kinds)s).", kind=kind,
                                        kinds=", ".join(auth.DEVICE_KINDS)), field="kind")
    if not name.strip():
        raise Invalid("name_missing", _("A device needs a name."), field="name")
    device, token = auth.enrol_device(session, office_id, kind, name[:200])
    code = auth.new_enrolment_code(device, lifetime, code_length, now)
    auth.audit(session, actor, "device.added", office_id, device=device.id, kind=kind, name=device.name)
    return device, token, code


def revoke(session: Session, actor: Principal | str, office_id: str | None, device_id: int,
           _: Gettext = untranslated) -> Device:
    """Revoke a device of the office (None: any office, for the command line); it stops working at once."""
    device = session.get(Device, device_id)
    if device is None or (office_id is not None and device.office_id != office_id):
        raise NotFound("unknown_device", _("No device with id %(id)s here.", id=device_id))
    auth.revoke_device(session, device.id)
    auth.audit(session, actor, "device.revoked", device.office_id, device=device.id, name=device.name)
    return device


def state(device: Device, office: OfficeConfig, now: datetime) -> str:
    """"active", "offline", "not enrolled", "expired" (its code ran out unused) or "revoked"."""
    if device.revoked_at is not None:
        return "revoked"
    if device.enrolment_code_hash is not None:
        return "expired" if auth.enrolment_expires(device) <= now else "not enrolled"
    return "offline" if is_offline(device, office, now) else "active"


def is_offline(device: Device, office: OfficeConfig, now: datetime) -> bool:
    quiet = timedelta(minutes=office.devices.offline_after_minutes)
    return (device.revoked_at is None and device.enrolment_code_hash is None and device.last_seen_at is not None
            and now - device.last_seen_at > quiet and office.is_open(now))


def info(device: Device, office: OfficeConfig, now: datetime) -> DeviceInfo:
    return DeviceInfo(id=device.id, kind=device.kind, name=device.name, state=state(device, office, now),
                      last_seen_at=device.last_seen_at)


def office_devices(session: Session, office: OfficeConfig, now: datetime | None = None) -> list[DeviceInfo]:
    """The office's devices, revoked ones last."""
    now = now or utcnow()
    found = [info(d, office, now) for d in auth.office_devices(session, office.id)]
    return sorted(found, key=lambda d: (d.state == "revoked", d.id))


def seen(session: Session, device: Device, office: OfficeConfig | None, now: datetime, resolution: timedelta) -> None:
    """A device checked in: record it (at most once per ``resolution``, to spare the database). When it was
    offline (reported so, or silent too long during opening hours), publish ``device.online``: the live view counts
    it no longer, and a later silence is reported again."""
    if device.last_seen_at is not None and now - device.last_seen_at <= resolution:
        return
    was_offline = device.offline_reported_at is not None or (office is not None and is_offline(device, office, now))
    if was_offline and device.last_seen_at is not None:
        publish(session, device.office_id, DeviceOnline(
            device_id=device.id, name=device.name, kind=device.kind,
            offline_minutes=int((now - device.last_seen_at).total_seconds() // 60)))
    device.last_seen_at = now
    device.offline_reported_at = None


def offline_figure(session: Session, office: OfficeConfig, language: str, now: datetime) -> LiveFigure:
    """How many of the office's devices are offline now, for the manager's live view (core answers
    ``mbk_live_figures`` with it); ``since``: the last check-in of the one silent longest."""
    quiet = [d.last_seen_at for d in auth.office_devices(session, office.id)
             if d.last_seen_at is not None and is_offline(d, office, now)]
    _ = texts.gettext(language)
    return LiveFigure(id="devices-offline", label=_("Devices offline"), value=len(quiet),
                      since=min(quiet) if quiet else None, order=20)


def report_offline(session: Session, deployment: Deployment, now: datetime | None = None) -> list[int]:
    """Publish ``device.offline`` once for each device that has gone quiet during opening hours (again only after
    it has been seen since). Safe to run in every process: each report is claimed by one conditional update."""
    now = now or utcnow()
    reported: list[int] = []
    for office in deployment.offices.values():
        if not office.is_open(now):
            continue
        quiet_since = now - timedelta(minutes=office.devices.offline_after_minutes)
        candidates = session.scalars(select(Device).where(
            Device.office_id == office.id, Device.revoked_at.is_(None), Device.enrolment_code_hash.is_(None),
            Device.last_seen_at.is_not(None), Device.last_seen_at < quiet_since,
            Device.offline_reported_at.is_(None))).all()
        for device in candidates:
            claimed = session.execute(update(Device).where(Device.id == device.id,
                                                           Device.offline_reported_at.is_(None))
                                      .values(offline_reported_at=now)).rowcount
            if claimed:
                minutes = int((now - device.last_seen_at).total_seconds() // 60)
                publish(session, office.id, DeviceOffline(device_id=device.id, name=device.name, kind=device.kind,
                                                          last_seen_at=device.last_seen_at, minutes=minutes))
                reported.append(device.id)
    return reported

