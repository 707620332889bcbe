"""Staff accounts as people manage them: the one set of rules behind ``mbk user`` and the people pages and API.

Who may do what: the command line (an operating-system account on the server) and platform admins may change
any account. An office admin changes roles at their own office only, and changes an account itself (disable,
enable, a password link) only when every office the account works at is one they administer: an admin of one
office cannot lock a colleague out of another. Nobody disables themselves or takes away their own admin role.
Accounts that sign in through single sign-on get their roles from the identity provider's groups and have no
password here. Every change is written to the audit log of each office it touches.

Messages are for the person who asked: pass their ``_`` (core.i18n.Translator.gettext) to get them translated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import auth
from core.auth import Principal, StaffUser
from core.db import Base, UTCDateTime, utcnow
from core.i18n import N_
from core.problems import Conflict, Forbidden, Invalid, NotFound

Gettext = Callable[..., str]
Actor = Principal | str  # a string: the command line ("cli:<account>"), which may change every account

# What each role is called on pages (translated where shown); the roles themselves are core.auth.ROLES.
ROLE_LABELS = {"admin": N_("Office admin"), "guide": N_("Guide"), "officer": N_("Case officer"),
               "viewer": N_("Viewer")}
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}")
PASSWORD_LINK_LIFETIME = timedelta(hours=48)


def untranslated(message: str, **values: object) -> str:
    return message % values if values else message


class PasswordLink(Base):
    """A one-time link to set a password (a new account's first, or a reset). Only a hash of its code is kept."""

    __tablename__ = "core_password_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Person:
    """A staff member as an office sees them: their roles there, and what the account is."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    disabled: bool
    single_sign_on: bool
    has_password: bool

    def as_json(self) -> dict[str, object]:
        return {"username": self.username, "display_name": self.display_name, "roles": list(self.roles),
                "disabled": self.disabled, "single_sign_on": self.single_sign_on, "has_password": self.has_password}


def person(user: StaffUser, office_id: str) -> Person:
    roles = tuple(sorted(r.role for r in user.roles if r.office_id == office_id))
    return Person(user.username, user.display_name, roles, user.disabled, user.sso_subject is not None,
                  bool(user.password_hash))


def office_people(session: Session, office_id: str) -> list[Person]:
    """Everyone holding a role at the office, by username."""
    return [person(user, office_id) for user, _roles in auth.office_staff(session, office_id)]


def _is_cli(actor: Actor) -> bool:
    return isinstance(actor, str)


def _offices_of(user: StaffUser) -> list[str]:
    return sorted({r.office_id for r in user.roles})


def _audit(session: Session, actor: Actor, action: str, offices: Iterable[str | None], **detail: object) -> None:
    for office_id in offices:
        auth.audit(session, actor, action, office_id, **detail)


def _check_roles(roles: Iterable[str], _: Gettext) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in auth.ROLES]
    if unknown:
        raise Invalid("unknown_role", _("Unknown role '%(role)s' (roles: %(roles)s).", role=unknown[0],
                                        roles=", ".join(auth.ROLES)), field="roles")
    return chosen


def check_password(password: str, _: Gettext = untranslated) -> None:
    if len(password) < auth.MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", _("A password needs at least %(count)s characters.",
                                              count=auth.MIN_PASSWORD_LENGTH), field="password")


def member(session: Session, office_id: str | None, username: str, _: Gettext = untranslated) -> StaffUser:
    """The account, which must work at ``office_id`` (None: anywhere, for the command line)."""
    user = auth.find_user(session, username)
    if user is None:
        raise NotFound("unknown_user", _("No user '%(username)s'.", username=username))
    if office_id is not None and office_id not in _offices_of(user):
        raise NotFound("unknown_user", _("No user '%(username)s' at this office.", username=username))
    return user


def _check_account_authority(actor: Actor, user: StaffUser, _: Gettext) -> None:
    """Changes to the account itself reach every office it works at: the actor must administer all of them."""
    if _is_cli(actor) or actor.platform_admin:  # type: ignore[union-attr]
        return
    assert isinstance(actor, Principal)
    if user.is_platform_admin or not all(actor.has_role(o, "admin") for o in _offices_of(user)):
        raise Forbidden("other_offices", _("%(username)s also works at offices you do not administer: ask a "
                                           "platform admin.", username=user.username))


def _check_local_account(user: StaffUser, _: Gettext) -> None:
    if user.sso_subject is not None:
        raise Conflict("single_sign_on", _("%(username)s signs in with single sign-on: their password and roles "
                                           "are managed by the identity provider.", username=user.username))


def add_person(session: Session, actor: Actor, username: str, *, office_id: str | None, roles: Iterable[str] = (),
               platform_admin: bool = False, display_name: str = "", password: str | None = None,
               _: Gettext = untranslated) -> tuple[StaffUser, bool]:
    """Create an account with ``roles`` at ``office_id``, or give an existing one those roles there.

    Returns (account, created). A new account without ``password`` cannot log in until a password link is used.
    """
    username = username.strip()
    chosen = _check_roles(roles, _)
    if chosen and not office_id:
        raise Invalid("office_missing", _("A role needs an office."), field="office")
    if platform_admin and not (_is_cli(actor) or actor.platform_admin):  # type: ignore[union-attr]
        raise Forbidden("forbidden", _("Only a platform admin may make a platform admin."))
    existing = auth.find_user(session, username)
    if existing is not None:
        if not chosen:
            raise Conflict("user_exists", _("User '%(username)s' already exists.", username=username))
        _check_local_account(existing, _)
        for role in chosen:
            auth.grant_role(existing, office_id, role)
        _audit(session, actor, "user.role_added", [office_id], username=username, roles=chosen)
        return existing, False
    if not USERNAME.fullmatch(username):
        raise Invalid("bad_username", _("A username is 1 to 150 letters, digits and . _ @ + - (starting with a "
                                        "letter or digit)."), field="username")
    if not chosen and not platform_admin:
        raise Invalid("roles_missing", _("Choose at least one role."), field="roles")
    if password is not None:
        check_password(password, _)
    user = StaffUser(username=username, display_name=display_name.strip()[:200], is_platform_admin=platform_admin,
                     password_hash=auth.hash_password(password) if password is not None else "")
    session.add(user)
    for role in chosen:
        auth.grant_role(user, office_id, role)
    session.flush()
    _audit(session, actor, "user.created", [office_id], username=username, roles=chosen,
           platform_admin=platform_admin)
    return user, True


def set_roles(session: Session, actor: Actor, office_id: str, username: str, roles: Iterable[str],
              _: Gettext = untranslated) -> StaffUser:
    """Replace the account's roles at one office (its roles elsewhere stay)."""
    chosen = _check_roles(roles, _)
    user = member(session, office_id, username, _)
    _check_local_account(user, _)
    before = sorted(r.role for r in user.roles if r.office_id == office_id)
    if (isinstance(actor, Principal) and actor.user_id == user.id and not actor.platform_admin
            and "admin" in before and "admin" not in chosen):
        raise Conflict("own_admin_role", _("You cannot take away your own admin role; ask another admin."))
    sync_roles(user, office_id, chosen)
    if before != chosen:
        _audit(session, actor, "user.roles_changed", [office_id], username=username, before=before, after=chosen)
    return user


def sync_roles(user: StaffUser, office_id: str, roles: Iterable[str]) -> None:
    """Make the account's roles at ``office_id`` exactly ``roles``."""
    wanted = set(roles)
    user.roles = [r for r in user.roles if r.office_id != office_id or r.role in wanted]
    for role in sorted(wanted):
        auth.grant_role(user, office_id, role)


def set_disabled(session: Session, actor: Actor, office_id: str | None, username: str, disabled: bool,
                 _: Gettext = untranslated) -> StaffUser:
    """Disable (every session and token stops at once) or enable an account."""
    user = member(session, office_id, username, _)
    _check_account_authority(actor, user, _)
    if disabled and isinstance(actor, Principal) and actor.user_id == user.id:
        raise Conflict("own_account", _("You cannot disable your own account."))
    if user.disabled != disabled:
        user.disabled = disabled
        _audit(session, actor, "user.disabled" if disabled else "user.enabled", _offices_of(user) or [None],
               username=username)
    return user


def set_password(session: Session, actor: Actor, username: str, password: str, _: Gettext = untranslated) -> None:
    """A new password (the command line); the account's browser sessions and tokens end."""
    user = member(session, None, username, _)
    check_password(password, _)
    auth.set_password(session, user, password)
    _audit(session, actor, "user.password_set", _offices_of(user) or [None], username=username)


def new_password_link(session: Session, actor: Actor, office_id: str | None, username: str,
                      _: Gettext = untranslated, now: datetime | None = None) -> str:
    """A one-time code for the account's password link, valid ``PASSWORD_LINK_LIFETIME``; earlier ones stop
    working. The current password keeps working until the link is used."""
    user = member(session, office_id, username, _)
    _check_account_authority(actor, user, _)
    _check_local_account(user, _)
    session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
    code = secrets.token_urlsafe(24)
    session.add(PasswordLink(user_id=user.id, code_hash=auth.hash_secret(code),
                             expires_at=(now or utcnow()) + PASSWORD_LINK_LIFETIME))
    _audit(session, actor, "user.password_link", _offices_of(user) or [None], username=username)
    return code


def password_link_user(session: Session, code: str, now: datetime | None = None,
                       _: Gettext = untranslated) -> StaffUser:
    """The account a password link is for, while the link is unused and unexpired."""
    link = session.scalar(select(PasswordLink).where(PasswordLink.code_hash == auth.hash_secret(code)))
    user = session.get(StaffUser, link.user_id) if link is not None else None
    if link is None or user is None or user.disabled:
        raise NotFound("unknown_link", _("This link is unknown or was already used; ask an admin for a new one."))
    if link.expires_at <= (now or utcnow()):
        raise Conflict("link_expired", _("This link has expired; ask an admin for a new one."))
    return user


def use_password_link(session: Session, code: str, password: str, now: datetime | None = None,
                      _: Gettext = untranslated) -> StaffUser:
    """Set the password through the link, which then stops working; every earlier session of the account ends."""
    user = password_link_user(session, code, now, _)
    check_password(password, _)
    auth.set_password(session, user, password)
    session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id))
    _audit(session, auth.principal_for_user(user), "user.password_set", _offices_of(user) or [None],
           username=user.username, via="link")
    return user


def purge_expired_links(session: Session, now: datetime | None = None) -> int:
    return session.execute(delete(PasswordLink).where(PasswordLink.expires_at <= (now or utcnow()))).rowcount
