"""Shares, Wilson score intervals and small-cell suppression, checked against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from core.i18n import Translator
from core.proportions import Share, share_text, wilson_interval
from plugins.surveys.presentation import verdict
from plugins.surveys.service import Cell, suppress_small_cells

_ = Translator([]).gettext("en")


def test_wilson_interval_18_of_30_by_hand() -> None:
    # p = 0.6, n = 30, z = 1.96:  centre = (0.6 + 1.96²/60) / (1 + 1.96²/30) = 0.66403 / 1.12805 = 0.58866
    # half = 1.96 · sqrt(0.6·0.4/30 + 1.96²/3600) / 1.12805 = 1.96 · 0.09502 / 1.12805 = 0.16510
    z = 1.959963984540054
    centre = (0.6 + z * z / 60) / (1 + z * z / 30)
    half = z * math.sqrt(0.6 * 0.4 / 30 + z * z / 3600) / (1 + z * z / 30)
    low, high = wilson_interval(18, 30)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)
    assert round(low * 100, 1) == 42.3
    assert round(high * 100, 1) == 75.4


@pytest.mark.parametrize(("yes", "n", "low", "high"), [
    (0, 10, 0.0, 27.8),     # all no: the interval still reaches 27.8 % (a plain p ± z·se would say 0–0)
    (10, 10, 72.2, 100.0),  # all yes
    (1, 2, 9.5, 90.5),
    (60, 100, 50.2, 69.1),
])
def test_wilson_interval_edge_cases(yes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(yes, n)
    assert (round(got[0] * 100, 1), round(got[1] * 100, 1)) == (low, high)


def test_interval_needs_an_answer() -> None:
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_honest_display() -> None:
    assert share_text(Share(18, 30), _) == "60 % (18 of 30, 42–75 %)"
    assert share_text(Share(1, 3), _) == "33 % (1 of 3, 6–79 %)"


def test_verdict_against_target_uses_the_interval() -> None:
    assert verdict(Cell("all", Share(18, 30)), 60, _) == "not clearly different from target"
    assert verdict(Cell("all", Share(18, 30)), 40, _) == "above target"
    assert verdict(Cell("all", Share(18, 30)), 80, _) == "below target"
    assert verdict(Cell("all", Share(18, 30), suppressed=True), 40, _) == ""


def cells(**sizes: int) -> list[Cell]:
    return [Cell(key, Share(0, n)) for key, n in sizes.items()]


def hidden(result: list[Cell]) -> set[str]:
    return {c.key for c in result if c.suppressed}


def test_nothing_suppressed_when_every_cell_is_big_enough() -> None:
    assert hidden(suppress_small_cells(cells(woman=20, man=15, other=5), 5)) == set()


def test_a_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    # total 41 is shown: hiding only "other" (3) would leave it as 41 - 20 - 12 - 6
    assert hidden(suppress_small_cells(cells(woman=20, man=12, other=3, unstated=6), 5)) == {"other", "unstated"}


def test_two_small_cells_that_together_are_still_few_take_a_third() -> None:
    # other (1) + unstated (2) hidden = 3 < 5: their sum could be derived and is itself a small group
    result = suppress_small_cells(cells(woman=30, man=9, other=1, unstated=2), 5)
    assert hidden(result) == {"other", "unstated", "man"}


def test_two_small_cells_that_together_reach_k_are_enough() -> None:
    assert hidden(suppress_small_cells(cells(woman=30, man=25, other=2, unstated=4), 5)) == {"other", "unstated"}


def test_everything_hidden_when_all_cells_are_small() -> None:
    assert hidden(suppress_small_cells(cells(woman=2, man=1), 5)) == {"woman", "man"}
