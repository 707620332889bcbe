"""Staff users with per-office roles, their browser sessions and API tokens, login throttling, and the audit log.

No HTTP here: the web layer (core/web/security.py) turns requests into a :class:`Principal` and asks
the questions below. Enrolled devices (their table, tokens and cookies) are core.devices'.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, object_session, relationship

from core import device_cache
from core.db import Base, Database, OfficeScoped, UTCDateTime, lock_key, utcnow
from core.i18n import N_

ROLES = ("admin", "guide", "officer", "viewer")
TOKEN_LIFETIME = timedelta(hours=12)
SESSION_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
# Failures allowed before waits start. An address is shared by every guide behind an office's NAT: more room.
THROTTLE_FREE_FAILURES_PER_USER = 5
THROTTLE_FREE_FAILURES_PER_ADDRESS = 20
THROTTLE_FIRST_WAIT_SECONDS = 15
THROTTLE_MAX_WAIT_SECONDS = 300

_hasher = PasswordHasher()
log = logging.getLogger(__name__)


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
    # Empty: no password here (a new account before its password link is used, or one that signs in with SSO).
    password_hash: Mapped[str] = mapped_column(String(255))
    # The identity provider's subject ("sub") of an account made by single sign-on; None for local accounts.
    sso_subject: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
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


@event.listens_for(StaffUser, "after_update")
@event.listens_for(StaffUser, "after_delete")
@event.listens_for(StaffRole, "after_insert")
@event.listens_for(StaffRole, "after_update")
@event.listens_for(StaffRole, "after_delete")
def _staff_changed(_mapper: Any, _connection: Any, target: StaffUser | StaffRole) -> None:
    """Disabling, a new password, roles given or taken: staff tokens this process remembers are checked again."""
    session = object_session(target)
    if session is not None:
        device_cache.forget_tokens(session)


class AuditEntry(Base):
    __tablename__ = "core_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    office_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StaffSession(Base):
    """A browser login. The cookie holds a random id whose hash is stored here, so logout really ends it."""

    __tablename__ = "core_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A single sign-on login: the provider's ID token, the hint its logout endpoint asks for (kept server-side:
    # it names the person).
    id_token: Mapped[str | None] = mapped_column(Text, nullable=True)


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


# A staff request's user with its roles in one query (the relationship alone loads them with a second).
WITH_ROLES = [joinedload(StaffUser.roles)]


def principal_for_user(user: StaffUser) -> Principal:
    roles: dict[str, set[str]] = {}
    for r in user.roles:
        roles.setdefault(r.office_id, set()).add(r.role)
    return Principal(kind="user", name=user.username, user_id=user.id, platform_admin=user.is_platform_admin,
                     roles={k: frozenset(v) for k, v in roles.items()})


# --- Users ------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def create_user(session: Session, username: str, password: str, *, office_id: str | None = None,
                role: str | None = None, platform_admin: bool = False, display_name: str = "") -> StaffUser:
    _check_password_rules(password)
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = StaffUser(username=username, password_hash=hash_password(password), is_platform_admin=platform_admin,
                     display_name=display_name)
    session.add(user)
    if role is not None:
        grant_role(user, office_id, role)
    session.flush()
    return user


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """A new password; the user's browser sessions and tokens end (whoever knew the old one is logged out)."""
    _check_password_rules(password)
    user.password_hash = hash_password(password)
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def grant_role(user: StaffUser, office_id: str | None, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if not office_id:
        raise ValueError("a role needs an office")
    if not any(r.office_id == office_id and r.role == role for r in user.roles):
        user.roles.append(StaffRole(office_id=office_id, role=role))


def office_staff(session: Session, office_id: str) -> list[tuple[StaffUser, list[str]]]:
    """Users holding a role at the office, with those roles (platform admins are listed by ``mbk user list``)."""
    users = session.scalars(select(StaffUser).join(StaffRole).where(StaffRole.office_id == office_id)
                            .distinct().order_by(StaffUser.username))
    return [(u, sorted(r.role for r in u.roles if r.office_id == office_id)) for u in users]


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def _throttle_limits(username: str, address: str) -> dict[str, int]:
    """Throttle keys of one attempt with the failures each may have for free."""
    limits = {f"user:{username.strip().lower()[:150]}": THROTTLE_FREE_FAILURES_PER_USER}
    if address:
        limits[f"addr:{address[:100]}"] = THROTTLE_FREE_FAILURES_PER_ADDRESS
    return limits


def _throttle_wait(session: Session, limits: dict[str, int], now: datetime) -> int:
    """Seconds to wait before the next attempt: doubling with every failure past the free ones."""
    worst = 0
    for key, free in limits.items():
        failures, last = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.key == key,
                                                                   LoginFailure.at > now - THROTTLE_WINDOW)).one()
        if failures >= free and last is not None:
            wait = min(THROTTLE_MAX_WAIT_SECONDS, THROTTLE_FIRST_WAIT_SECONDS * 2 ** (failures - free))
            remaining = (last + timedelta(seconds=wait) - now).total_seconds()
            if remaining > 0:
                worst = max(worst, int(remaining) + 1)
    return worst


