"""Offline speech built from clips, the way hardware voice units do it: one WAV file per word, digit, letter or
phrase, per language, put together into a sentence.

A language's clips come from two places, the first that has a clip wins:
- recorded: ``<deployment>/speech/<language>/<clip>.wav``, dropped there by the office (a human voice; the only
  way for languages espeak-ng does not speak, such as Somali and Tigrinya);
- generated: ``<speech cache>/<language>/<clip>.wav``, made by espeak-ng (the Debian package) at install time
  (``mbk speech build``) and by ``mbk serve`` for what is missing.

A clip is named by what it says: ``digit-0``…``digit-9``, ``letter-a``…``letter-z``, ``number-0``…``number-999``
and ``p-<hash>`` for a phrase (a hash of its normalised text, so that a changed translation gets a new clip and
stale ones are never played). A text with ``%(name)s`` placeholders (a gettext template) is spoken as its literal
pieces with the values put in between. A ticket number is said the way a Swedish board says it, its letter and
then the number as a number ("B012": B, "tolv"), where the language has that number's clip recorded or
espeak-ng can make it (when first asked for); else digit by digit (``ClipLibrary.ticket_number``). The kiosk
reads a ticket number and the numbers in its texts the same way.

Assembling needs only the standard library's ``wave``: every clip of a language has the same format (16-bit mono
PCM at 22,050 Hz, espeak-ng's own; ``mbk check`` names recorded clips in another format).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import wave
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# espeak-ng voice per language it speaks well enough for a public announcement.
ESPEAK_VOICES = {"sv": "sv", "en": "en", "ar": "ar", "fa": "fa", "fi": "fi"}
SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
CHANNELS = 1
GAP_SECONDS = 0.12  # between clips: a word boundary a listener hears, not a stutter
CLIP_NAME = re.compile(r"^(digit-[0-9]|letter-[a-z]|number-(0|[1-9][0-9]{0,2})|p-[0-9a-f]{16})$")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CODE = re.compile(r"^([A-Za-z]{0,3})([0-9]+)$")  # a ticket number (B012) or a plain number (4)
# Numbers said as numbers: up to what a day's tickets of one service reach (a clip each, made when first called).
WHOLE_NUMBERS = 1000
# Pieces of a template that say nothing on their own (a comma between two placeholders).
SILENT = re.compile(r"^[\s\W_]*$")
MAX_TEXT = 600  # characters: longer screen texts are read with the browser's voice, never synthesised here
MAKE_PER_REQUEST = 40  # new clips one request may have espeak-ng make (about 2 s); the rest on a later screen


class SpeechError(Exception):
    """espeak-ng is missing or failed."""


@dataclass
class Allowance:
    """How many more clips espeak-ng may make for one request (a screen asking for texts no clip covers yet)."""

    left: int = MAKE_PER_REQUEST


@dataclass(frozen=True)
class Clip:
    """One recorded or generated sound: its file name (without .wav) and what it says."""

    name: str
    text: str


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def phrase(text: str) -> Clip:
    """The clip that says ``text`` (a word, a name, a sentence)."""
    said = normalise(text)
    digest = hashlib.sha256(said.casefold().encode()).hexdigest()[:16]
    return Clip(f"p-{digest}", said)


def code(value: str) -> list[Clip]:
    """A ticket number or a number, character by character: "B012" is letter B, digits 0, 1, 2 (as printed)."""
    return [Clip(f"digit-{c}", c) if c.isdigit() else Clip(f"letter-{c.lower()}", c.upper()) for c in value]


def whole_number(value: int) -> Clip:
    """The clip that says ``value`` as a number ("tolv", not "ett, två")."""
    return Clip(f"number-{value}", str(value))


def pieces(template: str) -> list[str | None]:
    """A template's literal pieces (normalised, silent ones dropped) and its placeholders (None) in order."""
    out: list[str | None] = []
    for i, part in enumerate(PLACEHOLDER.split(template)):
        if i % 2:
            out.append(None)
        elif not SILENT.match(part):
            out.append(normalise(part))
    return out


def template_clips(template: str) -> list[Clip]:
    """The clips a template needs besides its values: one per literal piece."""
    return [phrase(piece) for piece in pieces(template) if piece is not None]


