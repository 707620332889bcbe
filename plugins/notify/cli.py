"""``mbk notify test`` (send one test message now, to check a channel) and ``mbk notify run`` (the sender alone)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import httpx
import typer

from plugins.notify import service
from plugins.notify.channels import OutgoingMessage
from plugins.notify.messages import translations
from plugins.notify.worker import Sender, build_channel

notify_cli = typer.Typer(help="Messages to case officers and visitors (notify plugin).", no_args_is_help=True)
DeploymentOption = Annotated[Path | None, typer.Option("--deployment", "-d", help="Deployment folder.")]


@notify_cli.command("test")
def send_test(office: Annotated[str, typer.Option(help="Office id.")],
              channel: Annotated[str, typer.Option(help="Channel name from [plugins.notify.channels].")],
              to: Annotated[str, typer.Option(help="E-mail address, phone number (E.164) or webhook URL.")],
              language: Annotated[str | None, typer.Option(help="Language of the text.")] = None,
              deployment: DeploymentOption = None) -> None:
    """Send a test message over one channel now and say what the provider answered (exit 1 if it failed)."""
    from core.cli import fail, load_context, named_office

    ctx = load_context(deployment)
    found = named_office(ctx, office, "notify")
    channels = service.settings_of(found).channels
    if channel not in channels:
        known = ", ".join(sorted(channels)) or "none"
        raise fail(f"error: unknown channel {channel!r} at {office} (channels: {known})")
    _ = translations.gettext(language or found.default_language)
    text = _("This is a test message from %(office)s.", office=found.name.get_text(language or found.default_language))
    with httpx.Client() as client:
        result = build_channel(found, channel, ctx.settings.base_url, client).send(
            OutgoingMessage(address=to, body=text, subject=_("Test message"), reference=f"test:{office}:{channel}"))
    if result.ok:
        typer.echo(f"sent over {channel}" + (f" (provider id {result.provider_id})" if result.provider_id else ""))
        return
    kind = "temporary, would be retried" if result.retryable else "permanent"
    raise fail(f"failed over {channel}: {result.error} ({kind})", code=1)


@notify_cli.command("run")
def run(deployment: DeploymentOption = None) -> None:
    """Run the sender as its own worker process (for web processes started with MBK_RUN_DISPATCHER=0)."""
    from core.cli import load_context

    ctx = load_context(deployment)
    logging.basicConfig(level=ctx.settings.log_level.upper())
    sender = Sender(ctx.db, ctx.deployment, ctx.settings.base_url)
    typer.echo(f"sending messages for {', '.join(sorted(sender.offices)) or 'no office'}; Ctrl-C to stop")
    try:
        sender.run_forever()
    except KeyboardInterrupt:
        pass
