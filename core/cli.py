"""The ``mbk`` command: serve, check, migrate, manage users and devices, run workers."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from core import cli_support, speech_cli
from core.cli_accounts import demo_login_and_links, device_cli, user_cli

# Commands load plugins through cli_support.load_plugins, the one place tests swap for their own plugins.
from core.cli_support import (  # load_context: for plugins' own commands too (docs/writing-plugins.md)
    DeploymentOption,
    cli_actor,
    config_failure,
    fail,
    load_context,
    settings_for,
)
from core.cli_support import named_office as named_office  # only for plugins' own commands
from core.config import ConfigError
from core.plugins import PluginLoadError, PluginManager

cli = typer.Typer(help="medborgarkontor: the citizen office platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_cli = typer.Typer(help="Database migrations (core and every installed plugin).", no_args_is_help=True)
events_cli = typer.Typer(help="Domain events and their deliveries.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(user_cli, name="user")
cli.add_typer(device_cli, name="device")
cli.add_typer(events_cli, name="events")


@cli.command()
def check(deployment: DeploymentOption = None) -> None:
    """Validate a deployment: every office file, every plugin section, and that the models of core and every
    plugin match their migrations. Exit 2 with one line per problem.

    Touches no real database (the migrations run on a scratch SQLite one), so it can run on a build machine
    before rollout.
    """
    from core import migrate, sso, voices
    from core.loading import load_deployment

    settings = settings_for(deployment)
    plugins = cli_support.load_plugins()
    try:
        loaded = load_deployment(settings.deployment, plugins)
    except ConfigError as exc:
        raise config_failure(exc) from None
    drift_failure(migrate.migrations_drift(plugins))
    offices = loaded.offices
    typer.echo(f"ok: {len(offices)} office(s) in {settings.deployment}: {', '.join(sorted(offices))}")
    for line in sso.check_notes(loaded):
        typer.echo(f"sso: {line}")
    # Notes, not errors: a screen goes on with the clips there are (and the browser's voice for the rest).
    for line in voices.missing_report(voices.library(settings, loaded), plugins, loaded):
        typer.echo(f"speech: {line}")


@cli.command()
def plugins(deployment: DeploymentOption = None) -> None:
    """List installed plugins and which offices enable them."""
    ctx = load_context(deployment)
    for name, plugin in sorted(ctx.plugins.plugins.items()):
        enabled = [o.id for o in ctx.deployment.offices.values() if o.enables(name)]
        typer.echo(f"{name} {plugin.version}: {plugin.description or '-'}")
        typer.echo(f"    enabled for: {', '.join(enabled) or 'no office'}")


def drift_failure(drift: list[str]) -> None:
    """Models that differ from their migrations would fail at the first request that touches them: stop here."""
    if drift:
        lines = "\n".join(f"error: {line}" for line in drift)
        raise fail(f"{lines}\nThe models differ from their migrations: add a migration for each change (or undo "
                   "it), then `mbk db upgrade`. Nothing was started.")


def print_urls(ctx, base_url: str) -> None:  # type: ignore[no-untyped-def]
    typer.echo(f"\nmedborgarkontor at {base_url}/  (API docs: {base_url}/docs)")
    for office in ctx.deployment.offices.values():
        typer.echo(f"\n  {office.name.get_text('en')} ({office.id})")
        for link in ctx.page_links(office):
            typer.echo(f"    {link.label:<28} {base_url}{link.path}")
    typer.echo("")


@cli.command()
def urls(deployment: DeploymentOption = None, base_url: str = "http://127.0.0.1:8000") -> None:
    """Print the URL of every page each office serves."""
    print_urls(load_context(deployment), base_url.rstrip("/"))


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens there (bound the way uvicorn binds, so the answer matches its own)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


@cli.command()
def serve(deployment: DeploymentOption = None, host: str = "127.0.0.1", port: int = 8000,
          migrate_sqlite: Annotated[bool, typer.Option(help="Create/upgrade an embedded SQLite database.")] = True,
          processes: Annotated[int, typer.Option(min=1, help="Web processes sharing the port (SO_REUSEPORT; "
                                                 "PostgreSQL only). See docs/deploying.md.")] = 1,
          demo_access: Annotated[bool, typer.Option(help="Demo deployments: print a new demo login and device "
                                                          "links before starting (what `make run` does).")] = False,
          catch_mail: Annotated[str | None, typer.Option(
              help="Demo deployments: run an SMTP server at HOST:PORT that keeps every e-mail the demo sends, "
                   "readable at /demo/mail (what `make run` does).", metavar="HOST:PORT")] = None
          ) -> None:
    """Start the web server. Refuses to start on an invalid deployment, a database behind its migrations, a
    port already in use, or (outside demo deployments) without MBK_SECRET_KEY."""
    from core import migrate, voices
    from core.web import serving
    from core.web.app import create_app

    base = f"http://{host}:{port}"
    # First of all: a demo already running there keeps its login and device links.
    if port_in_use(host, port):
        raise fail(f"error: {host}:{port} is already in use (is a server already running at {base}/ ?). "
                   f"Nothing was changed; stop it first or choose another port (make run PORT={port + 1}).")
    ctx = load_context(deployment)
    mail_catcher_address = parse_catch_mail(ctx, catch_mail) if catch_mail else None
    if processes > 1 and not ctx.db.is_postgres:
        raise fail("error: several processes need PostgreSQL (on SQLite live updates stay inside one process)")
    if ctx.settings.secret_key is None and not ctx.deployment.demo:
        raise fail("error: MBK_SECRET_KEY is not set. A real deployment needs a fixed secret key: with a new "
                   "random one at each start every login, kiosk and display board would have to be enrolled "
                   "again. Set MBK_SECRET_KEY (e.g. from `python -c 'import secrets; print(secrets.token_urlsafe"
                   "(32))'`) in the server's environment.")
    logging.basicConfig(level=ctx.settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its per-connection INFO lines would bury the URLs
    if not migrate.is_at_head(ctx.db.engine, ctx.plugins):
        if ctx.db.engine.dialect.name == "sqlite" and migrate_sqlite:
            typer.echo("Migrating the embedded SQLite database…")
            migrate.upgrade(ctx.db.engine, ctx.plugins)
        else:
            raise fail("error: the database is behind its migrations; run `mbk db upgrade` first")
    drift_failure(migrate.schema_drift(ctx.db.engine, ctx.plugins))
    if ctx.settings.secret_key is None:
        typer.echo("MBK_SECRET_KEY is not set: using a random key, so logins end when the server restarts.")
    print_urls(ctx, base)
    if demo_access:
        typer.echo(demo_login_and_links(ctx, base))
    catcher = start_mail_catcher(ctx, mail_catcher_address, base) if mail_catcher_address else None
    # Clips missing from the espeak-ng sets (first start, changed texts) are made while the server already serves.
    clips = voices.BackgroundBuild(ctx.speech, ctx.plugins, ctx.deployment, echo=typer.echo)
    try:
        if processes > 1:
            raise typer.Exit(serve_processes(ctx, host, port, processes))
        serving.serve(create_app(ctx), host=host, port=port, log_level=ctx.settings.log_level.lower())
    finally:
        clips.stop()
        if catcher is not None:
            catcher.stop()


def parse_catch_mail(ctx, where: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """--catch-mail's HOST:PORT, checked before anything is migrated or built, so a refusal changes nothing."""
    if not ctx.deployment.demo:
        raise fail(f"error: --catch-mail is for demo deployments only (platform.demo = true); "
                   f"{ctx.settings.deployment} sends real e-mail")
    host, _, port_text = where.rpartition(":")
    if not host or not port_text.isdigit():
        raise fail(f"error: --catch-mail {where!r}: give HOST:PORT, e.g. 127.0.0.1:1025")
    return host, int(port_text)