def say(template: str, values: Mapping[str, Sequence[Clip]] | None = None) -> list[Clip]:
    """The clips that say ``template`` with each ``%(name)s`` replaced by the clips in ``values[name]``."""
    values = values or {}
    names = PLACEHOLDER.findall(template)
    out: list[Clip] = []
    slots = iter(names)
    for piece in pieces(template):
        out.extend(values[next(slots)] if piece is None else [phrase(piece)])
    return out


def value_clips(value: str) -> list[Clip]:
    """A placeholder's value: a number or ticket number character by character, anything else as a phrase."""
    value = normalise(value)
    return code(value) if CODE.match(value) else [phrase(value)]


def match_template(text: str, templates: Iterable[str],
                   values: Callable[[str], list[Clip]] = value_clips) -> list[Clip] | None:
    """The clips for ``text`` if it is one of ``templates`` filled in ("Du är nummer 3 i kön" from "Du är nummer
    %(position)s i kön", each value said by ``values``); None if none fits."""
    said = normalise(text)
    for template in templates:
        if "%(" not in template:
            continue
        parts = PLACEHOLDER.split(normalise(template))
        pattern = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
        found = re.fullmatch(pattern, said, flags=re.IGNORECASE)
        if found:
            return say(template, {name: values(v) for name, v in zip(parts[1::2], found.groups(), strict=True)})
    return None


DIGITS = tuple(code("0123456789"))


@dataclass(frozen=True)
class Phrases:
    """What an office's screens and announcements say in one language: the templates a text may be filled in
    from, and every clip a complete set holds."""

    templates: tuple[str, ...]
    clips: tuple[Clip, ...]


def collect(said: Iterable[str | Clip]) -> Phrases:
    """Texts, templates and fixed clips (from every plugin) → the templates and the clips they need, once each."""
    templates: dict[str, None] = {}
    clips: dict[str, Clip] = {c.name: c for c in DIGITS}
    for item in said:
        if isinstance(item, Clip):
            clips.setdefault(item.name, item)
        elif normalise(item) and len(item) <= MAX_TEXT:
            if "%(" in item:
                templates[item] = None
            for clip in template_clips(item):
                clips.setdefault(clip.name, clip)
    return Phrases(tuple(templates), tuple(clips.values()))


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def clip_problems(path: Path) -> str | None:
    """Why a recorded clip cannot be joined with the others (None when it can)."""
    try:
        with wave.open(str(path), "rb") as clip:
            params = clip.getparams()
    except (wave.Error, EOFError, OSError) as exc:
        return f"not a PCM WAV file ({exc})"
    if (params.nchannels, params.sampwidth, params.framerate) != (CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE):
        return (f"{params.nchannels} channel(s), {8 * params.sampwidth}-bit, {params.framerate} Hz; clips must be "
                f"mono 16-bit at {SAMPLE_RATE} Hz (sox in.wav -c 1 -b 16 -r {SAMPLE_RATE} out.wav)")
    return None


def assemble(paths: Sequence[Path], gap_seconds: float = GAP_SECONDS) -> bytes:
    """One WAV file: the clips in order with a short silence between them."""
    silence = b"\x00" * (int(SAMPLE_RATE * gap_seconds) * SAMPLE_WIDTH * CHANNELS)
    out = io.BytesIO()
    with wave.open(out, "wb") as joined:
        joined.setnchannels(CHANNELS)
        joined.setsampwidth(SAMPLE_WIDTH)
        joined.setframerate(SAMPLE_RATE)
        for i, path in enumerate(paths):
            if problem := clip_problems(path):
                raise SpeechError(f"{path}: {problem}")
            with wave.open(str(path), "rb") as clip:
                if i:
                    joined.writeframes(silence)
                joined.writeframes(clip.readframes(clip.getnframes()))
    return out.getvalue()


def synthesise(language: str, clip: Clip, target: Path) -> None:
    """Make ``target`` with espeak-ng, written under another name and renamed: never a half-written clip."""
    voice = ESPEAK_VOICES.get(language)
    if voice is None:
        raise SpeechError(f"espeak-ng has no voice for {language!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(suffix=".wav", dir=target.parent)
    os.close(fd)
    try:
        # "--" so that a text starting with "-" is spoken, not taken for an option.
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", scratch, "--", clip.text], check=True,
                       capture_output=True, timeout=30)
        os.replace(scratch, target)
    except FileNotFoundError:
        raise SpeechError("espeak-ng is not installed (Debian: apt-get install espeak-ng)") from None
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise SpeechError(f"espeak-ng failed for {clip.text!r}: {exc}") from None
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)


