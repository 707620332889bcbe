"""Enrolled devices (kiosks, display boards, survey tablets) and how an office manages them: their table, tokens and
signed cookies, enrolling with a QR code or a short code that expire, the list with each device's state and last
check-in, revoking, and noticing a device gone quiet during opening hours (``device.offline``, so that a notify rule
can tell IT, and ``device.online`` when it checks in again), and the figure for the manager's live view.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import ClassVar

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import auth, device_cache
from core.auth import Principal
from core.config import Deployment, OfficeConfig
from core.contract import DeviceInfo, LiveFigure
from core.db import Base, OfficeScoped, UTCDateTime, utcnow
from core.events import DomainEvent, publish
from core.i18n import N_, Translator
from core.people import Gettext, untranslated
from core.problems import Invalid, NotFound

DEVICE_KINDS = ("kiosk", "display", "tablet")
# What each kind is called on pages (translated where shown).
KIND_LABELS = {"kiosk": N_("Kiosk"), "display": N_("Display board"), "tablet": N_("Survey tablet")}
STATE_LABELS = {"active": N_("Online"), "offline": N_("Offline"), "not enrolled": N_("Waiting for enrolment"),
                "expired": N_("Enrolment expired"), "revoked": N_("Revoked")}
ENROLMENT_CODE_LIFETIME = timedelta(minutes=30)  # from the admin page: someone is standing at the device
CODE_LENGTH = 8  # 40 bits: plenty for half an hour
ENROLMENT_LINK_LIFETIME = timedelta(days=7)
DEVICE_TOKEN_PREFIX = "mbkd_"
# Enrolment codes are typed on touch screens: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class Device(OfficeScoped, Base):
    __tablename__ = "core_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The one-time enrolment link's code (hashed); cleared when the link is used.
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    enrolment_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When device.offline was published for its current absence; cleared when it is seen again.
    offline_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


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
    if kind not in DEVICE_KINDS:
        raise Invalid("unknown_kind", _("Unknown kind of device '%(kind)s' (kinds: %(kinds)s).", kind=kind,
                                        kinds=", ".join(DEVICE_KINDS)), field="kind")
    if not name.strip():
        raise Invalid("name_missing", _("A device needs a name."), field="name")
    device, token = enrol_device(session, office_id, kind, name[:200])
    code = new_enrolment_code(device, lifetime, code_length, now)
    auth.audit(session, actor, "device.added", office_id, device=device.id, kind=kind, name=device.name)
    return device, token, code


def revoke(session: Session, actor: Principal | str, office_id: str | None, device_id: int,
           _: Gettext = untranslated) -> Device:
    """Revoke a device of the office (None: any office, for the command line); it stops working at once."""
    device = session.get(Device, device_id)
    if device is None or (office_id is not None and device.office_id != office_id):
        raise NotFound("unknown_device", _("No device with id %(id)s here.", id=device_id))
    revoke_device(session, device.id)
    auth.audit(session, actor, "device.revoked", device.office_id, device=device.id, name=device.name)
    return device


def enrol_device(session: Session, office_id: str, kind: str, name: str) -> tuple[Device, str]:
    """Create a device and return it with its token, visible only now (only a hash is stored)."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"unknown device kind {kind!r} (kinds: {', '.join(DEVICE_KINDS)})")
    if not name.strip():
        raise ValueError("a device needs a name")
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device(office_id=office_id, kind=kind, name=name.strip(), token_hash=auth.hash_secret(token))
    session.add(device)
    session.flush()
    return device, token


def normalized_code(code: str) -> str:
    """Enrolment codes are typed by people: case, spaces and dashes do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def new_enrolment_code(device: Device, lifetime: timedelta = ENROLMENT_LINK_LIFETIME, length: int = 16,
                       now: datetime | None = None) -> str:
    """A one-time code for the device's enrolment link, valid ``lifetime`` (replacing any earlier, unused one);
    only a hash is kept. Grouped by four for reading aloud and typing: ``K7QF-3MZP``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    code = "-".join(raw[i:i + 4] for i in range(0, length, 4))
    device.enrolment_code_hash = auth.hash_secret(normalized_code(code))
    device.enrolment_expires_at = (now or utcnow()) + lifetime
    return code


def enrolment_expires(device: Device) -> datetime:
    return device.enrolment_expires_at or device.created_at + ENROLMENT_LINK_LIFETIME


def use_enrolment_code(session: Session, office_id: str | None, code: str, now: datetime | None = None) -> Device:
    """Consume an enrolment code (of the office, or of any office when None): it works once, within its lifetime,
    for an active device."""
    stmt = select(Device).where(Device.enrolment_code_hash == auth.hash_secret(normalized_code(code)))
    if office_id is not None:
        stmt = stmt.where(Device.office_id == office_id)
    device = session.scalar(stmt)
    if device is None or device.revoked_at is not None:
        raise auth.AuthError("This enrolment link is unknown, already used or revoked.")
    if enrolment_expires(device) < (now or utcnow()):
        raise auth.AuthError("This enrolment link has expired; enrol the device again.")
    device.enrolment_code_hash = None
    device.enrolment_expires_at = None
    device.last_seen_at = now or utcnow()
    return device


def device_from_token(session: Session, token: str) -> Device:
    if not token.startswith(DEVICE_TOKEN_PREFIX):
        raise auth.AuthError("invalid device token")
    device = session.scalar(select(Device).where(Device.token_hash == auth.hash_secret(token)))
    if device is None or device.revoked_at is not None:
        raise auth.AuthError("unknown or revoked device")
    return device


def _device_cookie_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="mbk-device-cookie")


def device_cookie_value(secret: str, device: Device) -> str:
    """What an enrolled browser keeps: the signed device id (the database decides whether it is revoked)."""
    return _device_cookie_serializer(secret).dumps({"device": device.id})


def device_from_cookie(session: Session, secret: str, value: str) -> Device:
    try:
        data = _device_cookie_serializer(secret).loads(value)
    except BadSignature:
        raise auth.AuthError("invalid device cookie") from None
    device = session.get(Device, data.get("device"))
    if device is None or device.revoked_at is not None:
        raise auth.AuthError("unknown or revoked device")
    return device


def principal_for_device(device: Device) -> Principal:
    return Principal(kind="device", name=device.name, device_id=device.id, device_office=device.office_id,
                     device_kind=device.kind)


def revoke_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise ValueError(f"no device with id {device_id}")
    device.revoked_at = device.revoked_at or utcnow()
    device.enrolment_code_hash = None
    device_cache.forget(session, device.id)
    return device


def _office_rows(session: Session, office_id: str) -> list[Device]:
    return list(session.scalars(select(Device).where(Device.office_id == office_id).order_by(Device.id)))


def state(device: Device, office: OfficeConfig, now: datetime) -> str:
    """"active", "offline", "not enrolled", "expired" (its code ran out unused) or "revoked"."""
    if device.revoked_at is not None:
        return "revoked"
    if device.enrolment_code_hash is not None:
        return "expired" if enrolment_expires(device) <= now else "not enrolled"
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
    found = [info(d, office, now) for d in _office_rows(session, office.id)]
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
    quiet = [d.last_seen_at for d in _office_rows(session, office.id)
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

