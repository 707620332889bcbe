"""Honest shares: ``yes`` of ``n`` with a 95 % Wilson score interval, for every figure staff read as a share
(the survey indicators, the outcomes of visits), so small groups never look more certain than they are."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


@dataclass(frozen=True)
class Share:
    """``yes`` of ``n`` with its 95 % Wilson score interval (good for small n and shares near 0 or 1)."""

    yes: int
    n: int

    @property
    def value(self) -> float:
        return self.yes / self.n

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.yes, self.n)


def wilson_interval(yes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    if n <= 0:
        raise ValueError("an interval needs at least one answer")
    p = yes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def percent(value: float) -> int:
    return round(value * 100)


def share_text(share: Share, _: Callable[..., str]) -> str:
    """"60 % (18 of 30, 42–75 %)": the share, the counts behind it and the 95 % interval, translated by ``_``
    (any translator that includes core's catalog)."""
    low, high = share.interval
    return _("%(share)s %% (%(yes)s of %(n)s, %(low)s–%(high)s %%)", share=percent(share.value), yes=share.yes,
             n=share.n, low=percent(low), high=percent(high))
