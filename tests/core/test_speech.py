"""Offline speech from clips (core.speech): joining WAV clips, saying templates, resolving screen texts, espeak-ng
making clips, and `mbk check` / `mbk speech list` naming the clips a recorded set lacks."""

from __future__ import annotations

import math
import struct
import wave
from io import BytesIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import cli as mbk
from core.speech import (
    GAP_SECONDS,
    SAMPLE_RATE,
    Allowance,
    Clip,
    ClipLibrary,
    SpeechError,
    assemble,
    code,
    collect,
    match_template,
    phrase,
    say,
    template_clips,
)
from plugins.queue.i18n import translations
from tests.plugins.queue.support import write_deployment


def tone(path: Path, frequency: float, seconds: float, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """A sine WAV at ``path``; returns its frames."""
    count = int(rate * seconds)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / rate))) * channels
                      for i in range(count))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return frames


def frames_of(data: bytes) -> tuple[wave._wave_params, bytes]:
    with wave.open(BytesIO(data), "rb") as joined:
        return joined.getparams(), joined.readframes(joined.getnframes())


def test_assemble_joins_clips_in_order_with_a_short_silence(tmp_path: Path) -> None:
    first = tone(tmp_path / "a.wav", 440, 0.2)
    second = tone(tmp_path / "b.wav", 660, 0.3)
    params, frames = frames_of(assemble([tmp_path / "a.wav", tmp_path / "b.wav"]))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, SAMPLE_RATE)
    gap = b"\x00\x00" * int(SAMPLE_RATE * GAP_SECONDS)
    assert frames == first + gap + second


def test_assemble_refuses_a_clip_in_another_format_naming_it(tmp_path: Path) -> None:
    tone(tmp_path / "a.wav", 440, 0.1)
    tone(tmp_path / "stereo.wav", 440, 0.1, rate=44100, channels=2)
    with pytest.raises(SpeechError, match=r"stereo\.wav: 2 channel\(s\), 16-bit, 44100 Hz"):
        assemble([tmp_path / "a.wav", tmp_path / "stereo.wav"])
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(SpeechError, match="text.wav: not a PCM WAV file"):
        assemble([tmp_path / "text.wav"])


def test_a_template_is_said_as_its_pieces_with_the_values_between() -> None:
    clips = say("Nummer %(number)s, %(counter)s", {"number": code("B012"), "counter": [phrase("Disk 2")]})
    assert [c.name for c in clips] == [phrase("Nummer").name, "letter-b", "digit-0", "digit-1", "digit-2",
                                       phrase("Disk 2").name]
    # The same text, shown on a screen, is found from the template: numbers are said digit by digit.
    found = match_template("Du är nummer 12 i kön.", ["Välkommen", "Du är nummer %(position)s i kön."])
    assert found is not None
    assert [c.name for c in found] == [phrase("Du är nummer").name, "digit-1", "digit-2", phrase("i kön.").name]
    assert match_template("Något helt annat", ["Du är nummer %(position)s i kön."]) is None


def test_collect_gives_every_clip_once_with_the_digits() -> None:
    phrases = collect(["Nummer %(number)s, %(counter)s", "Disk 2", "Disk 2", *code("B")])
    names = [c.name for c in phrases.clips]
    assert len(names) == len(set(names))
    assert {f"digit-{d}" for d in range(10)} | {"letter-b", phrase("Nummer").name, phrase("Disk 2").name} \
        == set(names)
    assert phrases.templates == ("Nummer %(number)s, %(counter)s",)


def test_recorded_clips_come_before_generated_ones(tmp_path: Path) -> None:
    library = ClipLibrary(tmp_path / "generated", tmp_path / "recorded")
    tone(tmp_path / "generated" / "sv" / "digit-1.wav", 440, 0.1)
    tone(tmp_path / "recorded" / "sv" / "digit-1.wav", 660, 0.1)
    tone(tmp_path / "generated" / "sv" / "digit-2.wav", 440, 0.1)
    assert library.path("sv", "digit-1") == tmp_path / "recorded" / "sv" / "digit-1.wav"
    assert library.path("sv", "digit-2") == tmp_path / "generated" / "sv" / "digit-2.wav"
    assert library.path("sv", "../../etc/passwd") is None
    assert library.path("../sv", "digit-1") is None
    assert [c.name for c in library.missing("sv", code("123"))] == ["digit-3"]


def test_a_called_number_is_its_letter_then_the_number_where_the_clips_allow(tmp_path: Path) -> None:
    library = ClipLibrary(tmp_path / "generated", tmp_path / "recorded")
    # Swedish: espeak-ng makes "tolv" when it is first called; leading zeros are not said.
    assert [c.name for c in library.ticket_number("sv", "B012")] == ["letter-b", "number-12"]
    assert library.ticket_number("sv", "D007")[1] == Clip("number-7", "7")
    assert [c.name for c in library.ticket_number("sv", "7")] == ["number-7"]  # a computer's number
    assert library.missing("sv", library.ticket_number("sv", "B012")) != []
    assert library.ensure("sv", library.ticket_number("sv", "B012")) == []
    params, frames = frames_of(library.assemble("sv", [Clip("number-12", "12")]))
    assert len(frames) > SAMPLE_RATE // 5  # "tolv", not silence
    # A thousand and more: digit by digit, as printed.
    assert [c.name for c in library.ticket_number("sv", "B1012")] == ["letter-b", "digit-1", "digit-0", "digit-1",
                                                                       "digit-2"]
    # Somali (no espeak-ng voice): digit by digit from the office's recordings, until it records the number.
    assert [c.name for c in library.ticket_number("so", "B012")] == ["letter-b", "digit-0", "digit-1", "digit-2"]
    tone(tmp_path / "recorded" / "so" / "number-12.wav", 440, 0.1)
    assert [c.name for c in library.ticket_number("so", "B012")] == ["letter-b", "number-12"]
    assert library.recorded_problems("so") == []  # a number clip is a clip name
    tone(tmp_path / "recorded" / "so" / "number-1000.wav", 440, 0.1)
    assert [p.name for p, _ in library.recorded_problems("so")] == ["number-1000.wav"]


