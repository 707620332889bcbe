"""What came of the visits, per service and week, as shares with their 95 % intervals (core.proportions, the same
honest intervals as the survey's empowerment indicators), for the admin dashboard's outcome panel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.config import OfficeConfig
from core.proportions import Share, share_text
from plugins.queue.i18n import OUTCOME_LABELS
from plugins.queue.models import OUTCOMES
from plugins.queue.settings import settings_of
from plugins.queue.stats import DayStats

PANEL_WEEKS = 6


@dataclass(frozen=True)
class WeekOutcomes:
    week: str  # ISO week, "2026-W48"
    service: str
    counts: dict[str, int]  # per outcome

    @property
    def recorded(self) -> int:
        return sum(self.counts.values())

    def share(self, outcome: str) -> Share | None:
        return Share(self.counts.get(outcome, 0), self.recorded) if self.recorded else None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def outcomes_by_week(rows: Sequence[DayStats]) -> list[WeekOutcomes]:
    """Per ISO week and service (newest week first): how many visits ended in each outcome the guides recorded
    (visits done without an outcome are not in the shares)."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for row in rows:
        cell = counts[(iso_week(row.day), row.service)]
        for outcome in OUTCOMES:
            cell[outcome] += getattr(row, outcome)
    weeks = [WeekOutcomes(week, service, cell) for (week, service), cell in counts.items() if sum(cell.values())]
    return sorted(weeks, key=lambda w: (w.week, w.service), reverse=True)


def _share(share: Share | None, _: Callable[..., str]) -> str:
    return "–" if share is None else share_text(share, _)


def outcomes_panel_context(office: OfficeConfig, rows: Sequence[DayStats], _: Callable[..., str],
                           language: str) -> dict[str, Any]:
    names = {s.id: s.name.get_text(language) for s in settings_of(office).services}
    return {"headings": [_(OUTCOME_LABELS[o]) for o in OUTCOMES],
            "rows": [(w.week, names.get(w.service, w.service), w.recorded,
                      [_share(w.share(o), _) for o in OUTCOMES]) for w in outcomes_by_week(rows)]}