def start_mail_catcher(ctx, address: tuple[str, int], base: str):  # type: ignore[no-untyped-def]
    """The demo's SMTP server, or None (with the reason printed) when it cannot run; the demo runs anyway."""
    host, port = address
    where = f"{host}:{port}"
    try:
        from core.demo_mail import MailCatcher
    except ImportError:
        typer.echo("The demo's e-mails are not kept: install the demo extra (pip install -e '.[demo]').")
        return None
    if port_in_use(host, port):
        typer.echo(f"The demo's e-mails go to the SMTP server already at {where}, not to /demo/mail.")
        return None
    catcher = MailCatcher(host, port, ctx.settings.demo_mail_dir).start()
    typer.echo(f"E-mails the demo sends: {base}/demo/mail (log in as above; an SMTP server at {where} keeps them)")
    return catcher


def serve_processes(ctx, host: str, port: int, processes: int) -> int:  # type: ignore[no-untyped-def]
    from core.web.serving import supervise

    # Every process loads the same deployment, and signs with one key (else a login made in one fails in another).
    env = {"MBK_DEPLOYMENT": str(ctx.settings.deployment), "MBK_SECRET_KEY": ctx.secret_key}
    ctx.db.dispose()
    typer.echo(f"Starting {processes} web processes on http://{host}:{port} …")
    return supervise("core.web.app:create_app", host, port, processes, ctx.settings.log_level.lower(), env)


# --- db ---------------------------------------------------------------------------------------------


@db_cli.command("upgrade")
def db_upgrade(deployment: DeploymentOption = None, target: str = "heads") -> None:
    """Upgrade core and every plugin branch (default: all heads)."""
    from core import migrate

    ctx = load_context(deployment)
    migrate.upgrade(ctx.db.engine, ctx.plugins, target)
    typer.echo(f"database at {target}: {ctx.db.engine.url.render_as_string(hide_password=True)}")


@db_cli.command("downgrade")
def db_downgrade(target: str, deployment: DeploymentOption = None) -> None:
    """Downgrade to a revision (``base`` removes every table)."""
    from core import migrate

    ctx = load_context(deployment)
    migrate.downgrade(ctx.db.engine, ctx.plugins, target)
    typer.echo(f"database at {target}")


