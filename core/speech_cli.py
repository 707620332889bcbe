"""``mbk speech``: build the espeak-ng clip sets, list the clips a language needs (what an office records)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core import cli_support, voices
from core.cli_support import DeploymentOption, config_failure, settings_for
from core.config import ConfigError, PlatformSettings
from core.loading import load_deployment
from core.plugins import PluginManager
from core.speech import SpeechError

speech_cli = typer.Typer(help="Offline speech clips for the board's announcements and the kiosk's read-aloud.",
                         no_args_is_help=True)


def _deployment_of(deployment: Path | None) -> tuple[PlatformSettings, PluginManager, Any]:
    settings = settings_for(deployment)
    plugins = cli_support.load_plugins()
    try:
        return settings, plugins, load_deployment(settings.deployment, plugins)
    except ConfigError as exc:
        raise config_failure(exc) from None


@speech_cli.command("build")
def build(deployment: DeploymentOption = None,
          language: Annotated[list[str] | None, typer.Option(help="Only these languages.")] = None) -> None:
    """Generate with espeak-ng every clip the offices need that no recorded clip covers (sv, en, ar, fa,
    fi). Clips already made are kept; run it again after changing texts."""
    settings, plugins, loaded = _deployment_of(deployment)
    try:
        made = voices.build(voices.library(settings, loaded), plugins, loaded, language, echo=typer.echo)
    except SpeechError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"speech: {made} clip(s) generated in {settings.speech_cache}")


@speech_cli.command("list")
def list_clips(language: Annotated[str, typer.Option(help="Language code, e.g. so.")],
               deployment: DeploymentOption = None,
               missing: Annotated[bool, typer.Option(help="Only clips no file provides yet.")] = False) -> None:
    """Every clip the offices say in a language: file name and text (what to record)."""
    settings, plugins, loaded = _deployment_of(deployment)
    clips = voices.library(settings, loaded)
    needed = {c.name: c for office in loaded.offices.values() if language in office.languages
              for c in voices.office_phrases(plugins, office, language).clips}
    if not needed:
        typer.echo(f"error: no office speaks {language!r}", err=True)
        raise typer.Exit(2)
    shown = clips.missing(language, needed.values()) if missing else list(needed.values())
    for clip in shown:
        typer.echo(f"{clip.name}.wav\t{clip.text}")