def test_espeak_makes_a_missing_clip_and_a_screen_text_resolves_to_it(tmp_path: Path) -> None:
    library = ClipLibrary(tmp_path / "generated", tmp_path / "recorded")
    phrases = collect(["Du är nummer %(position)s i kön."])
    assert library.resolve("sv", "Du är nummer 3 i kön.", phrases) is None  # nothing made without leave
    assert library.resolve("sv", "Du är nummer 3 i kön.", phrases, Allowance(2)) is None  # three clips needed
    allowance = Allowance(3)
    clips = library.resolve("sv", "Du är nummer 3 i kön.", phrases, allowance)
    assert allowance.left == 2  # the two made the first time are kept: one more was needed
    assert clips is not None and [c.name for c in clips] == [phrase("Du är nummer").name, "number-3",
                                                             phrase("i kön.").name]
    params, frames = frames_of(library.assemble("sv", clips))
    assert params.framerate == SAMPLE_RATE and len(frames) > SAMPLE_RATE  # more than half a second of speech
    # The ticket screen's number alone is said as the board says it.
    assert [c.name for c in library.resolve("sv", "B012", phrases, Allowance()) or []] == ["letter-b", "number-12"]
    # Somali: espeak-ng has no voice, so only recorded clips say anything.
    assert library.resolve("so", "Waa lambarka 3", phrases, Allowance()) is None
    assert not library.has_set("so")
    tone(tmp_path / "recorded" / "so" / "digit-3.wav", 440, 0.1)
    assert library.has_set("so")
    # Its recordings have the digits, not the number: digit by digit.
    for clip in [*template_clips("Waa lambarka %(position)s"), *code("B012")]:
        tone(tmp_path / "recorded" / "so" / f"{clip.name}.wav", 440, 0.1)
    somali = collect(["Waa lambarka %(position)s"])
    assert [c.name for c in library.resolve("so", "Waa lambarka 3", somali) or []] == [
        phrase("Waa lambarka").name, "digit-3"]
    assert [c.name for c in library.resolve("so", "B012", somali) or []] == ["letter-b", "digit-0", "digit-1",
                                                                               "digit-2"]


SOMALI_OFFICE = """
[office]
id = "test"
name = { sv = "Testkontoret" }
timezone = "Europe/Stockholm"
languages = ["sv", "so"]

[plugins]
enabled = ["queue"]

[plugins.queue]
counters = [{ id = "desk-1", name = { sv = "Disk 1", so = "Miiska 1" } }]
services = [{ id = "info", prefix = "A", name = { sv = "Info", so = "Macluumaad" }, counters = ["desk-1"] }]
"""


def test_mbk_check_names_the_clips_a_recorded_set_lacks(tmp_path: Path) -> None:
    root = write_deployment(tmp_path / "deployment", office=SOMALI_OFFICE)
    runner = CliRunner()
    result = runner.invoke(mbk.cli, ["check", "--deployment", str(root)])
    assert result.exit_code == 0, result.output
    assert "test: so: no clip set (the browser's voice is used)" in result.output

    # The office starts recording Somali: every clip it lacks is named, with what it says.
    recorded = root / "speech" / "so"
    for name in ("digit-0", "digit-1", "letter-a", phrase("Miiska 1").name):
        tone(recorded / f"{name}.wav", 440, 0.1)
    tone(recorded / "digit-2.wav", 440, 0.1, rate=44100)
    (recorded / "hello.wav").write_bytes(b"")
    result = runner.invoke(mbk.cli, ["check", "--deployment", str(root)])
    assert result.exit_code == 0, result.output
    report = next(line for line in result.output.splitlines() if line.startswith("speech: test: so:"))
    assert "digit-9.wav ('9')" in report
    assert "digit-1.wav" not in report and "letter-a.wav" not in report and phrase("Miiska 1").name not in report
    assert "digit-2.wav: 1 channel(s), 16-bit, 44100 Hz; clips must be mono 16-bit at 22050 Hz" in result.output
    assert "hello.wav: not a clip name" in result.output

    listed = runner.invoke(mbk.cli, ["speech", "list", "--language", "so", "--missing", "--deployment", str(root)])
    assert listed.exit_code == 0, listed.output
    missing = dict(line.split("\t") for line in listed.output.splitlines())
    assert missing["digit-9.wav"] == "9"
    assert "digit-1.wav" not in missing
    # The pieces of the queue's announcement in Somali are among the texts to record.
    announcement = translations.gettext("so")("Number %(number)s, %(counter)s")
    assert {f"{c.name}.wav": c.text for c in template_clips(announcement)}.items() <= missing.items()