def _claim_attempt(session: Session, limits: dict[str, int], now: datetime) -> int:
    """Check the throttle and, if the attempt may go ahead, record it as a failure in the same transaction
    (a success removes it again). Returns the wait, 0 when the attempt was claimed.

    Reading the count and writing the failure in separate transactions let parallel attempts all read the same
    count and all be checked; here attempts on one key take turns (PostgreSQL: a transaction-scoped lock per
    key; SQLite: every transaction is BEGIN IMMEDIATE, one writer at a time)."""
    for key in sorted(limits):
        lock_key(session, key)
    wait = _throttle_wait(session, limits, now)
    if not wait:
        _delete_old_failures(session, now)
        session.add_all([LoginFailure(key=key, at=now) for key in limits])
    return wait


def _verify(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        _hasher.hash(password)  # spend the time of a real check, so unknown usernames cannot be told apart
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(database: Database, username: str, password: str, address: str = "",
                 now: datetime | None = None) -> StaffUser:
    """Check a username and password; repeated failures per username and per address are slowed down.

    Runs its own short transactions: a failure must be recorded although the caller's request fails, and the
    slow hash check must not hold SQLite's write lock. Raises Throttled or AuthError; returns a detached user.
    """
    now = now or utcnow()
    limits = _throttle_limits(username, address)
    with database.session() as session:
        wait = _claim_attempt(session, limits, now)
        user = find_user(session, username) if not wait else None
        stored_hash = user.password_hash if user is not None and not user.disabled and user.password_hash else None
    if wait:
        log.warning("login refused: too many failures for this username or address (wait %s s)", wait)
        raise Throttled(wait)
    if not _verify(stored_hash, password) or user is None:
        raise AuthError("wrong username or password")  # the failure was recorded when the attempt was claimed
    with database.session() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.key.in_(list(limits))))
        if _hasher.check_needs_rehash(user.password_hash):
            # New hashing parameters: store the rehash, and hand it back (tokens are stamped from it)
            user.password_hash = hash_password(password)
            session.get(StaffUser, user.id).password_hash = user.password_hash
    return user


# --- Browser sessions -------------------------------------------------------------------------------


def hash_secret(value: str) -> str:
    # For 256-bit random values a fast hash is enough (argon2 is for human passwords).
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(session: Session, user: StaffUser, now: datetime | None = None, id_token: str | None = None
                  ) -> str:
    """A new browser session for ``user``; returns the id for the (signed) cookie. Expired ones are dropped.
    ``id_token``: a single sign-on login's, for logging out at the provider too."""
    now = now or utcnow()
    _delete_expired_sessions(session, now)
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=hash_secret(token), user_id=user.id, created_at=now,
                             expires_at=now + SESSION_LIFETIME, id_token=id_token))
    return token


