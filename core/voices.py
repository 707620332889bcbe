"""The deployment's clip sets (core.speech) put together with what the offices' plugins say: what each language
needs, building the generated sets (at once, or in the background while the server serves), and naming what a
recorded set lacks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from core.config import Deployment, OfficeConfig, PlatformSettings
from core.i18n import Translator
from core.plugins import PluginManager
from core.speech import ESPEAK_VOICES, ClipLibrary, Phrases, SpeechError, collect, espeak_available


def library(settings: PlatformSettings, deployment: Deployment) -> ClipLibrary:
    return ClipLibrary(settings.speech_cache, deployment.root / "speech")


def office_phrases(plugins: PluginManager, office: OfficeConfig, language: str) -> Phrases:
    """Core's texts and what each plugin the office enables says (``mbk_speech_phrases``)."""
    said: list[Any] = Translator([]).texts(language)
    for group in plugins.for_office(office).mbk_speech_phrases(office=office, language=language):
        said += group
    return collect(said)


def _languages(deployment: Deployment) -> list[str]:
    return sorted({language for office in deployment.offices.values() for language in office.languages})


def build(clips: ClipLibrary, plugins: PluginManager, deployment: Deployment,
          languages: Iterable[str] | None = None, echo: Callable[[str], None] = print,
          stop: threading.Event | None = None) -> int:
    """Generate with espeak-ng every clip the offices need in the languages it speaks and that no recorded
    clip covers; return how many were made. Clips already there are kept (their names are their texts). ``stop``
    set: no further clip is started."""
    wanted = [lang for lang in (languages or _languages(deployment)) if lang in ESPEAK_VOICES]
    if wanted and not espeak_available():
        echo("speech: espeak-ng is not installed (Debian: apt-get install espeak-ng): no clips generated; "
             "the board and kiosk use the browser's voices")
        return 0
    made = 0
    for language in wanted:
        needed = {c.name: c for office in deployment.offices.values() if language in office.languages
                  for c in office_phrases(plugins, office, language).clips}
        missing = clips.missing(language, needed.values())
        if missing:
            echo(f"speech: {language}: generating {len(missing)} of {len(needed)} clips with espeak-ng")
        for clip in missing:
            if stop is not None and stop.is_set():
                return made
            if clips.missing(language, [clip]):  # else a screen asked for it meanwhile and it was made then
                clips.ensure(language, [clip])
                made += 1
    return made


class BackgroundBuild:
    """``build`` in a thread, so that ``mbk serve`` serves at once instead of after the clips (about 2,000 for the
    demo). Until a clip is there, the board and kiosk are answered as on a first start: a call's clips and a
    bounded number of a kiosk screen's are made when asked for, any other text is left to the browser's voice,
    and a clip file not made yet is 404. A failure (espeak-ng missing or broken) leaves the browser's voices."""

    def __init__(self, clips: ClipLibrary, plugins: PluginManager, deployment: Deployment,
                 echo: Callable[[str], None] = print):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(clips, plugins, deployment, echo),
                                        name="speech-build", daemon=True)
        self._thread.start()

    def _run(self, clips: ClipLibrary, plugins: PluginManager, deployment: Deployment,
             echo: Callable[[str], None]) -> None:
        try:
            made = build(clips, plugins, deployment, echo=echo, stop=self._stop)
        except SpeechError as exc:
            echo(f"speech: {exc}; the board and kiosk use the browser's voices where clips are missing")
            return
        if made and not self._stop.is_set():
            echo(f"speech: {made} clip(s) generated; every clip is ready")

    def stop(self, timeout: float = 30) -> None:
        """End the build after the clip being made (a clip is written whole or not at all)."""
        self._stop.set()
        self._thread.join(timeout)


def missing_report(clips: ClipLibrary, plugins: PluginManager, deployment: Deployment) -> list[str]:
    """One line per office language whose clips are incomplete, naming the clips (file and what it says)."""
    lines = []
    if not espeak_available():
        lines.append("espeak-ng is not installed (Debian: apt-get install espeak-ng): only recorded clips are used")
    for office in deployment.offices.values():
        for language in office.languages:
            generated = language in ESPEAK_VOICES and espeak_available()
            recorded = language in clips.recorded_languages()
            folder = clips.recorded / language
            if not recorded and not generated:
                lines.append(f"{office.id}: {language}: no clip set (the browser's voice is used); record clips "
                             f"in {folder} (`mbk speech list --language {language}`)")
                continue
            if generated:
                continue  # espeak-ng makes what no recording covers (`mbk speech build`, `mbk serve`)
            missing = clips.missing(language, office_phrases(plugins, office, language).clips)
            if missing:
                shown = ", ".join(f"{c.name}.wav ({c.text!r})" for c in missing[:12])
                more = f" and {len(missing) - 12} more (`mbk speech list --language {language} --missing`)" \
                    if len(missing) > 12 else ""
                lines.append(f"{office.id}: {language}: {len(missing)} clip(s) missing in {folder}: {shown}{more}")
    for language in sorted(clips.recorded_languages()):
        lines += [f"{path}: {problem}" for path, problem in clips.recorded_problems(language)]
    return lines