@db_cli.command("revision")
def db_revision(plugin: Annotated[str, typer.Option("--plugin", help="The plugin whose branch gets the revision.")],
                message: Annotated[str, typer.Option("--message", "-m", help="What the revision changes.")]) -> None:
    """Write a new, empty revision on a plugin's migration branch, in that plugin's migrations folder."""
    from core import migrate

    try:
        script = migrate.new_revision(cli_support.load_plugins(), plugin, message)
    except ValueError as exc:
        raise fail(f"error: {exc}") from None
    typer.echo(f"revision {script.revision} on branch {plugin} (after {script.down_revision}): {script.path}")


@db_cli.command("current")
def db_current(deployment: DeploymentOption = None) -> None:
    """Show each branch's current and head revision."""
    from core import migrate

    ctx = load_context(deployment)
    for label, current, head in migrate.branch_status(ctx.db.engine, ctx.plugins):
        state = "up to date" if current == head else "BEHIND"
        typer.echo(f"{label:<12} current={current or '-':<28} head={head:<28} {state}")


@cli.command("demo-access")
def demo_access(deployment: DeploymentOption = None,
                base_url: Annotated[str, typer.Option(help="Where the server will answer.")] = "http://127.0.0.1:8000"
                ) -> None:
    """For a demo deployment only: a platform-admin login and one-time links that enrol this browser as each
    office's kiosk, display board and survey tablet. Earlier demo devices are revoked; the password is new."""
    typer.echo(demo_login_and_links(load_context(deployment), base_url.rstrip("/")))


# --- events -----------------------------------------------------------------------------------------


@events_cli.command("failed")
def events_failed(office: str | None = None, deployment: DeploymentOption = None) -> None:
    """List event deliveries that failed for good."""
    from core import events

    ctx = load_context(deployment)
    with ctx.db.session() as session:
        rows = events.failed_deliveries(session, office)
        for delivery, event in rows:
            typer.echo(f"{delivery.id:>6} {event.office_id:<14} {event.type:<22} -> {delivery.plugin:<10} "
                       f"attempts={delivery.attempts} error={delivery.last_error}")
    if not rows:
        typer.echo("no failed deliveries")


@events_cli.command("retry")
def events_retry(delivery_id: int, deployment: DeploymentOption = None) -> None:
    """Queue a failed delivery again."""
    from core import auth, events

    ctx = load_context(deployment)
    with ctx.db.session() as session:
        delivery = events.retry_delivery(session, delivery_id)
        if delivery is None:
            raise fail(f"error: no failed delivery {delivery_id} (see `mbk events failed`)")
        auth.audit(session, cli_actor(), "event.retry", delivery.office_id, delivery=delivery_id)
    typer.echo(f"delivery {delivery_id} queued again")


@events_cli.command("types")
def events_types() -> None:
    """List the domain event types the installed plugins publish (``mbk_event_types``), with their fields."""
    event_types = cli_support.load_plugins().event_types
    for name in sorted(event_types):
        event_type = event_types[name]
        typer.echo(f"{name}  ({event_type.plugin})")
        for field, annotation in event_type.fields():
            typer.echo(f"    {field}: {annotation}")


@events_cli.command("run")
def events_run(deployment: DeploymentOption = None) -> None:
    """Run the event dispatcher as its own worker process (when web processes run with MBK_RUN_DISPATCHER=0)."""
    from core.dispatch import Dispatcher

    ctx = load_context(deployment)
    logging.basicConfig(level=ctx.settings.log_level.upper())
    dispatcher = Dispatcher(ctx.db, ctx.plugins, ctx.deployment)
    typer.echo("dispatching events; Ctrl-C to stop")
    try:
        dispatcher.run_forever()
    except KeyboardInterrupt:
        pass


@cli.command()
def purge(deployment: DeploymentOption = None) -> None:
    """Delete personal data past each office's retention settings (run daily, e.g. from cron)."""
    from datetime import timedelta

    from core import auth, events
    from core.db import utcnow

    ctx = load_context(deployment)
    now = utcnow()
    with ctx.db.session() as session:
        purged = events.purge_delivered(session, now - timedelta(days=ctx.settings.event_retention_days))
        stale = auth.purge_stale(session, now)
    typer.echo(f"delivered events older than {ctx.settings.event_retention_days} day(s): {purged} deleted")
    typer.echo(f"expired sessions and old login failures: {stale} deleted")
    for office in ctx.deployment.offices.values():
        with ctx.db.session() as session:
            results = ctx.hooks(office).mbk_purge(office=office, session=session, now=now)
        counts = {k: v for r in results for k, v in r.items()}
        summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing to purge"
        typer.echo(f"{office.id}: {summary}")


cli.add_typer(speech_cli.speech_cli, name="speech")


def main() -> None:
    try:
        manager = PluginManager.from_entry_points()
    except PluginLoadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    manager.hook.mbk_cli(cli=cli)
    cli()
