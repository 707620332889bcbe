"""Single sign-on: turning a verified OpenID Connect login into a staff account here.

The web layer (core/web/sso.py) runs the authorization code flow with PKCE through Authlib and hands over the
verified claims. Here: the account is found by the provider's subject, or created just in time; its roles and
platform-admin flag are set from the groups claim through ``[sso] groups`` at every login, so that a change in the
identity provider takes effect at the next login; someone whose groups map to nothing is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import auth, people
from core.auth import StaffUser
from core.config import Deployment, SsoSection
from core.problems import Conflict, Forbidden

SSO_ACTOR = "sso"


def groups_of(claims: Mapping[str, Any], sso: SsoSection) -> list[str]:
    """The groups claim as a list (a provider may send one group as a plain string)."""
    value = claims.get(sso.groups_claim) or []
    return [value] if isinstance(value, str) else [str(g) for g in value]


def grants(sso: SsoSection, groups: Iterable[str]) -> tuple[dict[str, set[str]], bool]:
    """(roles per office, platform admin) that membership of ``groups`` gives."""
    held = set(groups)
    roles: dict[str, set[str]] = {}
    platform_admin = False
    for mapping in sso.groups:
        if mapping.group not in held:
            continue
        platform_admin |= mapping.platform_admin
        if mapping.office is not None:
            roles.setdefault(mapping.office, set()).update(mapping.roles)
    return roles, platform_admin


def sign_in(session: Session, sso: SsoSection, claims: Mapping[str, Any],
            _: people.Gettext = people.untranslated) -> StaffUser:
    """The account for verified ``claims`` (an ID token's, with the userinfo endpoint's), with its roles now.
    Call ``check_access`` after the commit."""
    subject = str(claims["sub"])
    roles, platform_admin = grants(sso, groups_of(claims, sso))
    user = session.scalar(select(StaffUser).where(StaffUser.sso_subject == subject))
    if user is None and not (roles or platform_admin):
        raise Forbidden("no_role", _("Your account has no role here. Ask your manager to add you to a group "
                                     "for this service."))
    if user is None:
        username = str(claims.get(sso.username_claim) or subject)[:150]
        if auth.find_user(session, username) is not None:
            raise Conflict("username_taken", _("A local account is already called %(username)s; ask a platform "
                                               "admin to remove or rename it.", username=username))
        user = StaffUser(username=username, password_hash="", sso_subject=subject,
                         display_name=str(claims.get("name") or "")[:200])
        session.add(user)
        session.flush()
        auth.audit(session, SSO_ACTOR, "user.created", None, username=username, via="sso")
    if user.disabled:
        raise Forbidden("disabled", _("Your account here is disabled; ask an admin."))
    _follow_groups(session, user, roles, platform_admin)
    return user


def check_access(user: StaffUser, _: people.Gettext = people.untranslated) -> None:
    """After ``sign_in`` has committed the account's roles (a lost role must stay lost): refuse one left without
    any."""
    if not (user.roles or user.is_platform_admin):
        raise Forbidden("no_role", _("Your account has no role here. Ask your manager to add you to a group "
                                     "for this service."))


def _follow_groups(session: Session, user: StaffUser, roles: dict[str, set[str]], platform_admin: bool) -> None:
    """Make the account's roles exactly what its groups give, auditing each office whose roles changed."""
    before = {office: sorted(r.role for r in user.roles if r.office_id == office)
              for office in {r.office_id for r in user.roles} | set(roles)}
    for office, was in sorted(before.items()):
        now = sorted(roles.get(office, ()))
        if was != now:
            people.sync_roles(user, office, now)
            auth.audit(session, SSO_ACTOR, "user.roles_changed", office, username=user.username, before=was,
                       after=now, via="sso")
    if user.is_platform_admin != platform_admin:
        user.is_platform_admin = platform_admin
        auth.audit(session, SSO_ACTOR, "user.platform_admin", None, username=user.username, value=platform_admin,
                   via="sso")


def check_notes(deployment: Deployment) -> list[str]:
    """What `mbk check` says about the way in (notes, not errors): with local passwords off, whether anyone can
    still log in when the identity provider is down."""
    sso = deployment.sso
    if sso is None or sso.local_passwords:
        return []
    if not sso.break_glass:
        return ["local passwords are off and break_glass is not set: when the identity provider is down, nobody "
                "can log in. Set break_glass = true in [sso] and make a platform admin with `mbk user add "
                "--username NAME --platform-admin` for that day."]
    return ["break_glass = true: platform admins made with `mbk user add --platform-admin` may log in with their "
            "password on the login page while local passwords are off; each such login is audited as "
            "login.break_glass. Keep them few, with long passwords kept offline."]
