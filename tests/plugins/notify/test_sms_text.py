"""SMS bodies: segment counting (GSM-7 160/153, UCS-2 70/67) and cutting to fit one or two segments."""

from __future__ import annotations

import pytest

from plugins.notify.messages import fit_sms, render_message, sms_encoding, sms_segments


@pytest.mark.parametrize(("text", "encoding", "segments"), [
    ("a" * 160, "gsm", 1),
    ("a" * 161, "gsm", 2),
    ("a" * 306, "gsm", 2),
    ("a" * 307, "gsm", 3),
    ("€" * 80, "gsm", 1),  # extension characters take two septets: 160 septets
    ("€" * 81, "gsm", 2),
    ("Köp på Skärholmen" + "x" * 143, "gsm", 1),  # å ä ö are in the GSM basic set
    ("ş" * 70, "ucs2", 1),
    ("ş" * 71, "ucs2", 2),
    ("ş" * 134, "ucs2", 2),
    ("ş" * 135, "ucs2", 3),
    ("مرحبا" * 14, "ucs2", 1),
    ("😀" * 35, "ucs2", 1),  # a surrogate pair counts twice
    ("😀" * 36, "ucs2", 2),
])
def test_segments(text: str, encoding: str, segments: int) -> None:
    assert sms_encoding(text) == encoding
    assert sms_segments(text) == segments


def test_an_escape_pair_is_never_split_across_segments() -> None:
    # 152 plain characters then "€": the pair does not fit in the first segment's last septet
    text = "a" * 152 + "€" + "a" * 152
    assert sms_segments(text) == 3


def test_short_text_is_left_alone() -> None:
    assert fit_sms("Nummer A012: det är din tur.", 1) == "Nummer A012: det är din tur."


@pytest.mark.parametrize("max_segments", [1, 2])
def test_long_gsm_text_is_cut_at_a_word_with_three_dots(max_segments: int) -> None:
    text = " ".join(["Skärholmen"] * 60)
    fitted = fit_sms(text, max_segments)
    assert sms_segments(fitted) == max_segments
    assert fitted.endswith("Skärholmen...")  # whole words, and "..." keeps it GSM-7 (… would not)
    assert sms_encoding(fitted) == "gsm"
    assert len(fitted) > {1: 140, 2: 280}[max_segments]  # and not much room is wasted


@pytest.mark.parametrize("max_segments", [1, 2])
def test_long_arabic_text_fits_ucs2_segments(max_segments: int) -> None:
    text = " ".join(["المواطنين"] * 40)
    fitted = fit_sms(text, max_segments)
    assert sms_segments(fitted) == max_segments
    assert fitted.endswith("…")
    assert len(fitted) <= {1: 70, 2: 134}[max_segments]


def test_one_long_word_is_cut_inside() -> None:
    fitted = fit_sms("x" * 500, 1)
    assert fitted == "x" * 157 + "..."


def test_queue_texts_fit_two_segments_in_every_language() -> None:
    values = {"office_name": "Medborgarkontoret Skärholmen", "number": "B123", "counter_name": "Lucka 12",
              "time": "14:05", "position": 3, "first_name": "Amina", "waiting_area": None}
    for language in ("sv", "en", "ar", "so", "fi", "fa", "ti"):
        for event in ("ticket.near", "ticket.called"):
            short = render_message(event, language, values).short
            assert "B123" in short
            assert sms_segments(short) <= 2, (language, event, short)
