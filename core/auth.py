"""Staff users with per-office roles, enrolled devices, tokens, login throttling and the audit log.

No HTTP here: the web layer (core/web/security.py) turns requests into a :class:`Principal` and asks
the questions below.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import Base, OfficeScoped, UTCDateTime, utcnow

ROLES = ("admin", "guide", "officer", "viewer")
DEVICE_KINDS = ("kiosk", "display", "tablet")
TOKEN_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FREE_FAILURES = 5
THROTTLE_MAX_WAIT_SECONDS = 300

_hasher = PasswordHasher()


class AuthError(Exception):
    """A login or token that is not accepted; the message is safe to show."""


class Throttled(AuthError):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


class StaffUser(Base):
    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    roles: Mapped[list[StaffRole]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                  lazy="selectin")


class StaffRole(OfficeScoped, Base):
    __tablename__ = "core_user_role"
    __table_args__ = (UniqueConstraint("user_id", "office_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    user: Mapped[StaffUser] = relationship(back_populates="roles")


class Device(OfficeScoped, Base):
    __tablename__ = "core_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEntry(Base):
    __tablename__ = "core_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    office_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginFailure(Base):
    __tablename__ = "core_login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # "user:<name>" or "addr:<ip>"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a staff user (with roles per office) or an enrolled device (one office, one kind)."""

    kind: str  # "user" | "device"
    name: str
    user_id: int | None = None
    platform_admin: bool = False
    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    device_id: int | None = None
    device_office: str | None = None
    device_kind: str | None = None

    def has_role(self, office_id: str, *roles: str) -> bool:
        if self.kind != "user":
            return False
        if self.platform_admin:
            return True
        held = self.roles.get(office_id, frozenset())
        return bool(held & set(roles)) if roles else bool(held)

    def is_device(self, office_id: str, *kinds: str) -> bool:
        return self.kind == "device" and self.device_office == office_id and (
            not kinds or self.device_kind in kinds)

    @property
    def audit_name(self) -> str:
        return f"{self.kind}:{self.name}"


def principal_for_user(user: StaffUser) -> Principal:
    roles: dict[str, set[str]] = {}
    for r in user.roles:
        roles.setdefault(r.office_id, set()).add(r.role)
    return Principal(kind="user", name=user.username, user_id=user.id, platform_admin=user.is_platform_admin,
                     roles={k: frozenset(v) for k, v in roles.items()})


# --- Users ------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, *, office_id: str | None = None,
                role: str | None = None, platform_admin: bool = False, display_name: str = "") -> StaffUser:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = StaffUser(username=username, password_hash=hash_password(password), is_platform_admin=platform_admin,
                     display_name=display_name)
    session.add(user)
    if role is not None:
        grant_role(session, user, office_id, role)
    session.flush()
    return user


def grant_role(session: Session, user: StaffUser, office_id: str | None, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if not office_id:
        raise ValueError("a role needs an office")
    if not any(r.office_id == office_id and r.role == role for r in user.roles):
        user.roles.append(StaffRole(office_id=office_id, role=role))


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def _throttle_wait(session: Session, keys: list[str], now: datetime) -> int:
    worst = 0
    for key in keys:
        failures = session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.key == key, LoginFailure.at > now - THROTTLE_WINDOW)) or 0
        if failures >= THROTTLE_FREE_FAILURES:
            last = session.scalar(select(func.max(LoginFailure.at)).where(LoginFailure.key == key))
            wait = min(THROTTLE_MAX_WAIT_SECONDS, 2 ** (failures - THROTTLE_FREE_FAILURES + 1))
            remaining = int((last + timedelta(seconds=wait) - now).total_seconds()) + 1 if last else 0
            worst = max(worst, remaining)
    return worst


def authenticate(session: Session, username: str, password: str, address: str = "",
                 now: datetime | None = None) -> StaffUser:
    """Check a username and password; repeated failures per username and per address are slowed down."""
    now = now or utcnow()
    keys = [f"user:{username.lower()}"] + ([f"addr:{address}"] if address else [])
    wait = _throttle_wait(session, keys, now)
    if wait > 0:
        raise Throttled(wait)
    user = find_user(session, username)
    ok = False
    if user is not None and not user.disabled:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # spend the same time as a real check, so usernames cannot be probed
    if not ok:
        for key in keys:
            session.add(LoginFailure(key=key, at=now))
        raise AuthError("wrong username or password")
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# --- Bearer tokens ----------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="mbk-access-token")


def issue_token(secret: str, user: StaffUser) -> str:
    return _serializer(secret).dumps({"uid": user.id})


def user_from_token(session: Session, secret: str, token: str) -> StaffUser:
    try:
        data = _serializer(secret).loads(token, max_age=int(TOKEN_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise AuthError("token expired") from None
    except BadSignature:
        raise AuthError("invalid token") from None
    user = session.get(StaffUser, data.get("uid"))
    if user is None or user.disabled:
        raise AuthError("invalid token")
    return user


# --- Devices ----------------------------------------------------------------------------------------

DEVICE_TOKEN_PREFIX = "mbkd_"


def _hash_device_token(token: str) -> str:
    # Device tokens are 256-bit random values: a fast hash is enough (argon2 is for human passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def enrol_device(session: Session, office_id: str, kind: str, name: str) -> tuple[Device, str]:
    """Create a device and return it with its one-time-visible token (only the hash is stored)."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"unknown device kind {kind!r} (kinds: {', '.join(DEVICE_KINDS)})")
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device(office_id=office_id, kind=kind, name=name, token_hash=_hash_device_token(token))
    session.add(device)
    session.flush()
    return device, token


def device_from_token(session: Session, token: str) -> Device:
    if not token.startswith(DEVICE_TOKEN_PREFIX):
        raise AuthError("invalid device token")
    digest = _hash_device_token(token)
    device = session.scalar(select(Device).where(Device.token_hash == digest))
    if device is None or not hmac.compare_digest(device.token_hash, digest) or device.revoked_at is not None:
        raise AuthError("unknown or revoked device")
    return device


def principal_for_device(device: Device) -> Principal:
    return Principal(kind="device", name=device.name, device_id=device.id, device_office=device.office_id,
                     device_kind=device.kind)


def revoke_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise ValueError(f"no device with id {device_id}")
    device.revoked_at = device.revoked_at or utcnow()
    return device


# --- Audit ------------------------------------------------------------------------------------------


def audit(session: Session, actor: Principal | str, action: str, office_id: str | None = None,
          **detail: Any) -> None:
    """Record a staff or admin action. Never pass personal data of visitors or secrets in ``detail``."""
    name = actor.audit_name if isinstance(actor, Principal) else actor
    session.add(AuditEntry(actor=name, action=action, office_id=office_id, detail=detail))


def audit_entries(session: Session, office_id: str, limit: int = 200) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.office_id == office_id)
                                .order_by(AuditEntry.id.desc()).limit(limit)))