def user_from_session(session: Session, token: str, now: datetime | None = None) -> StaffUser | None:
    """The user of a live session, or None (logged out, expired, or user disabled)."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == hash_secret(token)))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    user = session.get(StaffUser, row.user_id, options=WITH_ROLES)
    return user if user is not None and not user.disabled else None


def end_session(session: Session, token: str) -> str | None:
    """End a browser session; returns its single sign-on ID token, if it has one."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == hash_secret(token)))
    if row is None:
        return None
    session.delete(row)
    return row.id_token


def purge_stale(session: Session, now: datetime | None = None) -> int:
    """Delete expired sessions and login failures past the throttle window (they hold addresses)."""
    now = now or utcnow()
    return _delete_expired_sessions(session, now) + _delete_old_failures(session, now)


def _delete_expired_sessions(session: Session, now: datetime) -> int:
    return session.execute(delete(StaffSession).where(StaffSession.expires_at <= now)).rowcount


def _delete_old_failures(session: Session, now: datetime) -> int:
    # Failures hold client addresses (personal data): none is kept longer than the throttle window needs it.
    return session.execute(delete(LoginFailure).where(LoginFailure.at <= now - THROTTLE_WINDOW)).rowcount


# --- Bearer tokens ----------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="mbk-access-token")


def _password_stamp(user: StaffUser) -> str:
    # Tokens carry a stamp of the password hash: a new password ends every token issued before it.
    return hash_secret(user.password_hash)[:16]


def issue_token(secret: str, user: StaffUser) -> str:
    return _serializer(secret).dumps({"uid": user.id, "pw": _password_stamp(user)})


def user_from_token(session: Session, secret: str, token: str) -> tuple[StaffUser, datetime]:
    """The user of a valid token, and when the token expires."""
    try:
        data, issued_at = _serializer(secret).loads(token, max_age=int(TOKEN_LIFETIME.total_seconds()),
                                                    return_timestamp=True)
    except SignatureExpired:
        raise AuthError("token expired") from None
    except BadSignature:
        raise AuthError("invalid token") from None
    user = session.get(StaffUser, data.get("uid"), options=WITH_ROLES)
    if user is None or user.disabled or not hmac.compare_digest(data.get("pw", ""), _password_stamp(user)):
        raise AuthError("invalid token")
    return user, issued_at + TOKEN_LIFETIME


# --- Audit ------------------------------------------------------------------------------------------


# What core's audited actions are called on the admin page (translated where shown); a plugin's are shown as they are.
AUDIT_LABELS = {
    "login": N_("Logged in"), "login.sso": N_("Logged in with single sign-on"),
    "login.break_glass": N_("Logged in with a password while passwords are off (break glass)"),
    "login.token": N_("Took an API token"), "logout": N_("Logged out"),
    "user.created": N_("Account created"), "user.role_added": N_("Roles added"),
    "user.roles_changed": N_("Roles changed"), "user.disabled": N_("Account disabled"),
    "user.enabled": N_("Account enabled"), "user.password_set": N_("Password set"),
    "user.password_link": N_("Password link made"), "user.platform_admin": N_("Platform admin changed"),
    "device.added": N_("Device added"), "device.enrolled": N_("Device enrolled"),
    "device.revoked": N_("Device revoked"), "event.retry": N_("Event delivery retried"),
    "demo.access": N_("Demo access made"),
}


# An audit entry is written with a Core INSERT at once, not added to the session: the unit of work's flush of the one
# object cost several times the statement, on every call-next (py-spy --gil at 8 guides: 6 % of the server's samples).
# Inline: nothing reads the new row's id back, so PostgreSQL is not asked to return it.
_WRITE_AUDIT = insert(AuditEntry.__table__).inline()


def audit(session: Session, actor: Principal | str, action: str, office_id: str | None = None,
          **detail: Any) -> None:
    """Record a staff or admin action. Never pass personal data of visitors or secrets in ``detail``."""
    name = actor.audit_name if isinstance(actor, Principal) else actor
    session.execute(_WRITE_AUDIT, {"at": utcnow(), "actor": name, "action": action, "office_id": office_id,
                                   "detail": detail})


def audit_entries(session: Session, office_id: str, limit: int = 200) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.office_id == office_id)
                                .order_by(AuditEntry.id.desc()).limit(limit)))
