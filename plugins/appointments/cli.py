"""``mbk appointments sync [--office ID]``: import the calendars now and say what changed.
``mbk appointments import FILE --office ID``: appointments from a case-management system's CSV or JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plugins.appointments import importer, sync

appointments_cli = typer.Typer(help="Booked meetings (appointments plugin).", no_args_is_help=True)
DeploymentOption = Annotated[Path | None, typer.Option("--deployment", "-d", help="Deployment folder.")]


@appointments_cli.command("sync")
def sync_now(office: Annotated[str | None, typer.Option(help="Office id (default: every office).")] = None,
             deployment: DeploymentOption = None) -> None:
    """Fetch every calendar of the office(s) now; print what each added, moved and removed (exit 1 if a
    calendar could not be reached: its last good copy is kept)."""
    from core.cli import load_context, named_office

    ctx = load_context(deployment)
    offices = ([named_office(ctx, office, "appointments")] if office is not None
               else [o for o in ctx.deployment.offices.values() if o.enables("appointments")])
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


@appointments_cli.command("import")
def import_file(file: Annotated[Path, typer.Argument(help="A .csv or .json file (columns: see the README).")],
                office: Annotated[str, typer.Option(help="Office id.")], deployment: DeploymentOption = None) -> None:
    """Add (or, by their ``id``, move) the file's appointments. Every row is checked first: with any problem,
    each is printed and nothing is imported (exit 1)."""
    from core.cli import fail, load_context, named_office
    from core.problems import Problem

    ctx = load_context(deployment)
    chosen = named_office(ctx, office, "appointments")
    try:
        with ctx.db.session() as session:
            report = importer.import_rows(session, chosen, importer.read_rows(file))
    except Problem as problem:
        raise fail("error: nothing imported:\n" + problem.message, code=1) from None
    finally:
        ctx.db.dispose()
    typer.echo(f"{office}: {report}")
