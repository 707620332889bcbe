"""``mbk user`` and ``mbk device``: staff accounts and enrolled devices, and the demo's login and device links."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from core.cli_support import DeploymentOption, cli_actor, fail, load_context, named_office, problem_exit

user_cli = typer.Typer(help="Staff accounts.", no_args_is_help=True)
device_cli = typer.Typer(help="Kiosks, display boards and survey tablets.", no_args_is_help=True)


def _read_password(stdin: bool) -> str:
    if stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise fail("error: the passwords differ")
    return first


@user_cli.command("add")
def user_add(username: Annotated[str, typer.Option(help="Login name.")],
             office: Annotated[str | None, typer.Option(help="Office id the role applies to.")] = None,
             role: Annotated[str | None, typer.Option(help="admin, guide, officer or viewer.")] = None,
             platform_admin: bool = False, display_name: str = "",
             password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
             deployment: DeploymentOption = None) -> None:
    """Create a staff user (or add a role to an existing one). The password is asked for, never an argument."""
    from core import auth, people

    ctx = load_context(deployment)
    if office is not None:
        named_office(ctx, office)
    if role is not None and office is None:
        raise fail("error: --role needs --office")
    if role is None and not platform_admin:
        raise fail("error: give --office and --role, or --platform-admin")
    with ctx.db.session() as session:
        adding_role = role is not None and auth.find_user(session, username) is not None
    # Asked for outside any transaction: typing must not hold SQLite's write lock.
    password = None if adding_role else _read_password(password_stdin)
    with problem_exit(), ctx.db.session() as session:
        _user, created = people.add_person(session, cli_actor(), username, office_id=office,
                                           roles=[role] if role else [], platform_admin=platform_admin,
                                           display_name=display_name, password=password)
    action = "created" if created else "role added"
    typer.echo(f"user {username} {action}" + (f": {role} at {office}" if role else ""))


@user_cli.command("list")
def user_list(office: str | None = None, deployment: DeploymentOption = None) -> None:
    """List staff users and their roles."""
    from sqlalchemy import select

    from core import auth

    ctx = load_context(deployment)
    with ctx.db.session() as session:
        for user in session.scalars(select(auth.StaffUser).order_by(auth.StaffUser.username)):
            roles = [f"{r.role}@{r.office_id}" for r in user.roles if office in (None, r.office_id)]
            if office and not roles:
                continue
            flags = (" platform-admin" if user.is_platform_admin else "") + (" DISABLED" if user.disabled else "")
            typer.echo(f"{user.username}{flags}: {', '.join(roles) or '-'}")


@user_cli.command("disable")
def user_disable(username: str, deployment: DeploymentOption = None) -> None:
    """Disable a user: their tokens and sessions stop working at once."""
    from core import people

    with problem_exit(), load_context(deployment).db.session() as session:
        people.set_disabled(session, cli_actor(), None, username, True)
    typer.echo(f"user {username} disabled")


@user_cli.command("enable")
def user_enable(username: str, deployment: DeploymentOption = None) -> None:
    """Let a disabled user log in again."""
    from core import people

    with problem_exit(), load_context(deployment).db.session() as session:
        people.set_disabled(session, cli_actor(), None, username, False)
    typer.echo(f"user {username} enabled")


@user_cli.command("password")
def user_password(username: str,
                  password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
                  deployment: DeploymentOption = None) -> None:
    """Set a new password (asked for, or read from stdin); the user's browser sessions and tokens end."""
    from core import people

    ctx = load_context(deployment)
    password = _read_password(password_stdin)  # before the transaction: typing must not hold the write lock
    with problem_exit(), ctx.db.session() as session:
        people.set_password(session, cli_actor(), username, password)
    typer.echo(f"user {username}: password set")


# --- devices ----------------------------------------------------------------------------------------


