"""The admin dashboard's queue panel: a bar chart drawn server-side as inline SVG, and the table behind it.

Geometry and figures are computed here; core renders them with templates/stats_panel.html."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.config import OfficeConfig
from plugins.queue.settings import settings_of
from plugins.queue.stats import DayStats

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 560, 220, 36, 28, 10
PANEL_DAYS, TABLE_DAYS = 14, 7


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    kind: str  # issued | served
    day: str
    value: int


@dataclass(frozen=True)
class DayColumn:
    bars: tuple[Bar, ...]
    label_x: str | None  # where the day's date goes under the bars (None: too many days to label)
    label: str


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _columns(days: list[date], issued: dict[date, int], served: dict[date, int], peak: int) -> list[DayColumn]:
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(days)
    bar = max(2.0, slot / 2 - 2)
    columns = []
    for i, day in enumerate(days):
        x = LEFT + i * slot + 2
        bars = []
        for offset, value, kind in ((0, issued.get(day, 0), "issued"), (bar + 1, served.get(day, 0), "served")):
            h = plot_h * value / peak
            bars.append(Bar(f"{x + offset:.1f}", f"{TOP + plot_h - h:.1f}", f"{bar:.1f}", f"{h:.1f}", kind,
                            day.isoformat(), value))
        columns.append(DayColumn(tuple(bars), f"{x + bar:.1f}" if len(days) <= 14 else None,
                                 f"{day.day}/{day.month}"))
    return columns


def stats_panel_context(office: OfficeConfig, rows: Sequence[DayStats], language: str, today: date) -> dict[str, Any]:
    """What templates/stats_panel.html shows: the last 14 days as bars, the last 7 as a table."""
    days = [today - timedelta(days=n) for n in range(PANEL_DAYS - 1, -1, -1)]
    issued: dict[date, int] = defaultdict(int)
    served: dict[date, int] = defaultdict(int)
    for row in rows:
        issued[row.day] += row.issued
        served[row.day] += row.served
    peak = max([1, *issued.values(), *served.values()])
    names = {s.id: s.name.get_text(language) for s in settings_of(office).services}
    recent = [r for r in rows if r.day >= today - timedelta(days=TABLE_DAYS - 1)]
    table = [(r.day.isoformat(), names.get(r.service, r.service), r.issued, r.served, r.no_shows,
              _minutes(r.wait_median_minutes), _minutes(r.wait_p90_minutes), _minutes(r.service_median_minutes))
             for r in reversed(recent)]
    return {"chart": {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - 8, "axis_y": HEIGHT - BOTTOM,
                      "tick_x": LEFT - 4, "peak_y": TOP + 8, "label_y": HEIGHT - 10, "peak": peak,
                      "columns": _columns(days, issued, served, peak)},
            "issued_total": sum(issued.values()), "served_total": sum(served.values()), "table": table,
            "csv_path": f"/api/v1/offices/{office.id}/queue/stats.csv"}
