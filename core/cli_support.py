"""What every ``mbk`` command shares: the --deployment option, loading settings, plugins and the deployment (or
exiting with the problems named), the office a command names, refusals as exit status 2, and who ran it for the
audit log. Plugins' own commands (``mbk_cli``) use ``load_context`` and ``named_office`` too (re-exported by
core.cli)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.config import ConfigError, OfficeConfig, PlatformSettings
from core.plugins import PluginLoadError, PluginManager

if TYPE_CHECKING:
    from core.context import AppContext

DeploymentOption = Annotated[Path | None, typer.Option("--deployment", "-d", help="Deployment folder "
                                                       "(default: $MBK_DEPLOYMENT or deployments/demo).")]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def settings_for(deployment: Path | None) -> PlatformSettings:
    settings = PlatformSettings()
    if deployment is not None:
        settings = settings.model_copy(update={"deployment": deployment})
    return settings


def load_plugins() -> PluginManager:
    try:
        return PluginManager.from_entry_points()
    except PluginLoadError as exc:
        raise fail(f"error: {exc}") from None


def config_failure(exc: ConfigError) -> typer.Exit:
    lines = "\n".join(f"error: {p}" for p in exc.problems)
    return fail(f"{lines}\n{len(exc.problems)} problem(s) in the deployment; nothing was started.")


def load_context(deployment: Path | None = None):  # type: ignore[no-untyped-def]
    """Settings, plugins, deployment and database, or exit 2 listing every configuration problem."""
    from core.web.app import create_context

    try:
        return create_context(settings_for(deployment), load_plugins())
    except ConfigError as exc:
        raise config_failure(exc) from None


def named_office(ctx: AppContext, office: str, plugin: str | None = None) -> OfficeConfig:
    """The office a command names, or exit 2 listing the offices (or saying it does not enable ``plugin``)."""
    found = ctx.deployment.office(office)
    if found is None:
        raise fail(f"error: unknown office {office!r} (offices: {', '.join(sorted(ctx.deployment.offices))})")
    if plugin is not None and not found.enables(plugin):
        raise fail(f"error: office {office!r} does not enable the {plugin} plugin")
    return found


@contextmanager
def problem_exit() -> Iterator[None]:
    """A refused change (core.problems) exits 2 with its message; nothing of it is kept."""
    from core.problems import Problem

    try:
        yield
    except Problem as exc:
        raise fail(f"error: {exc.message}") from None


def cli_actor() -> str:
    """Who ran a command, for the audit log: the operating-system account."""
    return f"cli:{getpass.getuser()}"
