"""GET /api/v1/offices/{office}/queue/announcement.wav: a call spoken from the office's clips (espeak-ng's, or the
office's recordings first), and a clear 4xx for anything it cannot say."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.context import AppContext
from core.speech import Clip, code, phrase, say, template_clips
from core.web.app import create_app
from plugins.queue.i18n import translations
from tests.core.test_speech import tone
from tests.plugins.queue.support import OFFICE, write_deployment

# The endpoint reads no table: SQLite is enough.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
URL = "/api/v1/offices/test/queue/announcement.wav"


@pytest.fixture
def speaking(make_context: Callable[..., AppContext], tmp_path: Path) -> Iterator[tuple[TestClient, AppContext]]:
    ctx = make_context(deployment=write_deployment(tmp_path / "deployment"), speech_cache=tmp_path / "clips")
    with TestClient(create_app(ctx)) as client:
        yield client, ctx


def frames(data: bytes) -> bytes:
    with wave.open(BytesIO(data), "rb") as sound:
        return sound.readframes(sound.getnframes())


def test_a_call_is_the_clips_of_number_letter_number_and_counter(speaking: tuple[TestClient, AppContext]) -> None:
    client, ctx = speaking
    response = client.get(URL, params={"language": "sv", "number": "B012", "counter": "desk-2"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    # As a Swedish board says it: "Nummer B tolv, Disk 2", the letter then the number as a number.
    template = translations.gettext("sv")("Number %(number)s, %(counter)s")
    clips = say(template, {"number": [*code("B"), Clip("number-12", "12")], "counter": [phrase("Disk 2")]})
    assert [c.name for c in clips] == [phrase("Nummer").name, "letter-b", "number-12", phrase("Disk 2").name]
    assert frames(response.content) == frames(ctx.speech.assemble("sv", clips))

    # A computer: "Number D001, Computer 2" ("D one", "two").
    seat = client.get(URL, params={"language": "en", "number": "D001", "seat": "2"})
    assert seat.status_code == 200
    expected = say("Number %(number)s, %(counter)s", {"number": [*code("D"), Clip("number-1", "1")], "counter": say(
        "Computer %(seat)s", {"seat": [Clip("number-2", "2")]})})
    assert frames(seat.content) == frames(ctx.speech.assemble("en", expected))


def test_a_language_recorded_by_the_office_says_digits_until_it_has_the_number(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    # Somali, which espeak-ng lacks: the office recorded the template's words, the letter B, the digits and the
    # counter's name (Swedish "Disk 2", the name it has in every language); a call is said digit by digit.
    office = OFFICE.format(extra="").replace('languages = ["sv", "en", "ar"]', 'languages = ["sv", "so"]')
    ctx = make_context(deployment=write_deployment(tmp_path / "deployment", office=office),
                       speech_cache=tmp_path / "clips")
    template = translations.gettext("so")("Number %(number)s, %(counter)s")
    recorded = ctx.deployment.root / "speech" / "so"
    for i, clip in enumerate([*template_clips(template), *code("B0123456789"), phrase("Disk 2")]):
        tone(recorded / f"{clip.name}.wav", 200 + 20 * i, 0.05)
    with TestClient(create_app(ctx)) as client:
        digits = client.get(URL, params={"language": "so", "number": "B012", "counter": "desk-2"})
        assert digits.status_code == 200, digits.text
        said = say(template, {"number": code("B012"), "counter": [phrase("Disk 2")]})
        assert frames(digits.content) == frames(ctx.speech.assemble("so", said))
        # Once it records twelve, the board says "B twelve".
        tone(recorded / "number-12.wav", 900, 0.05)
        number = client.get(URL, params={"language": "so", "number": "B012", "counter": "desk-2"})
        said = say(template, {"number": [*code("B"), Clip("number-12", "12")], "counter": [phrase("Disk 2")]})
        assert [c.name for c in said][-3:-1] == ["letter-b", "number-12"]
        assert frames(number.content) == frames(ctx.speech.assemble("so", said))


@pytest.mark.parametrize(("query", "status", "named"), [
    ({"language": "xx", "number": "B012", "counter": "desk-2"}, 422, "language"),
    ({"language": "sv", "number": "Q012", "counter": "desk-2"}, 422, "'Q012' is not a ticket number"),
    ({"language": "sv", "number": "B12345678", "counter": "desk-2"}, 422, "number"),
    ({"language": "sv", "number": "B012", "counter": "desk-9"}, 422, "unknown counter 'desk-9'"),
    ({"language": "sv", "number": "B012"}, 422, "give either counter"),
    ({"language": "sv", "number": "D001", "seat": "3"}, 422, "no computer 3"),
    ({"language": "sv", "number": "D001", "seat": "one"}, 422, "seat"),
    ({"number": "B012", "counter": "desk-2"}, 422, "language"),
])
def test_what_cannot_be_said_is_a_clear_4xx(speaking: tuple[TestClient, AppContext], query: dict[str, str],
                                            status: int, named: str) -> None:
    client, _ctx = speaking
    response = client.get(URL, params=query)
    assert response.status_code == status
    assert named in response.text


def test_a_language_without_clips_is_404_and_the_board_uses_a_browser_voice(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    deployment = write_deployment(tmp_path / "deployment")
    office = deployment / "offices" / "test.toml"
    office.write_text(office.read_text().replace('languages = ["sv", "en", "ar"]', 'languages = ["sv", "so"]'))
    ctx = make_context(deployment=deployment, speech_cache=tmp_path / "clips")
    with TestClient(create_app(ctx)) as client:
        response = client.get(URL, params={"language": "so", "number": "A001", "counter": "desk-1"})
        assert response.status_code == 404
        assert response.json()["error"] == "no_clips"
        # Half recorded: the missing clips are named.
        tone(deployment / "speech" / "so" / "digit-0.wav", 440, 0.1)
        response = client.get(URL, params={"language": "so", "number": "A001", "counter": "desk-1"})
        assert response.status_code == 404
        assert response.json()["error"] == "clips_missing" and "digit-1.wav ('1')" in response.text