@device_cli.command("add")
def device_add(office: Annotated[str, typer.Option()],
               kind: Annotated[str, typer.Option(help="kiosk, display or tablet")],
               name: Annotated[str, typer.Option()], deployment: DeploymentOption = None) -> None:
    """Enrol a device: prints a one-time enrolment link and its token (only a hash is stored)."""
    from core import devices

    ctx = load_context(deployment)
    named_office(ctx, office)
    with problem_exit(), ctx.db.session() as session:
        device, token, code = devices.enrol(session, cli_actor(), office, kind, name,
                                            lifetime=devices.ENROLMENT_LINK_LIFETIME, code_length=16)
    base = ctx.settings.base_url.rstrip("/")
    days = devices.ENROLMENT_LINK_LIFETIME.days
    typer.echo(f"device {device.id} ({kind} '{name}') at {office}")
    typer.echo(f"enrolment link (open it once on the device, within {days} days): {base}/{office}/enrol?code={code}")
    typer.echo(f"token (for API clients, shown only now): {token}")


DEMO_USER = "demo"
DEMO_DEVICE_PREFIX = "Demo "


def demo_login_and_links(ctx, base: str) -> str:  # type: ignore[no-untyped-def]
    """A new password for the demo login and new device links (the earlier ones revoked), as text to print."""
    import secrets

    from sqlalchemy import select

    from core import auth, devices

    if not ctx.deployment.demo:
        raise fail(f"error: {ctx.settings.deployment} is not a demo deployment (platform.demo = true); "
                   "create real accounts with `mbk user add` and devices with `mbk device add`")
    password = secrets.token_urlsafe(12)
    links: list[str] = []
    with ctx.db.session() as session:
        user = auth.find_user(session, DEMO_USER)
        if user is None:
            auth.create_user(session, DEMO_USER, password, platform_admin=True, display_name="Demo")
        else:
            auth.set_password(session, user, password)
        for old in session.scalars(select(devices.Device).where(devices.Device.name.startswith(DEMO_DEVICE_PREFIX),
                                                              devices.Device.revoked_at.is_(None))):
            devices.revoke(session, cli_actor(), None, old.id)
        for office in ctx.deployment.offices.values():
            kinds = {link.audience for link in ctx.page_links(office)} & set(devices.DEVICE_KINDS)
            for kind in sorted(kinds):
                _device, _token, code = devices.enrol(session, cli_actor(), office.id, kind,
                                                      f"{DEMO_DEVICE_PREFIX}{kind}",
                                                      lifetime=devices.ENROLMENT_LINK_LIFETIME, code_length=16)
                links.append(f"    {office.id:<12} {kind:<8} {base}/{office.id}/enrol?code={code}")
        auth.audit(session, cli_actor(), "demo.access", None)
    return "\n".join([f"\nDemo login (platform admin, every office): {DEMO_USER} / {password}   {base}/login",
                      "Open a link once to make this browser that office's device:", *links])


@device_cli.command("list")
def device_list(office: str | None = None, deployment: DeploymentOption = None) -> None:
    """List enrolled devices."""
    from sqlalchemy import select

    from core import devices
    from core.db import utcnow

    ctx = load_context(deployment)
    with ctx.db.session() as session:
        stmt = select(devices.Device).order_by(devices.Device.office_id, devices.Device.id)
        if office:
            stmt = stmt.where(devices.Device.office_id == office)
        for device in session.scalars(stmt):
            found = ctx.deployment.office(device.office_id)
            state = devices.state(device, found, utcnow()) if found else "office gone"
            seen = device.last_seen_at.strftime("%Y-%m-%d %H:%M") if device.last_seen_at else "never"
            typer.echo(f"{device.id:>4} {device.office_id:<16} {device.kind:<8} {device.name:<30} {state:<12} "
                       f"last seen {seen}")


@device_cli.command("revoke")
def device_revoke(device_id: int, deployment: DeploymentOption = None) -> None:
    """Revoke a device: its token stops working at once."""
    from core import devices

    with problem_exit(), load_context(deployment).db.session() as session:
        devices.revoke(session, cli_actor(), None, device_id)
    typer.echo(f"device {device_id} revoked")