class ClipLibrary:
    """Every language's clips: recorded ones from the deployment, generated ones from the cache."""

    def __init__(self, generated: Path, recorded: Path):
        self.generated = generated
        self.recorded = recorded

    def recorded_languages(self) -> set[str]:
        return {p.name for p in self.recorded.iterdir() if p.is_dir()} if self.recorded.is_dir() else set()

    def has_set(self, language: str) -> bool:
        """Whether announcements and kiosk speech in ``language`` are made of clips (else the browser's voice)."""
        return language in ESPEAK_VOICES and espeak_available() or language in self.recorded_languages()

    def path(self, language: str, name: str) -> Path | None:
        if not CLIP_NAME.match(name) or not re.fullmatch(r"[a-z]{2,3}", language):
            return None
        for folder in (self.recorded, self.generated):
            candidate = folder / language / f"{name}.wav"
            if candidate.is_file():
                return candidate
        return None

    def missing(self, language: str, clips: Iterable[Clip]) -> list[Clip]:
        return list({c.name: c for c in clips if self.path(language, c.name) is None}.values())

    def ticket_number(self, language: str, value: str) -> list[Clip]:
        """A called ticket number (or a computer's) as a board says it: its letters, then the number as a number
        ("B012": B, twelve), where the language has that number's clip recorded or espeak-ng can make it;
        else letter by letter and digit by digit, as printed."""
        found = CODE.match(value)
        if found is None or int(found.group(2)) >= WHOLE_NUMBERS:
            return code(value)
        whole = whole_number(int(found.group(2)))
        if self.path(language, whole.name) is None and not (language in ESPEAK_VOICES and espeak_available()):
            return code(value)
        return [*code(found.group(1)), whole]

    def ensure(self, language: str, clips: Iterable[Clip], allowance: Allowance | None = None) -> list[Clip]:
        """Generate the missing clips that espeak-ng can make (no more than ``allowance`` allows); return the ones
        still missing."""
        still = []
        for clip in self.missing(language, clips):
            if language in ESPEAK_VOICES and espeak_available() and (allowance is None or allowance.left > 0):
                synthesise(language, clip, self.generated / language / f"{clip.name}.wav")
                if allowance is not None:
                    allowance.left -= 1
            else:
                still.append(clip)
        return still

    def assemble(self, language: str, clips: Sequence[Clip]) -> bytes:
        paths = [self.path(language, clip.name) for clip in clips]
        if any(p is None for p in paths):
            raise SpeechError(f"missing clips in {language}: "
                              + ", ".join(c.name for c, p in zip(clips, paths, strict=True) if p is None))
        return assemble([p for p in paths if p is not None])

    def resolve(self, language: str, text: str, phrases: Phrases, allowance: Allowance | None = None
                ) -> list[Clip] | None:
        """The clips that say ``text``: its own clip, or a template of ``phrases`` filled in; with an ``allowance``
        (a caller the office trusts) espeak-ng makes what is missing. None: the text has no clips (the page falls
        back to the browser's voice)."""
        said = normalise(text)
        if not said or len(said) > MAX_TEXT:
            return None
        own = phrase(said)
        if self.path(language, own.name):
            return [own]
        # A ticket number alone ("B012" on the ticket screen) is said as the board says it; numbers in a filled-in
        # template as numbers; each digit by digit where the number's clip is not there and cannot be made.
        readings = [self.ticket_number(language, said), code(said)] if CODE.match(said) else [
            match_template(said, phrases.templates, lambda value: self._value(language, value)),
            match_template(said, phrases.templates)]
        for reading in readings:
            if reading is not None and not self.ensure(language, reading, allowance or Allowance(0)):
                return reading
        if allowance is not None and not self.ensure(language, [own], allowance):
            return [own]
        return None

    def _value(self, language: str, value: str) -> list[Clip]:
        value = normalise(value)
        return self.ticket_number(language, value) if CODE.match(value) else [phrase(value)]

    def recorded_problems(self, language: str) -> list[tuple[Path, str]]:
        """Recorded clips of ``language`` that cannot be used: a bad name or format."""
        folder = self.recorded / language
        problems = []
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.suffix != ".wav" or not CLIP_NAME.match(path.stem):
                problems.append((path, "not a clip name (digit-N, letter-x, number-N up to 999 or p-<16 hex "
                                       "digits>, .wav; `mbk speech list` shows them)"))
            elif problem := clip_problems(path):
                problems.append((path, problem))
        return problems
