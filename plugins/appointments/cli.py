"""``mbk appointments sync [--office ID]``: import the calendars now and say what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plugins.appointments import sync

appointments_cli = typer.Typer(help="Booked meetings (appointments plugin).", no_args_is_help=True)
DeploymentOption = Annotated[Path | None, typer.Option("--deployment", "-d", help="Deployment folder.")]


@appointments_cli.command("sync")
def sync_now(office: Annotated[str | None, typer.Option(help="Office id (default: every office).")] = None,
             deployment: DeploymentOption = None) -> None:
    """Fetch every calendar of the office(s) now; print what each added, moved and removed (exit 1 if a
    calendar could not be reached: its last good copy is kept)."""
    from core.cli import fail, load_context

    ctx = load_context(deployment)
    offices = [o for o in ctx.deployment.offices.values() if o.enables("appointments")]
    if office is not None:
        if ctx.deployment.office(office) is None:
            raise fail(f"error: unknown office {office!r} (offices: {', '.join(sorted(ctx.deployment.offices))})")
        offices = [o for o in offices if o.id == office]
        if not offices:
            raise fail(f"error: office {office!r} does not enable the appointments plugin")
    unreachable = False
    for each in offices:
        reports = sync.sync_office(ctx.db, each)
        if not reports:
            typer.echo(f"{each.id}: no calendars configured")
        for report in reports:
            typer.echo(f"{each.id}: {report}")
            unreachable = unreachable or report.error is not None
    ctx.db.dispose()
    if unreachable:
        raise typer.Exit(1)
